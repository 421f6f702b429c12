"""The managers' reports page: own sites only, small numbers hidden, downloads, the audited switch."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.reports.models import UnitSaving
from tests.conftest import sign_in
from tests.reports.seeding import assessed_family, north_need_flow
from tests.staff.scene import form_token


@pytest.fixture
def assessed(app, world):
    """North: 11 families improved (specialist → targeted), 15 stayed specialist and 1 escalated
    (specialist → statutory). South: 12 families stayed targeted."""
    with app.app_context():
        north_need_flow(world)
        for n in range(12):
            assessed_family(world, f"S-{n}", "south", 2, 2)
    return world


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_manager_sees_their_own_sites_only(app, assessed):
    client = sign_in(app.test_client(), "manager_north@example.org")
    html = page(client, "/staff/reports/need-flow")
    assert "Sites: North Family Support" in html and "South" not in html.split("<main", 1)[1].split("Download", 1)[0]
    # Asking for a site the manager may not see is refused, showing nothing.
    html_south = page(client, f"/staff/reports/need-flow?sites={assessed['south']}")
    assert "not a valid choice" in html_south and "<table" not in html_south
    admin = sign_in(app.test_client(), "admin@example.org")
    assert ">39<" in page(admin, "/staff/reports/need-flow")   # both sites' families
    assert ">39<" not in html


def test_small_numbers_are_hidden_on_the_page_and_in_downloads(app, assessed):
    client = sign_in(app.test_client(), "manager_north@example.org")
    html = page(client, "/staff/reports/need-flow")
    assert "&lt;10" in html and "Counts below 10" in html
    # Every share the chart would draw is hidden: one sentence instead of a chart of marks.
    assert "<svg" not in html
    assert "The numbers are too small to show as a chart: this page covers about 30 families." in html
    csv_text = client.get("/staff/reports/need-flow/download/csv").get_data().decode("utf-8-sig")
    assert "<10" in csv_text and "Counts below 10" in csv_text
    flow = csv_text.split("Families by level of need")[1].split("\n\n")[0]
    assert "Specialist,0,11,15,1" not in flow   # the escalated family's 1 (and what gives it away) hidden
    workbook = load_workbook(io.BytesIO(client.get("/staff/reports/need-flow/download/xlsx").data))
    values = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "<10" in values
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "report.unsuppressed")) == 0


def test_a_researcher_may_show_small_numbers_and_each_view_is_audited(app, assessed):
    researcher = sign_in(app.test_client(), "researcher_north@example.org")
    html = page(researcher, "/staff/reports/need-flow?unsuppressed=y")
    assert "Small numbers are shown" in html and "&lt;10" not in html.split("Unit savings")[0]
    csv_response = researcher.get("/staff/reports/need-flow/download/csv?unsuppressed=y")
    assert "UNSUPPRESSED" in csv_response.headers["Content-Disposition"]
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).filter_by(action="report.unsuppressed")).all()
        assert len(events) == 2 and events[0].detail["report"] == "need-flow"
    # A manager's ticked box is ignored: still hidden, nothing audited.
    manager = sign_in(app.test_client(), "manager_north@example.org")
    assert "&lt;10" in page(manager, "/staff/reports/need-flow?unsuppressed=y")
    with app.app_context():
        assert len(db.session.scalars(sa.select(AuditEvent).filter_by(action="report.unsuppressed")).all()) == 2


def test_practitioners_and_strangers_are_refused(app, world):
    practitioner = sign_in(app.test_client(), "practitioner_north@example.org")
    assert practitioner.get("/staff/reports").status_code == 403
    assert practitioner.get("/staff/reports/need-flow/download/csv").status_code == 403
    anonymous = app.test_client().get("/staff/reports/need-flow")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    manager = sign_in(app.test_client(), "manager_north@example.org")
    assert manager.get("/staff/reports/no-such-report").status_code == 404
    assert manager.get("/staff/reports/need-flow/download/pdf").status_code == 404


@pytest.mark.parametrize("name", ["response-rates", "need-flow", "risk-change", "resilience", "family-functioning",
                                  "star", "follow-up", "exit-feedback", "cost-benefit"])
def test_every_report_with_no_data_says_so_plainly(app, world, name):
    client = sign_in(app.test_client(), "admin@example.org")
    html = page(client, f"/staff/reports/{name}")
    assert "Not enough data" in html and "0%" not in html


def test_a_site_with_one_family_is_not_enough_data(app, world):
    with app.app_context():
        assessed_family(world, "ONLY", "north", 3, 2)
    client = sign_in(app.test_client(), "manager_north@example.org")
    assert "Not enough data" in page(client, "/staff/reports/need-flow")


def test_the_period_and_cohort_choose_the_families(app, assessed):
    client = sign_in(app.test_client(), "admin@example.org")
    assert ">39<" in page(client, "/staff/reports/need-flow?start=2026-03-01&end=2026-04-30")
    assert "Not enough data" in page(client, "/staff/reports/need-flow?start=2026-04-01")
    assert "Not enough data" in page(client, "/staff/reports/need-flow?start=2026-03-01&cohort=entry")
    html = page(client, "/staff/reports/need-flow?start=2026-05-01&end=2026-04-01")
    assert "must not be before its start" in html


def test_a_manager_changes_a_unit_saving_with_csrf_and_it_is_audited(app, world):
    manager = sign_in(app.test_client(), "manager_north@example.org")
    html = page(manager, "/staff/reports/cost-benefit")
    assert "Illustrative default" in html and "22,576" in html
    refused = manager.post("/staff/reports/cost-benefit/savings/youth_offending",
                           data={"amount": "30000", "source": "Local costing 2026"})
    assert refused.status_code == 400
    done = manager.post("/staff/reports/cost-benefit/savings/youth_offending",
                        data={"amount": "£30,000", "source": "Local costing 2026", "csrf_token": form_token(manager)})
    assert done.status_code == 302
    with app.app_context():
        saved = db.session.get(UnitSaving, "youth_offending")
        assert float(saved.amount) == 30000 and saved.source == "Local costing 2026"
        assert db.session.scalar(sa.select(AuditEvent).filter_by(action="report.unit_saving")).detail["after"] == "30000.00"
    bad = manager.post("/staff/reports/cost-benefit/savings/youth_offending",
                       data={"amount": "lots", "source": "x", "csrf_token": form_token(manager)})
    assert bad.status_code == 400 and "not an amount of money" in bad.get_data(as_text=True)
    researcher = sign_in(app.test_client(), "researcher_north@example.org")
    assert researcher.post("/staff/reports/cost-benefit/savings/youth_offending",
                           data={"amount": "1", "source": "x", "csrf_token": form_token(researcher)}).status_code == 403


def _row_form(html: str, outcome: str) -> str:
    """The unit-saving form of one outcome's row."""
    start = html.index(f'action="/staff/reports/cost-benefit/savings/{outcome}')
    return html[start:html.index("</form>", start)]


