"""The import page chooses no wave for staff unless only one wave asks the instrument, and shows
instruments by their titles, never their codes."""
from __future__ import annotations

import re

from tests.imports.test_views import NORTH_ROWS, upload
from tests.imports.files import csv_bytes
from tests.staff.scene import client_as


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select)
    return next((value for value in found.groups() if value is not None), None) if found else None


def test_the_page_preselects_no_instrument_and_no_wave(app, world):
    page = client_as(app, "researcher_north").get("/staff/imports").get_data(as_text=True)
    assert "Choose an instrument" in page and "Choose a wave" in page
    assert selected(page, "wave") in (None, "") and selected(page, "instrument") in (None, "")


def test_an_instrument_asked_in_exactly_one_wave_gets_that_wave(app, world):
    client = client_as(app, "researcher_north")
    exit_interview = client.get("/staff/imports?instrument=exit-interview:1").get_data(as_text=True)
    assert selected(exit_interview, "instrument") == "exit-interview:1"
    assert selected(exit_interview, "wave") == "exit"  # never "annual", the partner survey's wave
    partner = client.get("/staff/imports?instrument=partner-survey:1").get_data(as_text=True)
    assert selected(partner, "wave") == "annual"
    # Family functioning is asked at entry, exit and 12 months after: staff must choose.
    functioning = client.get("/staff/imports?instrument=family-functioning:1").get_data(as_text=True)
    assert selected(functioning, "instrument") == "family-functioning:1"
    assert selected(functioning, "wave") in (None, "")
    assert 'href="/staff/imports?instrument=exit-interview:1"' in exit_interview


def test_a_wave_left_to_choose_is_refused_with_the_reason_beside_it(app, world):
    client = client_as(app, "researcher_north")
    response = upload(client, csv_bytes(NORTH_ROWS), wave="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="wave-error"><span class="visually-hidden">Error:</span> Choose the wave\.', page)
    assert selected(page, "wave") in (None, "")  # not filled in behind the person's back
    instrumentless = upload(client, csv_bytes(NORTH_ROWS), instrument="")
    assert "Choose the instrument." in instrumentless.get_data(as_text=True)


def test_recent_imports_name_the_instrument_not_its_code(app, world):
    client = client_as(app, "researcher_north")
    assert upload(client, csv_bytes(NORTH_ROWS)).status_code == 302
    page = client.get("/staff/imports").get_data(as_text=True)
    recent = page[page.index("Recent imports"):]
    assert "household v1" not in recent and ">household<" not in recent
    assert re.search(r"<td>[^<]+ \(version 1\)</td>", recent)
