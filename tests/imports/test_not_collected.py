"""Importing only what was recorded: items without a column are "not collected", derived items are worked out."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.imports.service import import_responses
from feedback.instruments.definition import NOT_COLLECTED
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response, Score
from tests.imports.files import csv_bytes

HEADINGS = ["site", "case_ref", "completed_on", "level_of_need"]
#: Level of need at entry and at exit: up, the same, down; N-4 has no entry assessment.
ENTRY = [["north", "N-1", "2025-01-10", "2"], ["north", "N-2", "2025-01-11", "3"], ["north", "N-3", "2025-01-12", "3"]]
EXIT = [["north", "N-1", "2025-06-10", "4"], ["north", "N-2", "2025-06-11", "3"], ["north", "N-3", "2025-06-12", "1"],
        ["north", "N-4", "2025-06-13", "2"]]


def assessment(version: int = 2):
    return current_catalogue().get("practitioner-assessment", version)


def answers_by_case(wave: str) -> dict[str, dict]:
    rows = db.session.execute(sa.select(Family.case_ref, Response).join(Response, Response.family_id == Family.id)
                              .where(Response.wave == wave)).all()
    return {case_ref: response.answer_values() for case_ref, response in rows}


def imported(rows: list[list], wave: str, headings: list[str] = HEADINGS, version: int = 2):
    outcome = import_responses(csv_bytes(rows, headings), None, assessment(version), wave, None, None)
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    return outcome


def test_a_file_of_levels_of_need_alone_imports_with_every_other_item_not_collected(ctx, world):
    imported(ENTRY, "entry")
    entry = answers_by_case("entry")
    assert entry["N-1"]["level_of_need"] == 2
    assert entry["N-1"]["assessment_point"] == 1  # from the wave: v2 says the item may be derived
    for item in assessment().items:
        if item.id.startswith(("risk_", "resilience_")):
            assert entry["N-1"][item.id] == NOT_COLLECTED, item.id  # never -8 "not known"
    assert "notes" not in entry["N-1"]  # free text holds no codes: left unanswered
    assert "need_escalated" not in entry["N-1"]  # asked at exit only


def test_need_escalated_is_derived_from_the_entry_level_already_stored(ctx, world):
    imported(ENTRY, "entry")
    imported(EXIT, "exit")
    exit_ = answers_by_case("exit")
    assert {case: answers["need_escalated"] for case, answers in exit_.items()} == {
        "N-1": 1, "N-2": 0, "N-3": 0, "N-4": NOT_COLLECTED}
    assert all(answers["assessment_point"] == 2 for answers in exit_.values())
    # Asked only when need went up: shown for N-1 and, with no column, not collected.
    assert exit_["N-1"]["escalation_reason"] == NOT_COLLECTED and "escalation_reason" not in exit_["N-2"]


def test_a_column_the_file_has_is_used_rather_than_derived(ctx, world):
    imported(ENTRY, "entry")
    rows = [row + ["2", "0"] for row in EXIT[:1]]
    imported(rows, "exit", HEADINGS + ["assessment_point", "need_escalated"])
    assert answers_by_case("exit")["N-1"]["need_escalated"] == 0  # as the key worker said, though need went up


def test_not_collected_items_are_never_scored(ctx, world):
    imported(ENTRY, "entry")
    score = db.session.scalar(sa.select(Score).filter_by(scale_id="resilience_count"))
    assert (score.value, score.answered, score.items) == (None, 0, 12)


def test_a_blank_cell_in_a_required_column_the_file_has_is_still_an_error(ctx, world):
    rows = [ENTRY[0], ["north", "N-2", "2025-01-11", ""]]
    outcome = import_responses(csv_bytes(rows, HEADINGS), None, assessment(), "entry", None, None)
    assert outcome.status == "refused"
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "level_of_need")]
    assert "must be answered" in outcome.problems[0].message


def test_a_file_without_any_item_column_is_refused(ctx, world):
    outcome = import_responses(csv_bytes([row[:3] for row in ENTRY], HEADINGS[:3]), None, assessment(), "entry",
                               None, None)
    assert outcome.status == "refused"
    assert [(p.row, p.column) for p in outcome.problems] == [(1, None)]
    assert outcome.problems[0].message.startswith(
        "The file has no column for any question of practitioner-assessment version 2. Add a column")


def test_an_answer_asked_only_after_an_item_the_file_lacks_cannot_be_kept(ctx, world):
    rows = [row + ["1"] for row in EXIT[:1]]
    outcome = import_responses(csv_bytes(rows, HEADINGS + ["escalation_reason"]), None, assessment(1), "exit",
                               None, None)
    assert outcome.status == "refused"
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "escalation_reason")]
    assert "Add the column ‘assessment_point’" in outcome.problems[0].message


def test_version_1_has_nothing_to_derive_so_its_omitted_items_are_not_collected(ctx, world):
    imported(EXIT[:1], "exit", version=1)
    answers = answers_by_case("exit")["N-1"]
    assert answers["assessment_point"] == NOT_COLLECTED and answers["level_of_need"] == 4
    assert "need_escalated" not in answers  # its condition (assessment_point 2) is not known to hold
