"""The import page: researchers and admins only, a researcher's own sites only, CSRF, the report or the result."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports.models import ImportBatch
from feedback.survey.models import Response
from tests.conftest import csrf_token, table_count
from tests.imports.files import csv_bytes
from tests.imports.test_cli import MOTHER
from tests.imports.test_import import ROWS
from tests.staff.scene import client_as, snapshot

NORTH_ROWS = [MOTHER, *ROWS[1:]]


def upload(client, data: bytes, name="forms.csv", token=True, **fields):
    form = {"file": (io.BytesIO(data), name), "instrument": "household:1", "wave": "exit", **fields}
    if token:
        form["csrf_token"] = csrf_token(client.get("/staff/imports").get_data(as_text=True))
    return client.post("/staff/imports", data=form, content_type="multipart/form-data")


def test_a_researcher_imports_a_file_of_their_site_and_sees_what_it_made(app, world):
    client = client_as(app, "researcher_north")
    assert "Import responses" in client.get("/staff/").get_data(as_text=True)
    response = upload(client, csv_bytes(NORTH_ROWS))
    assert response.status_code == 302 and response.location.endswith("/staff/imports")
    page = client.get("/staff/imports").get_data(as_text=True)
    assert "Imported 3 household v1 response(s) for wave exit; 2 new family(ies), 3 new member(s)." in page
    with app.app_context():
        assert table_count(Response, mode="import", status="completed") == 3
        assert db.session.scalar(sa.select(ImportBatch.imported_by_id)) == world["researcher_north"]
    again = upload(client, csv_bytes(NORTH_ROWS))
    assert again.status_code == 302
    assert "This file was already imported on" in client.get("/staff/imports").get_data(as_text=True)


def test_a_row_of_a_site_not_granted_refuses_the_whole_file_with_the_report(app, world):
    client = client_as(app, "researcher_north")
    south = ["south", "S-1", "M1", "2025-06-01", "mother"] + MOTHER[5:]
    with app.app_context():
        before = snapshot()
    response = upload(client, csv_bytes(NORTH_ROWS + [south, ["north", "N-3", "", "2025-06-01", ""] + MOTHER[5:]]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 2 problem(s) in 2 row(s)." in page
    assert "Site ‘south’ is not one of your sites" in page and "Enter the member&#39;s reference" in page
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("role", ["practitioner_north", "manager_north"])
def test_practitioners_and_managers_may_not_import(app, world, role):
    client = client_as(app, role)
    assert client.get("/staff/imports").status_code == 403
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/imports", data={"file": (io.BytesIO(csv_bytes(NORTH_ROWS)), "forms.csv"),
                                                   "instrument": "household:1", "wave": "exit",
                                                   "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.get("/staff/imports/household/v1/headings.csv").status_code == 403
    with app.app_context():
        assert table_count(Response) == 0


def test_an_upload_without_the_forms_csrf_token_stores_nothing(app, world):
    client = client_as(app, "admin")
    response = upload(client, csv_bytes(NORTH_ROWS), token=False)
    assert response.status_code == 400 and "This page had expired" in response.get_data(as_text=True)
    with app.app_context():
        assert table_count(Response) == 0 and table_count(ImportBatch) == 0


def test_the_form_asks_for_a_csv_or_xlsx_file_and_a_known_instrument_and_wave(app, world):
    client = client_as(app, "admin")
    wrong = upload(client, b"site\nnorth\n", name="forms.txt", instrument="no-such-survey:1", wave="someday")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    # Each error twice: in the error summary at the top, and beside its field.
    assert "Choose a .csv or .xlsx file." in page and page.count("Not a valid choice") == 4


def test_the_headings_of_an_instruments_file_can_be_downloaded(app, world):
    client = client_as(app, "researcher_north")
    household = client.get("/staff/imports/household/v1/headings.csv")
    assert household.mimetype == "text/csv"
    assert household.get_data(as_text=True) == ("\ufeffsite,case_ref,member_ref,completed_on,role,entry_date,exit_date,"
                                                 "has_children,adults,"
                                                 "children_count,school,f1,f2,f3,rating,moved_in,postcode,comments\r\n")
    assessment = client.get("/staff/imports/practitioner-assessment/v1/headings.csv").get_data(as_text=True)
    assert assessment.startswith("\ufeffsite,case_ref,completed_on,entry_date,exit_date,assessment_point,")
    partner = client.get("/staff/imports/partner-survey/v1/headings.csv").get_data(as_text=True)
    assert partner.startswith("\ufeffcompleted_on,role,agency_type,families_worked_with,")
    assert client.get("/staff/imports/household/v9/headings.csv").status_code == 404