@pytest.mark.parametrize("amount, source, problems", [
    ("lots", "Local costing 2026", {"amount": "not an amount of money"}),
    ("-5", "Local costing 2026", {"amount": "between £0 and £"}),
    ("", "Local costing 2026", {"amount": "not an amount of money"}),
    ("12,000", "   ", {"source": "say where the figure comes from"}),
    ("9" * 21, "", {"amount": "longer than 20", "source": "say where the figure comes from"}),
])
def test_a_refused_unit_saving_comes_back_with_what_was_typed_and_each_problem_beside_its_box(
        app, world, amount, source, problems):
    manager = sign_in(app.test_client(), "manager_north@example.org")
    with app.app_context():
        before = db.session.execute(sa.select(UnitSaving.outcome, UnitSaving.amount, UnitSaving.source)).all()
        audited = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.action == "report.unit_saving"))
    query = "start-day=1&start-month=1&start-year=2026&cohort=entry"
    refused = manager.post(f"/staff/reports/cost-benefit/savings/youth_offending?{query}",
                           data={"amount": amount, "source": source, "csrf_token": form_token(manager)})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    row = _row_form(html, "youth_offending")
    summary = html[html.index("There is a problem"):html.index("</div>", html.index("There is a problem"))]
    for part in ("amount", "source"):
        box = row[row.index(f'id="{part}-youth_offending"'):]
        box = box[:box.index(">")]
        # What was typed is in its box, whether or not it had a problem.
        typed = {"amount": amount, "source": source}[part]
        assert f'value="{typed}"' in box
        if part in problems:
            error = row[row.index(f'id="{part}-youth_offending-error"'):]
            assert problems[part] in error[:error.index("</p>")] and 'aria-invalid="true"' in box
            assert f'href="#{part}-youth_offending"' in summary
        else:
            assert f'{part}-youth_offending-error' not in row and 'aria-invalid' not in box
    # Only the refused row shows it: another outcome's boxes keep the stored figures, no errors.
    other = _row_form(html, "truancy")
    assert "error-message" not in other and 'value="lots"' not in other
    # The page is the one posted from: its filters kept, in the form's address too.
    entry_radio = re.search(r'<input[^>]*value="entry"[^>]*>', html).group(0)
    assert "checked" in entry_radio and 'name="cohort"' in entry_radio
    assert f"?{query}".replace("&", "&amp;") in row
    with app.app_context():
        assert db.session.execute(sa.select(UnitSaving.outcome, UnitSaving.amount, UnitSaving.source)).all() == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "report.unit_saving")) == audited


