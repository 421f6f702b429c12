"""Reports read "not collected" (-6: an imported file had no column for the question) as no answer,
never as a category or a rating."""
from __future__ import annotations

import pandas as pd

from feedback.instruments.definition import NOT_COLLECTED
from feedback.reports import exit_feedback, need_flow, partner_survey
from tests.reports.test_partner_survey import ANSWERS, INVITED, QUESTIONS, answers, by_label

LEVELS = {1: "Universal", 2: "Targeted", 3: "Specialist", 4: "Statutory"}


def cells(report) -> set[str]:
    return {str(value) for table in report.tables for row in table.rows for value in row.values()}


def test_the_partner_survey_shows_no_not_collected_row_and_counts_no_one_for_it():
    with_gaps = pd.concat([ANSWERS, answers(("practitioner", "eff_right_families", NOT_COLLECTED, 4))],
                          ignore_index=True)
    report = partner_survey.compute(INVITED, with_gaps, QUESTIONS)
    first = report.tables[2]
    assert set(by_label(first)) == set(by_label(partner_survey.compute(INVITED, ANSWERS, QUESTIONS).tables[2]))
    assert by_label(first)["Total"]["practitioner"] == 12
    assert not {"-6", "Not collected"} & cells(report)


def test_level_of_need_not_collected_at_entry_or_exit_is_no_move():
    moves = pd.DataFrame([("level_of_need", 2, 3, 5), ("level_of_need", 2, 2, 4),
                          ("level_of_need", NOT_COLLECTED, 3, 7), ("level_of_need", 3, NOT_COLLECTED, 6)],
                         columns=["item_id", "before", "after", "n"])
    report = need_flow.compute(moves, LEVELS)
    summary = by_label(report.tables[1])
    assert summary["Total"]["families"] == 9
    assert summary["Escalated (higher need at exit)"]["families"] == 5
    assert not {"-6", "Not collected"} & cells(report)


def test_the_exit_interview_counts_only_answers():
    counts = pd.DataFrame([("exit", "felt_listened_to", 1, 6), ("exit", "felt_listened_to", NOT_COLLECTED, 9)],
                          columns=["wave", "item_id", "value", "n"])
    report = exit_feedback.compute(counts, {"felt_listened_to": ("Did you feel listened to?", {1: "Yes", 0: "No"})})
    rows = by_label(report.tables[0])
    assert rows["Total"]["people"] == 6 and set(rows) == {"Yes", "No", "Total"}
