"""Importing the partner agency survey: rows that name no one, stored as anonymous responses, all or nothing."""
from __future__ import annotations

import io
from datetime import datetime

import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports.models import ImportBatch
from feedback.imports.service import import_responses
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Answer, Response, Score
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation
from tests.conftest import csrf_token, table_count
from tests.imports.files import answered_row, cell, csv_bytes, xlsx_bytes
from tests.staff.scene import client_as

#: The seed evaluation's respondents: 49 managers and 120 practitioners.
MANAGERS, PRACTITIONERS = 49, 120


def partner_survey():
    return current_catalogue().get("partner-survey", 1)


def historic_file(roles: list[int], dated: bool = True) -> tuple[list[str], list[list[str]]]:
    """One row per respondent: valid random answers with the given role, dated through March 2025."""
    instrument = partner_survey()
    items = [item.id for item in instrument.items]
    rows = []
    for n, role in enumerate(roles):
        answers = answered_row(instrument, seed=n) | {"role": role}
        day = [f"2025-03-{1 + n % 28:02d}"] if dated else []
        rows.append(day + [cell(answers.get(item)) for item in items])
    return (["completed_on"] if dated else []) + items, rows


def test_the_seed_evaluations_responses_import_as_anonymous_responses_linked_to_no_one(ctx, world):
    headings, rows = historic_file([1] * MANAGERS + [2] * PRACTITIONERS)
    outcome = import_responses(csv_bytes(rows, headings), "partner-2025.csv", partner_survey(), "annual", None, None)
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    assert "Imported 169 partner-survey v1 response(s) for wave annual" in outcome.summary()
    responses = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
    assert len(responses) == 169
    assert {(r.anonymous, r.mode, r.status, r.wave, r.family_id, r.member_id, r.contact_id) for r in responses} == {
        (True, "import", "completed", "annual", None, None, None)}
    batch = db.session.scalar(sa.select(ImportBatch))
    assert {r.import_batch_id for r in responses} == {batch.id} and batch.responses == 169
    assert (batch.families_created, batch.members_created, batch.wave) == (0, 0, "annual")
    # The form's date, to the day only, as the app keeps an anonymous response's times.
    assert responses[0].completed_at == responses[0].started_at == datetime(2025, 3, 1)
    assert all(r.completed_at.time() == datetime.min.time() for r in responses)
    roles = db.session.execute(sa.select(sa.cast(Answer.value, sa.Text), sa.func.count())
                               .where(Answer.item_id == "role").group_by(sa.cast(Answer.value, sa.Text))).all()
    assert sorted((int(code), n) for code, n in roles) == [(1, MANAGERS), (2, PRACTITIONERS)]
    assert table_count(Score) == 169 * 3   # effectiveness, practice and safeguarding, as on the web
    assert table_count(Invitation) == 0


def test_without_completed_on_a_row_counts_as_answered_on_the_day_of_the_import(ctx, world):
    headings, rows = historic_file([2, 2], dated=False)
    outcome = import_responses(xlsx_bytes(rows, headings), None, partner_survey(), "annual", None, None)
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    completed = db.session.scalars(sa.select(Response.completed_at)).all()
    assert len(completed) == 2 and all(c.date() == utcnow().date() and c.hour == 0 for c in completed)


def test_a_file_with_bad_rows_changes_nothing_and_reports_every_bad_row(ctx, world):
    headings, rows = historic_file([1, 2, 2, 1])
    rows[0][headings.index("role")] = "4"                      # no such role
    rows[2][headings.index("eff_right_families")] = ""          # a required question left empty
    rows[3][headings.index("completed_on")] = "next week"
    outcome = import_responses(csv_bytes(rows, headings), "bad.csv", partner_survey(), "annual", None, None)
    assert outcome.status == "refused"
    found = [(p.row, p.column) for p in outcome.problems]
    assert found == [(2, "role"), (4, "eff_right_families"), (5, "completed_on")]
    assert "Nothing was imported: 3 problem(s) in 3 row(s)." in outcome.summary()
    assert table_count(Response) == 0 and table_count(ImportBatch) == 0 and table_count(Answer) == 0


def test_a_file_naming_a_site_family_or_member_is_refused_before_anything_is_stored(ctx, world):
    headings, rows = historic_file([1])
    named = ["site", "case_ref"] + headings
    outcome = import_responses(csv_bytes([["north", "N-1"] + rows[0]], named), None, partner_survey(), "annual",
                               None, None)
    assert outcome.status == "refused"
    assert [(p.row, p.column) for p in outcome.problems] == [(1, "site"), (1, "case_ref")]
    assert "answered anonymously by partner agencies' staff" in outcome.problems[0].message
    assert table_count(Response) == 0


def test_the_import_page_offers_the_partner_surveys_wave_and_refuses_a_family_wave(app, world):
    client = client_as(app, "researcher_north")
    page = client.get("/staff/imports").get_data(as_text=True)
    assert "annual – Yearly partner survey" in page and "partner-survey</code> v1" in page
    with app.app_context():
        headings, rows = historic_file([1, 2])

    def upload(wave):
        return client.post("/staff/imports", content_type="multipart/form-data", data={
            "file": (io.BytesIO(csv_bytes(rows, headings)), "partner.csv"), "instrument": "partner-survey:1",
            "wave": wave, "csrf_token": csrf_token(client.get("/staff/imports").get_data(as_text=True))})

    wrong = upload("exit")
    assert wrong.status_code == 422 and "wave &#39;exit&#39; asks others. Choose one of: annual." in wrong.get_data(
        as_text=True)
    with app.app_context():
        assert table_count(Response) == 0
    done = upload("annual")
    assert done.status_code == 302
    with app.app_context():
        assert table_count(Response, anonymous=True, wave="annual") == 2


def test_flask_import_responses_takes_the_partner_survey(app, world, tmp_path):
    with app.app_context():
        headings, rows = historic_file([1, 2, 2])
    path = tmp_path / "partner.csv"
    path.write_bytes(csv_bytes(rows, headings))
    result = app.test_cli_runner().invoke(args=["import-responses", str(path), "--instrument", "partner-survey",
                                                "--version", "1", "--wave", "annual"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert table_count(Response, anonymous=True, mode="import") == 3
