"""GET /api/v1/reports: the staff page's reports for the client's sites, hiding exactly what the page hides.

Read as an attacker would: the JSON is compared cell by cell with the page's CSV download for a
manager of the same site and filters, no number in it is one the CSV does not show, and a hidden
cell carries the page's mark and never its value.
"""
from __future__ import annotations

import csv
import io
import math
import re

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.reports.catalogue import REPORTS
from tests.api.conftest import bearer
from tests.conftest import sign_in
from tests.reports.seeding import assessed_family, north_need_flow

PUBLICATION = ("need-flow", "risk-change", "cost-benefit")


@pytest.fixture
def assessed(app, world):
    """North: 11 families improved, 15 stayed specialist and 1 escalated (a count of 1 the page
    hides, with what would give it away). South: 12 families stayed targeted."""
    with app.app_context():
        north_need_flow(world)
        for n in range(12):
            assessed_family(world, f"S-{n}", "south", 2, 2)
    return world


def csv_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """The page's CSV download: each table's title and the rows under its header (then its notes)."""
    blocks, block = [], []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        if row:
            block.append(row)
        else:
            blocks.append(block)
            block = []
    blocks.append(block)
    return [(found[0][0], found[2:]) for found in blocks[1:]]


def same_as_page(report: dict, page: str) -> None:
    tables = csv_tables(page)
    assert [table["title"] for table in report["tables"]] == [title for title, _rows in tables]
    for table, (_title, rows) in zip(report["tables"], tables):
        shown = json_rows(table)
        assert shown == rows[:len(shown)], table["title"]
        assert all(len(note) == 1 for note in rows[len(shown):])  # then only the notes under the table


def json_rows(table: dict) -> list[list[str]]:
    """A JSON table as the CSV writes it: the value shown, or the page's mark where hidden."""
    names = [column["name"] for column in table["columns"]]
    out = []
    for row in table["rows"]:
        cells = []
        for name in names:
            cell = row[name]
            shown = cell["code"] if cell["hidden"] else (cell["value"] if cell["value"] is not None else cell["text"])
            cells.append(str(shown))
        out.append(cells)
    return out


def numbers_in(value) -> set[float]:
    """Every number a document holds, in values and inside its text."""
    found: set[float] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "name":  # a column's or report's identifier (exit_1), not a figure
                found |= numbers_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= numbers_in(item)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, (int, float)):
        found.add(float(value))
    elif isinstance(value, str):
        found |= {float(match.replace(",", "")) for match in re.findall(r"\d[\d,]*(?:\.\d+)?", value)}
    return found


def web_csv(manager, name, query=""):
    response = manager.get(f"/staff/reports/{name}/download/csv{query}")
    assert response.status_code == 200
    return response.get_data().decode("utf-8-sig")


@pytest.mark.parametrize("name", PUBLICATION)
def test_the_json_hides_exactly_what_the_page_hides_and_gives_no_hidden_number_away(app, assessed, make_token,
                                                                                      name):
    token = make_token(scopes=("reports:read",), sites=("north",))
    api = app.test_client()
    response = api.get(f"/api/v1/reports/{name}", headers=bearer(token))
    assert response.status_code == 200, response.json
    report = response.json
    page = web_csv(sign_in(app.test_client(), "manager_north@example.org"), name)
    assert report["filters"] in page and report["title"] in page
    assert (report["method"] in page) == bool(report["tables"]) and (report["empty"] or "") in page

    same_as_page(report, page)
    for table in report["tables"]:
        for row in table["rows"]:
            for cell in row.values():
                if cell["hidden"]:
                    assert cell["value"] is None and cell["code"] == cell["text"] in ("<10", "[c]")
                    assert cell["reason"] == ("small" if cell["code"] == "<10" else "protecting")

    # The escalated family: the page hides it, and so does the JSON, wherever it would show.
    if name == "need-flow":
        hidden = [cell for table in report["tables"] for row in table["rows"] for cell in row.values()
                  if cell["hidden"]]
        assert hidden and any(cell["code"] == "<10" for cell in hidden)
        specialist = next(row for row in report["tables"][0]["rows"] if "Specialist" in str(row))
        assert [cell["value"] for cell in specialist.values()][:5] != ["Specialist", 0, 11, 15, 1]
    # No number in the JSON that the page's CSV does not show (but the protection's own, in its method).
    allowed = numbers_in(list(csv.reader(io.StringIO(page)))) | numbers_in(report["method"]) | {10.0}
    assert numbers_in(report) <= allowed, numbers_in(report) - allowed


