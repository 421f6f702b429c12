"""Importing a file: families, members and scored responses stored as the app stores them, all or nothing, once."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import Family, Member
from feedback.families.service import add_member, create_family
from feedback.imports.models import ImportBatch
from feedback.imports.service import import_responses
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Answer, Response, Score
from feedback.survey.service import complete, create_response, save_answers
from feedback.waves.models import Invitation
from tests.conftest import table_count
from tests.families.helpers import family_with_members
from tests.imports.files import HOUSEHOLD, csv_bytes, instrument_rows, xlsx_bytes
from tests.staff.scene import snapshot

FILLED = ["north", "N-1", "M1", "2025-06-01", "", "1", "2", "3", "1;2", "1", "4", "2", "7", "2020-05-01", "AB1 2CD",
          "Fine"]
#: M1's answers as the web form would have stored them.
FILLED_ANSWERS = {"has_children": 1, "adults": 2, "children_count": 3, "school": [1, 2], "f1": 1, "f2": 4, "f3": 2,
                  "rating": 7, "moved_in": "2020-05-01", "postcode": "AB1 2CD", "comments": "Fine"}
ROWS = [
    FILLED,
    # A new member of the same family: gaps in optional items, a missing code, the condition hiding page 2.
    ["north", "N-1", "M2", "2025-06-02", "father", "0", "-9", "", "", "2", "3", "", "5", "", "", ""],
    # A new family, and a young person in it.
    ["north", "N-2", "Y1", "2025-06-03", "young_person", "0", "1", "", "", "-9", "2", "3", "10", "", "", ""],
]


def household():
    return current_catalogue().get("household", 1)


@pytest.fixture
def known_family(ctx, world):
    """N-1 at north, with its mother already recorded under the reference M1."""
    family = create_family(world["north"], "N-1", world["kw_north"])
    add_member(family, "mother", "Mum", 1988, 3, "en", "none", None, member_ref="M1")
    db.session.commit()
    return family.id


def web_scores(answers: dict) -> list[tuple]:
    """The scores the web survey gives the same answers."""
    response, _token = create_response(household(), 28)
    save_answers(response, answers, mode="web")
    complete(response, household())
    return sorted((s.scale_id, s.value, s.answered, s.items, s.flagged, s.band, s.scoring_version)
                  for s in db.session.scalars(sa.select(Score).filter_by(response_id=response.id)))


@pytest.mark.parametrize("make_file", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_file_becomes_completed_scored_responses_with_new_families_and_members(ctx, world, known_family, make_file):
    outcome = import_responses(make_file(ROWS), "round.csv", household(), "exit", None, None)
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    assert "Imported 3 household v1 response(s) for wave exit; 1 new family(ies), 2 new member(s)" in outcome.summary()

    mother = db.session.scalar(sa.select(Member).filter_by(family_id=known_family, member_ref="M1"))
    father = db.session.scalar(sa.select(Member).filter_by(family_id=known_family, member_ref="M2"))
    assert (mother.name, mother.role) == ("Mum", "mother")  # found, not created again
    assert (father.name, father.role, father.phone) == (None, "father", None)
    new_family = db.session.scalar(sa.select(Family).filter_by(case_ref="N-2"))
    assert new_family.site_id == world["north"] and [(m.member_ref, m.role) for m in new_family.members] == [
        ("Y1", "young_person")]
    # No dates, no phone, no consent: nobody the file brought in is invited to anything.
    assert table_count(Invitation, family_id=new_family.id) == 0
    assert not db.session.scalars(sa.select(Invitation).filter_by(member_id=father.id)).all()

    response = db.session.scalar(sa.select(Response).filter_by(member_id=mother.id))
    instrument = household()
    assert (response.mode, response.status, response.wave) == ("import", "completed", "exit")
    assert (response.instrument_id, response.version, response.content_hash) == (
        "household", 1, instrument.content_hash)
    assert response.completed_at == datetime(2025, 6, 1, 12, 0)
    assert response.family_id == known_family and response.import_batch_id == outcome.batch.id
    assert response.answer_values() == FILLED_ANSWERS
    imported_scores = sorted((s.scale_id, s.value, s.answered, s.items, s.flagged, s.band, s.scoring_version)
                             for s in response.scores)
    assert imported_scores == web_scores(FILLED_ANSWERS) and imported_scores[0][1] is not None

    father_response = db.session.scalar(sa.select(Response).filter_by(member_id=father.id))
    assert father_response.answer_values() == {"has_children": 0, "adults": -9, "f1": 2, "f2": 3, "rating": 5}
    assert table_count(Response, mode="import") == 3


def test_a_file_with_bad_rows_stores_nothing_and_reports_every_row_and_cell(ctx, world, known_family):
    headings = HOUSEHOLD + ["favourite_colour"]
    good = FILLED + [""]

    def row(**changes):
        cells = dict(zip(headings, good))
        cells.update(changes)
        return [cells[name] for name in headings]

    rows = [
        good,                                                     # row 2: fine
        row(site="nowhere", member_ref="M3", role="mother"),      # 3: no such site
        row(member_ref="M4", role="mother", f1="7", adults="40"),  # 4: two bad cells
        row(member_ref="M5", role="mother", completed_on=(date.today() + timedelta(days=2)).isoformat()),  # 5
        row(member_ref="M6", role="mother", completed_on="01/06/2025"),  # 6: not year-month-day
        row(member_ref=""),                                       # 7: whose answers?
        row(member_ref="M7", role="mother", rating=""),           # 8: a required item empty
        row(),                                                    # 9: repeats row 2
        row(member_ref="M8", role="mother", school="1;5"),        # 10: 5 is not a code
        row(member_ref="M9", role="grandma"),                     # 11: not a member role
        row(member_ref="M10"),                                    # 12: new, no role: "other" does not answer
        row(site="south", case_ref="S-1", member_ref="M1", role="mother"),  # 13: not this person's site
        row(member_ref="M1", role="father"),                      # 14: M1 is recorded as a mother (and repeats 2)
    ]
    before = snapshot()
    outcome = import_responses(csv_bytes(rows, headings), "bad.csv", household(), "exit", None, {world["north"]})
    assert outcome.status == "refused"
    found = [(p.row, p.column) for p in outcome.problems]
    assert found == [
        (1, "favourite_colour"), (3, "site"), (4, "adults"), (4, "f1"), (5, "completed_on"), (6, "completed_on"),
        (7, "member_ref"), (8, "rating"), (9, None), (10, "school"), (11, "role"), (12, "role"), (13, "site"),
        (14, None), (14, "role"),
    ], [str(p) for p in outcome.problems]
    messages = {(p.row, p.column): p.message for p in outcome.problems}
    assert "no site with code ‘nowhere’" in messages[(3, "site")]
    assert "40 is outside this question's range, 1 to 12" in messages[(4, "adults")]
    assert "‘7’ is not one of this question's codes (1, 2, 3, 4, -9)" in messages[(4, "f1")]
    assert "in the future" in messages[(5, "completed_on")]
    assert "must be answered" in messages[(8, "rating")]
    assert "repeats row 2" in messages[(9, None)]
    assert "not one of your sites" in messages[(13, "site")]
    assert "recorded as mother, not father" in messages[(14, "role")]
    assert "Nothing was imported: 15 problem(s) in 12 row(s)" in outcome.summary()
    assert snapshot() == before


def test_importing_the_same_file_again_changes_nothing_and_says_so(ctx, world, known_family):
    data = csv_bytes(ROWS)
    first = import_responses(data, "forms.csv", household(), "exit", None, None)
    assert first.status == "imported"
    before = snapshot()
    again = import_responses(data, "forms-copy.csv", household(), "exit", None, None)
    assert again.status == "already_imported" and again.batch.id == first.batch.id
    assert "already imported" in again.summary() and "Nothing was changed" in again.summary()
    assert snapshot() == before
    # The same forms in a file that differs (here, no byte-order mark) are caught row by row.
    copy = import_responses(csv_bytes(ROWS, bom=False), "forms.csv", household(), "exit", None, None)
    assert copy.status == "refused" and len(copy.problems) == 3
    assert all("already has a completed household response" in p.message for p in copy.problems)
    assert snapshot() == before


def test_each_import_is_audited_without_personal_details(ctx, world, known_family):
    outcome = import_responses(csv_bytes(ROWS), "Smith family.csv", household(), "exit", None, None)
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="responses.imported"))
    assert (event.subject_type, event.subject_id) == ("import_batches", outcome.batch.id)
    assert event.detail == {"file_sha256": outcome.batch.file_sha256, "instrument": "household", "version": 1,
                            "wave": "exit", "responses": 3, "families_created": 1, "members_created": 2,
                            "sites": ["north"]}
    assert table_count(ImportBatch) == 1 and table_count(Answer) > 0


def test_the_key_workers_family_assessment_has_no_member(ctx, world):
    instrument = current_catalogue().get("practitioner-assessment", 1)
    headings, rows, answers = instrument_rows(instrument, [("north", "N-9", "", "2025-05-01", "")])
    headings.remove("member_ref")  # not needed for an assessment of the family
    del rows[0][2]
    outcome = import_responses(csv_bytes(rows, headings), None, instrument, "entry", None, None)
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    response = db.session.scalar(sa.select(Response))
    assert response.member_id is None and response.family_id is not None
    assert response.answer_values() == answers[0]
    assert len(response.scores) == len(instrument.scales)
    assert table_count(Member) == 0

    with_member = [row[:2] + ["M1"] + row[2:] for row in rows]
    refused = import_responses(csv_bytes(with_member, headings[:2] + ["member_ref"] + headings[2:]), None,
                               instrument, "exit", None, None)
    assert [(p.row, p.column) for p in refused.problems] == [(2, "member_ref")]


def test_an_invitation_still_open_for_the_same_answers_is_completed(ctx, world):
    family, (mother, _child) = family_with_members(world["north"], world["kw_north"], "N-5",
                                                   entry=date.today() - timedelta(days=3))
    mother.member_ref = "M1"
    db.session.commit()
    invitation = db.session.scalar(sa.select(Invitation).filter_by(member_id=mother.id, wave="entry",
                                                                   instrument_id="family-functioning"))
    assert invitation.state in ("planned", "due")
    instrument = current_catalogue().get("family-functioning", 1)
    headings, rows, _answers = instrument_rows(instrument, [("north", "N-5", "M1", date.today().isoformat(), "")])
    outcome = import_responses(csv_bytes(rows, headings), None, instrument, "entry", None, None)
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    db.session.refresh(invitation)
    assert (invitation.state, invitation.next_send_at) == ("completed", None)
    assert invitation.response_id == db.session.scalar(sa.select(Response.id).filter_by(mode="import"))


def test_a_family_recorded_by_someone_else_during_the_import_leaves_nothing_half_done(ctx, world, known_family,
                                                                                     monkeypatch):
    from feedback.families.service import FamilyError
    from feedback.imports import service

    def taken(*_args, **_kwargs):
        raise FamilyError("Case reference N-2 is already used at this site.")

    monkeypatch.setattr(service, "create_family", taken)  # N-2, the third row, after two are stored
    before = snapshot()
    outcome = import_responses(csv_bytes(ROWS), None, household(), "exit", None, None)
    assert outcome.status == "refused" and "import the file again" in outcome.problems[0].message
    assert snapshot() == before
