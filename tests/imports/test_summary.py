"""An import's problems summarised: one line per column and kind of problem, with a count and row ranges."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feedback.imports.summary import capped, format_ranges, group_problems, row_ranges, summary_lines
from feedback.imports.validation import Problem, validate
from tests.imports.test_validation import LOOKUPS, catalogue, frame, household_row  # noqa: F401 (fixture)
from tests.imports.files import HOUSEHOLD


def test_a_required_column_left_blank_in_200_rows_is_one_line_with_the_count_and_the_range(catalogue):
    household = catalogue.get("household", 1)
    rows = [household_row(member_ref=f"M{n}", role="mother", f2="") for n in range(200)]
    report = validate(household, frame(HOUSEHOLD, *rows), LOOKUPS)
    assert len(report.problems) == 200
    assert summary_lines(report.problems) == ["f2: 200 rows blank — rows 2–201"]


def test_different_problems_in_a_column_and_in_other_columns_are_counted_apart(catalogue):
    household = catalogue.get("household", 1)
    rows = [household_row(member_ref=f"M{n}", role="mother") for n in range(12)]
    for index in (0, 1, 2, 5):
        rows[index] = household_row(member_ref=f"M{index}", role="mother", f2="")
    rows[3] = household_row(member_ref="M3", role="mother", f2="9")
    rows[7] = household_row(member_ref="M7", role="mother", f2="strongly agree")
    rows[8] = household_row(member_ref="M8", role="mother", completed_on="2026-13-01")
    report = validate(household, frame(HOUSEHOLD, *rows), LOOKUPS)
    assert summary_lines(report.problems) == [
        "f2: 4 rows blank — rows 2–4, 7",
        "f2: 2 rows not one of the question's codes — rows 5, 9",
        "completed_on: 1 row not a date written as year-month-day — row 10",
    ]


def test_problems_without_a_kind_group_only_with_the_same_message_in_the_same_column():
    problems = [Problem(None, None, "The file is empty."), Problem(1, "colour", "‘colour’ is not a column."),
                Problem(2, "role", "Leave role empty."), Problem(3, "role", "Leave role empty."),
                Problem(4, "role", "A child does not answer it.")]
    assert summary_lines(problems) == [
        "The file is empty.",
        "Row 1 (headings), colour: ‘colour’ is not a column.",
        "role: 2 rows: Leave role empty. — rows 2–3",
        "role: 1 row: A child does not answer it. — row 4",
    ]


def test_a_whole_row_problem_is_grouped_under_whole_row():
    problems = [Problem(row, None, f"This repeats row {row - 1}.", "repeat") for row in (3, 4, 9)]
    assert summary_lines(problems) == ["Whole row: 3 rows repeating an earlier row (one response per person, or "
                                       "family, per wave) — rows 3–4, 9"]


def test_row_ranges_are_written_as_in_print():
    assert format_ranges(row_ranges([40, 7, 19, 41])) == "7, 19, 40–41"
    assert row_ranges([]) == []


@given(st.lists(st.integers(min_value=2, max_value=400), max_size=200))
def test_every_row_is_in_exactly_one_range_and_ranges_are_sorted_and_maximal(rows):
    ranges = row_ranges(rows)
    covered = [row for first, last in ranges for row in range(first, last + 1)]
    assert covered == sorted(set(rows))
    assert all(first <= last for first, last in ranges)
    # Maximal: a gap of at least one row between one range and the next.
    assert all(after[0] > before[1] + 1 for before, after in zip(ranges, ranges[1:]))


@given(st.lists(st.tuples(st.integers(min_value=2, max_value=60), st.sampled_from(["a", "b"]),
                          st.sampled_from(["blank", "not_a_date", None])), max_size=80))
def test_each_problem_is_counted_in_exactly_one_group(specs):
    problems = [Problem(row, column, f"{kind} in {column}", kind) for row, column, kind in specs]
    groups = group_problems(problems)
    assert sorted((g.column, g.kind or "", row) for g in groups for row in g.rows) == sorted(
        set((column, kind or "", row) for row, column, kind in specs))
    assert len({(g.column, g.kind, g.description) for g in groups}) == len(groups)


def test_the_detail_is_capped_and_says_how_many_are_left_out():
    problems = [Problem(row, "f2", "blank", "blank") for row in range(2, 502)]
    shown, left_out = capped(problems, 200)
    assert len(shown) == 200 and left_out == 300
    assert capped(problems, None) == (problems, 0)