def test_a_saved_unit_saving_returns_to_the_page_with_its_filters(app, world):
    manager = sign_in(app.test_client(), "manager_north@example.org")
    query = "start-day=1&start-month=1&start-year=2026&cohort=entry"
    done = manager.post(f"/staff/reports/cost-benefit/savings/truancy?{query}",
                        data={"amount": "7,800.50", "source": "Local costing", "csrf_token": form_token(manager)})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/staff/reports/cost-benefit?{query}"
    html = page(manager, done.headers["Location"])
    assert "Unit saving changed." in html and "7,800" in html.split("Unit savings used above")[1]
    with app.app_context():
        assert str(db.session.get(UnitSaving, "truancy").amount) == "7800.50"


def test_flask_report_prints_csv_and_json_with_small_numbers_hidden(app, assessed):
    import json

    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "need-flow", "--site", "north", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["report"] == "need-flow" and "Counts below 10" in data["method"]
    flow = data["tables"][0]
    specialist = next(row for row in flow["rows"] if row["entry"] == "Specialist")
    assert specialist["exit_4"] == "<10"
    result = runner.invoke(args=["report", "need-flow", "--format", "csv", "--from", "2026-01-01"])
    assert result.exit_code == 0 and "Families by level of need" in result.output and "<10" in result.output
    bad = runner.invoke(args=["report", "need-flow", "--site", "nowhere"])
    assert bad.exit_code != 0 and "no site with code nowhere" in bad.output
    bad = runner.invoke(args=["report", "need-flow", "--from", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_flask_report_refresh_pairs_every_family_ahead_of_the_first_report(app, assessed):
    from feedback.reports.models import KeptAnswer, KeptStamp

    result = app.test_cli_runner().invoke(args=["report-refresh"])
    assert result.exit_code == 0, result.output
    assert all(f"{name}: " in result.output for name in ("need-flow", "risk-change", "cost-benefit"))
    with app.app_context():
        families = db.session.scalar(sa.select(sa.func.count(sa.distinct(KeptStamp.family_id))))
        assert families > 0 and db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer)) >= families


def test_report_refresh_drops_only_what_no_report_read(app, assessed):
    """``report-refresh --drop-unread``: a keeping of an old definition (no report reads it any
    more) goes with its stamps and check; everything the reports read stays, and the reports
    show the same figures afterwards without keeping anything again."""
    from feedback.reports import pair_store
    from feedback.reports.catalogue import run_report
    from feedback.reports.data import Filters
    from feedback.reports.models import KeptAnswer, KeptStamp
    from feedback.reports.response_changes import KeptCheck

    runner = app.test_cli_runner()
    assert runner.invoke(args=["report-refresh"]).exit_code == 0
    with app.app_context():
        before = {name: run_report(name, Filters()) for name in ("need-flow", "risk-change", "cost-benefit")}
        # The pairing need-flow kept before it shared one with risk-change and cost-benefit.
        old = pair_store.refresh("practitioner-assessment", ["level_of_need"], "family", "entry", "exit")
        counts = {}
        for table in (KeptAnswer, KeptStamp, KeptCheck):
            counts[table] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer).where(KeptAnswer.keeping == old))
    result = runner.invoke(args=["report-refresh", "--drop-unread"])
    assert result.exit_code == 0, result.output
    assert "dropped 1 keepings no report read" in result.output
    with app.app_context():
        for table in (KeptAnswer, KeptStamp, KeptCheck):
            assert not db.session.scalar(sa.select(sa.func.count()).select_from(table).where(table.keeping == old))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer)) < counts[KeptAnswer]
        kept = db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer))
        after = {name: run_report(name, Filters()) for name in before}
        assert after == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeptAnswer)) == kept  # nothing made again
    again = runner.invoke(args=["report-refresh", "--drop-unread"])
    assert "dropped 0 keepings no report read" in again.output