def test_every_report_matches_the_page_for_the_same_period_and_cohort(app, assessed, make_token):
    token = make_token(scopes=("reports:read",), sites=("north",))
    api = app.test_client()
    manager = sign_in(app.test_client(), "manager_north@example.org")
    listed = api.get("/api/v1/reports", headers=bearer(token)).json["items"]
    assert [item["name"] for item in listed] == list(REPORTS)
    cost = next(item for item in listed if item["name"] == "cost-benefit")
    assert "programme_cost" in {f["name"] for f in cost["filters"]}
    for item in listed:
        query = "?start=2026-01-01&end=2026-12-31&cohort=exit"
        report = api.get(f"/api/v1/reports/{item['name']}{query}", headers=bearer(token)).json
        page = web_csv(manager, item["name"], query)
        same_as_page(report, page)
        assert report["selection"] == {"sites": ["north"], "start": "2026-01-01", "end": "2026-12-31",
                                       "cohort": "exit"}
        assert (report["empty"] or "") in page


def test_sites_scopes_and_filters_are_refused_as_elsewhere_in_the_api(app, assessed, make_token):
    api = app.test_client()
    north = make_token(scopes=("reports:read",), sites=("north",))
    both = make_token(scopes=("reports:read",), sites=("north", "south"))
    # Another site's code is "not found", as a nonexistent one is.
    assert api.get("/api/v1/reports/need-flow?site=south", headers=bearer(north)).status_code == 404
    assert api.get("/api/v1/reports/need-flow?site=nowhere", headers=bearer(north)).status_code == 404
    assert api.get("/api/v1/reports/no-such-report", headers=bearer(north)).status_code == 404
    refused = api.get("/api/v1/reports/need-flow", headers=bearer(make_token(scopes=("families:read",))))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert api.get("/api/v1/reports", headers=bearer(make_token(scopes=("exports:run",)))).status_code == 403
    assert api.get("/api/v1/reports/need-flow").status_code == 401
    backwards = api.get("/api/v1/reports/need-flow?start=2026-05-01&end=2026-01-01", headers=bearer(north))
    assert backwards.status_code == 422 and backwards.json["errors"][0]["parameter"] == "end"
    # A client of two sites narrows to one: the same figures as a client of that site alone.
    one = api.get("/api/v1/reports/need-flow?site=north", headers=bearer(both)).json
    alone = api.get("/api/v1/reports/need-flow", headers=bearer(north)).json
    assert one["tables"] == alone["tables"] and one["selection"]["sites"] == ["north"]
    together = api.get("/api/v1/reports/need-flow", headers=bearer(both)).json
    assert together["selection"]["sites"] == ["north", "south"] and together["tables"] != alone["tables"]


def test_each_call_is_audited_with_the_report_and_filters(app, assessed, make_token):
    token = make_token(scopes=("reports:read",), sites=("north",))
    app.test_client().get("/api/v1/reports/need-flow?start=2026-01-01&cohort=exit", headers=bearer(token))
    with app.app_context():
        [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="api.called")).all()
        assert event.detail["report"] == "need-flow" and event.detail["sites"] == ["north"]
        assert event.detail["start"] == "2026-01-01" and event.detail["cohort"] == "exit"
        assert event.detail["status"] == 200 and event.detail["endpoint"] == "/api/v1/reports/<name>"
        # Never the unsuppressed view's record: a client cannot switch protection off.
        assert not db.session.scalars(sa.select(AuditEvent).filter_by(action="report.unsuppressed")).all()


def test_small_numbers_cannot_be_switched_off_through_the_api(app, assessed, make_token):
    token = make_token(scopes=("reports:read",), sites=("north",))
    plain = app.test_client().get("/api/v1/reports/need-flow", headers=bearer(token)).json
    asked = app.test_client().get("/api/v1/reports/need-flow?unsuppressed=y", headers=bearer(token))
    # An unknown parameter is refused or ignored, never obeyed.
    assert asked.status_code == 422 or asked.json["tables"] == plain["tables"]
    assert not math.isnan(plain["threshold"]) and plain["threshold"] == 10
