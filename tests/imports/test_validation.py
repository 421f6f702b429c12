"""Checking a file against an instrument version: pure rules, no app and no database."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from feedback.imports.validation import Lookups, answered_for, validate
from feedback.instruments import load_catalogue
from tests.imports.files import HOUSEHOLD, answered_row, cell

TODAY = date(2026, 3, 1)
LOOKUPS = Lookups(sites={"north": 1, "south": 2}, allowed_sites=None, today=TODAY,
                  members={("north", "N-1", "M1"): "mother", ("north", "N-1", "C1"): "child"})


@pytest.fixture(scope="module")
def catalogue(questionnaires_dir):
    return load_catalogue(questionnaires_dir)


def frame(headings: list[str], *rows: list) -> pd.DataFrame:
    """Rows as ``read_table`` gives them: text cells, numbered from 2 below the headings."""
    return pd.DataFrame([[str(value) for value in row] for row in rows], columns=headings,
                        index=range(2, 2 + len(rows)), dtype=object)


def household_row(**changes) -> list:
    cells = dict(zip(HOUSEHOLD, ["north", "N-1", "M1", "2026-02-01", "", "1", "2", "3", "1;2", "1", "4", "", "7",
                                 "", "", ""]))
    cells.update(changes)
    return [cells[name] for name in HOUSEHOLD]


def problems(report) -> list[tuple]:
    return [(p.row, p.column) for p in report.problems]


def test_every_importable_shipped_instrument_reads_back_what_the_web_form_would_store(catalogue):
    for instrument in catalogue:
        kind = answered_for(instrument)
        if kind is None:
            continue
        items = [item.id for item in instrument.items]
        answers = answered_row(instrument, seed=len(items))
        member_ref = "" if kind == "family" else "M1"
        table = frame(["site", "case_ref", "member_ref", "completed_on", *items],
                      ["north", "N-1", member_ref, "2026-02-01", *(cell(answers.get(i)) for i in items)])
        if kind == "partner":  # anonymous: no site, family or member
            table = table.drop(columns=["site", "case_ref", "member_ref"])
        report = validate(instrument, table, LOOKUPS)
        assert report.ok, (instrument.id, [str(p) for p in report.problems])
        assert report.rows[0].answers == answers, instrument.id


def test_each_instrument_is_answered_for_a_member_a_family_or_anonymously_by_partners(catalogue):
    kinds = {instrument.id: answered_for(instrument) for instrument in catalogue}
    assert kinds == {"exit-interview": "member", "family-functioning": "member", "family-star": "either",
                     "follow-up": "member", "household": "member", "member-assessment": "family",
                     "partner-survey": "partner", "practitioner-assessment": "family"}
    report = validate(catalogue.get("partner-survey", 1), frame(["site"], ["north"]), LOOKUPS)
    assert ("Row 1 (headings), site: Remove the column ‘site’: partner-survey is answered anonymously by partner "
            "agencies' staff, so its responses belong to no site, family or member.") in map(str, report.problems)


@pytest.mark.parametrize("changes, cell_value", [
    ({"f1": "Agree"}, None),                # the words of an answer are not its code
    ({"has_children": "yes"}, None),
    ({"f1": "2.0"}, 2),                     # a number typed with a decimal point is still the code
    ({"f1": "-9"}, -9),                     # a missing code is an answer
    ({"school": "3; 1"}, [1, 3]),           # stored in the instrument's order, as ticked boxes are
    ({"school": "1;1"}, [1]),
    ({"adults": "-9"}, -9),                 # a number item's missing code
    ({"adults": "1,2"}, 12),                # as the web form reads "1,000"
    ({"moved_in": "2026-02-02"}, None),     # after the form was completed
    ({"moved_in": "1899-12-31"}, None),
    ({"postcode": "  AB1 2CD "}, "AB1 2CD"),
])
def test_cells_are_read_as_codes_and_values_by_the_web_forms_rules(catalogue, changes, cell_value):
    report = validate(catalogue.get("household", 1), frame(HOUSEHOLD, household_row(**changes)), LOOKUPS)
    [(item_id, _text)] = changes.items()
    if cell_value is None:
        assert problems(report) == [(2, item_id)]
    else:
        assert report.ok and report.rows[0].answers[item_id] == cell_value


def test_an_empty_cell_is_fine_for_an_optional_item_and_a_question_the_form_did_not_ask(catalogue):
    # No children: the children page is not shown, so its required count may be empty.
    row = household_row(has_children="0", children_count="", school="", f3="", moved_in="", comments="")
    report = validate(catalogue.get("household", 1), frame(HOUSEHOLD, row), LOOKUPS)
    assert report.ok and report.rows[0].answers == {"has_children": 0, "adults": 2, "f1": 1, "f2": 4, "rating": 7}
    shown = validate(catalogue.get("household", 1), frame(HOUSEHOLD, household_row(adults="", children_count="")),
                     LOOKUPS)
    assert [str(p) for p in shown.problems] == [
        "Row 2, adults: This question must be answered, but the cell is empty. Where the form has no answer, "
        "enter a missing code: -9 (Prefer not to say).",
        "Row 2, children_count: This question must be answered, but the cell is empty."]


def test_the_family_star_is_the_key_workers_without_a_member_and_a_carers_with_one(catalogue):
    star = catalogue.get("family-star", 1)
    items = [item.id for item in star.items]
    answers = answered_row(star, seed=3)
    cells = [cell(answers.get(i)) for i in items]
    table = frame(["site", "case_ref", "member_ref", "completed_on", "role", *items],
                  ["north", "N-1", "", "2026-02-01", "", *cells],      # the key worker's reading
                  ["north", "N-1", "M1", "2026-02-01", "", *cells],    # the mother's
                  ["north", "N-1", "C1", "2026-02-01", "", *cells],    # a child does not answer it
                  ["north", "N-1", "M2", "2026-02-01", "", *cells],    # a new member needs a carer's role
                  ["north", "N-1", "M3", "2026-02-01", "father", *cells],
                  ["north", "N-2", "", "2026-02-01", "mother", *cells])  # a role with no member
    report = validate(star, table, LOOKUPS)
    assert problems(report) == [(4, "member_ref"), (5, "role"), (7, "role")]
    assert "recorded as child; family-star is answered by parents and carers" in report.problems[0].message


def test_a_file_missing_a_key_column_is_refused_at_its_headings(catalogue):
    headings = [name for name in HOUSEHOLD if name not in ("completed_on", "rating")]
    row = [value for name, value in zip(HOUSEHOLD, household_row()) if name not in ("completed_on", "rating")]
    report = validate(catalogue.get("household", 1), frame(headings, row, row), LOOKUPS)
    # A required item's column may be left out: the item was not collected (see test_not_collected).
    assert problems(report) == [(1, "completed_on")]


def test_a_missing_optional_item_column_is_an_empty_answer(catalogue):
    headings = [name for name in HOUSEHOLD if name not in ("comments", "role")]
    row = [value for name, value in zip(HOUSEHOLD, household_row()) if name not in ("comments", "role")]
    report = validate(catalogue.get("household", 1), frame(headings, row), LOOKUPS)
    assert report.ok and "comments" not in report.rows[0].answers


def test_rows_already_completed_in_the_app_are_refused(catalogue):
    lookups = Lookups(sites={"north": 1}, allowed_sites=frozenset({"north"}), today=TODAY,
                      members={("north", "N-1", "M1"): "mother"}, answered=frozenset({("north", "N-1", "M1")}))
    report = validate(catalogue.get("household", 1), frame(HOUSEHOLD, household_row()), lookups)
    assert [str(p) for p in report.problems] == [
        "Row 2: The app already has a completed household response from member M1 of case N-1 in this wave. "
        "Remove the row."]
