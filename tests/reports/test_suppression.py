"""Report tables with small numbers hidden, so that no table can point at a family."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.reports.suppression import (
    HIDDEN, NO_DATA, SmallNumbers, suppress_means, suppress_proportions, suppress_table,
)

OUTCOMES = pd.DataFrame({"Better": [5, 20, 30], "Same": [12, 15, 3], "Worse": [40, 2, 11]},
                        index=["North", "South", "East"])


def _lines(result):
    """Each row or column that adds up to a total: (its cells, its total), as labels."""
    frame = result.values
    lines = []
    if result.total_column is not None:
        for row in frame.index:
            lines.append(([(row, c) for c in frame.columns if c != result.total_column], (row, result.total_column)))
    if result.total_row is not None:
        for column in frame.columns:
            lines.append(([(r, column) for r in frame.index if r != result.total_row], (result.total_row, column)))
    return lines


# --- Primary suppression and zeros ------------------------------------------------------------

def test_counts_below_ten_are_shown_as_less_than_ten_and_others_as_they_are():
    result = suppress_table(pd.DataFrame({"Families": [3, 10, 9, 250]}, index=["A", "B", "C", "D"]))
    assert result.display["Families"].tolist() == ["<10", "10", "<10", "250"]
    assert result.suppressed["Families"].tolist() == [True, False, True, False]
    assert result.shown["Families"].tolist() == [None, 10, None, 250]


def test_the_threshold_is_configurable_and_named_in_the_text():
    result = suppress_table(pd.DataFrame({"n": [4, 5]}), rule=SmallNumbers(threshold=5))
    assert result.display["n"].tolist() == ["<5", "5"]
    assert "Counts below 5 are shown as <5" in result.method


def test_a_true_zero_is_shown_by_default():
    result = suppress_table(pd.DataFrame({"n": [0, 4]}))
    assert result.display["n"].tolist() == ["0", "<10"]
    assert result.shown["n"].tolist() == [0, None]


def test_zeros_can_be_hidden_where_a_zero_itself_would_disclose():
    rule = SmallNumbers(suppress_zeros=True)
    result = suppress_table(pd.DataFrame({"n": [0, 4, 12]}), rule=rule)
    assert result.display["n"].tolist() == ["<10", "<10", "12"]
    assert "including zero" in rule.method


def test_the_method_sentence_describes_the_rule():
    assert suppress_table(OUTCOMES).method == (
        "Counts below 10 are shown as <10; further cells are hidden, shown as [c], so that totals cannot reveal "
        "them (secondary suppression). Percentages and means based on fewer than 10 are not shown, nor "
        "percentages that would reveal a hidden count.")


@pytest.mark.parametrize("threshold", [0, 1, 2, 2.5, True, "10"])
def test_a_threshold_that_cannot_protect_anyone_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        SmallNumbers(threshold=threshold)


# --- Secondary suppression ---------------------------------------------------------------------

def test_one_hidden_cell_in_a_row_with_a_total_takes_the_smallest_other_cell_with_it():
    table = pd.DataFrame({"Better": [4], "Same": [25], "Worse": [12]}, index=["North"])
    result = suppress_table(table, add_total_column=True)
    assert result.display.loc["North"].tolist() == ["<10", "25", HIDDEN, "41"]


def test_the_second_cell_is_never_a_zero_because_hiding_a_zero_protects_nothing():
    table = pd.DataFrame({"Better": [4], "Same": [0], "Worse": [12]}, index=["North"])
    result = suppress_table(table, add_total_column=True)
    assert result.display.loc["North"].tolist() == ["<10", "0", HIDDEN, "16"]


def test_a_second_cell_that_would_pin_the_small_one_is_passed_over():
    # "<10" + "[c]" = 11 with "[c]" meaning 10 or more would give 1 and 10 away.
    table = pd.DataFrame({"a": [1], "b": [10], "c": [30]})
    result = suppress_table(table, add_total_column=True)
    assert result.display.iloc[0].tolist() == ["<10", "10", HIDDEN, "41"]


def test_two_small_cells_that_could_only_be_one_each_are_protected():
    table = pd.DataFrame({"a": [1], "b": [1], "c": [20]})
    result = suppress_table(table, add_total_column=True)
    assert result.display.iloc[0].tolist() == ["<10", "<10", HIDDEN, "22"]


def test_a_small_total_is_itself_hidden():
    result = suppress_table(pd.DataFrame({"a": [3], "b": [4]}), add_total_column=True)
    assert result.display.iloc[0].tolist() == ["<10", "<10", "<10"]


def test_a_table_with_both_totals_hides_cells_across_rows_and_columns():
    result = suppress_table(OUTCOMES, add_total_row=True, add_total_column=True)
    assert result.display.to_dict("index") == {
        "North": {"Better": "<10", "Same": HIDDEN, "Worse": "40", "Total": "57"},
        "South": {"Better": HIDDEN, "Same": HIDDEN, "Worse": "<10", "Total": "37"},
        "East": {"Better": "30", "Same": "<10", "Worse": HIDDEN, "Total": "44"},
        "Total": {"Better": "55", "Same": "30", "Worse": "53", "Total": "138"},
    }


def test_column_totals_alone_protect_down_each_column():
    result = suppress_table(OUTCOMES, add_total_row=True)
    assert result.display["Better"].tolist() == ["<10", HIDDEN, "30", "55"]
    assert "Total" not in result.values.columns


def test_totals_already_in_the_table_are_used_where_they_are():
    table = OUTCOMES.assign(All=OUTCOMES.sum(axis=1))
    result = suppress_table(table, total_column="All")
    assert result.display.loc["North"].tolist() == ["<10", HIDDEN, "40", "57"]


def test_a_hidden_cell_cannot_be_worked_out_by_combining_several_rows_and_columns():
    # Hiding a second cell in each row and column is not enough here: row 2 is "<10 0 0 | <10",
    # so its cell equals its total, and the first column and the row totals then give both away.
    table = pd.DataFrame([[28, 8, 9], [6, 0, 0], [2, 23, 0]])
    result = suppress_table(table, add_total_row=True, add_total_column=True)
    assert not _recoverable(result)


def test_a_table_no_choice_of_cells_can_protect_is_withheld_whole():
    # Nine families, one in each of nine columns: "<10" nine times adding to "<10" can only be
    # nine 1s, whatever else is hidden.
    table = pd.DataFrame([[1] * 9], columns=list("abcdefghi"))
    result = suppress_table(table, add_total_column=True)
    assert result.withheld
    assert result.suppressed.to_numpy().all()
    assert set(result.display.iloc[0]) == {HIDDEN}  # not "<10": that alone would give the 1s away


def test_suppression_can_be_turned_off_for_researchers():
    rule = SmallNumbers(enabled=False)
    result = suppress_table(OUTCOMES, add_total_row=True, add_total_column=True, rule=rule)
    assert not result.suppressed.to_numpy().any()
    assert result.display.loc["North", "Better"] == "5"
    assert result.shown.loc["South", "Worse"] == 2
    assert "must not be published" in result.method


def test_the_input_table_is_left_as_it_was():
    before = OUTCOMES.copy()
    suppress_table(OUTCOMES, add_total_row=True, add_total_column=True)
    pd.testing.assert_frame_equal(OUTCOMES, before)


@pytest.mark.parametrize("table, options, message", [
    (pd.DataFrame({"n": [1, None]}), {}, "whole numbers"),
    (pd.DataFrame({"n": [-1, 4]}), {}, "whole numbers"),
    (pd.DataFrame({"n": [1.5, 4]}), {}, "whole numbers"),
    (pd.DataFrame({"n": [True, 4]}), {}, "whole numbers"),
    (pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, "repeated"),
    (pd.DataFrame({"a": [1, 2], "Total": [9, 2]}), {"total_column": "Total"}, "add up to 1"),
    (pd.DataFrame({"a": [1]}), {"total_row": "Total"}, "no row called 'Total'"),
    (pd.DataFrame({"Total": [1]}), {"add_total_column": True}, "already has a column"),
    (pd.DataFrame({"Total": [1]}), {"total_column": "Total"}, "no counts"),
    (pd.DataFrame(), {}, "no counts"),
])
def test_tables_that_cannot_be_suppressed_safely_are_refused_with_a_reason(table, options, message):
    with pytest.raises(ValueError, match=message):
        suppress_table(table, **options)


# --- Percentages and means --------------------------------------------------------------------

def test_percentages_of_a_table_hide_hidden_counts_and_hidden_bases():
    percent = suppress_table(OUTCOMES, add_total_row=True, add_total_column=True).percentages("row")
    assert percent.display.loc["North"].tolist() == [HIDDEN, HIDDEN, "70%", "100%"]
    assert percent.shown.loc["East", "Better"] == pytest.approx(100 * 30 / 44)
    assert percent.shown.loc["East", "Same"] is None


def test_a_percentage_of_a_hidden_base_is_hidden_even_when_its_count_is_shown():
    # 1 and 10 of 11: hiding the 10 would pin both (a "<10" and a "[c]" adding to 11), so the
    # total is hidden instead; 10 as a percentage of it would then give the total away.
    counted = suppress_table(pd.DataFrame({"a": [1], "b": [10]}), add_total_column=True)
    assert counted.display.iloc[0].tolist() == ["<10", "10", HIDDEN]
    assert counted.percentages("row").display.iloc[0].tolist() == [HIDDEN, HIDDEN, HIDDEN]


def test_percentages_of_the_grand_total_and_of_column_totals():
    counted = suppress_table(OUTCOMES, add_total_row=True, add_total_column=True)
    assert counted.percentages("column").display["Better"].tolist() == [HIDDEN, HIDDEN, "55%", "100%"]
    assert counted.percentages("grand", decimals=1).display.loc["Total"].tolist() == ["39.9%", "21.7%", "38.4%", "100.0%"]


def test_percentages_need_the_total_they_are_of():
    with pytest.raises(ValueError, match="need a table with that total"):
        suppress_table(OUTCOMES, add_total_column=True).percentages("column")


def test_proportions_are_hidden_when_the_count_the_rest_or_the_base_is_small():
    result = suppress_proportions([6, 19, 0, 25, 3, 0], [20, 20, 20, 50, 5, 0],
                                  labels=["small count", "small rest", "none", "half", "small base", "nobody"])
    assert result.display.tolist() == [HIDDEN, HIDDEN, "0%", "50%", HIDDEN, NO_DATA]
    assert result.shown.tolist() == [None, None, 0.0, 50.0, None, None]
    assert result.base_display.tolist() == ["20", "20", "20", "50", "<10", "0"]


def test_a_shown_base_that_would_pin_a_hidden_count_is_hidden_too():
    # 1 of 11: "<10" yes and "[c]" (10 or more) no, adding to 11, could only be 1 and 10.
    result = suppress_proportions([1], [11])
    assert result.display.tolist() == [HIDDEN]
    assert result.base_display.tolist() == [HIDDEN]
    assert result.bases_shown.tolist() == [None]


def test_complement_protection_can_be_left_out_when_the_rest_is_no_count_of_families():
    result = suppress_proportions([19], [20], protect_complement=False)
    assert result.display.tolist() == ["95%"]


def test_proportions_with_counts_above_their_base_are_refused():
    with pytest.raises(ValueError, match="0 ≤ count ≤ base"):
        suppress_proportions([21], [20])


def test_means_are_hidden_when_fewer_than_ten_answered():
    result = suppress_means([3.14159, 2.5, None, None], [12, 9, 0, 30], labels=["a", "b", "c", "d"])
    assert result.display.tolist() == ["3.1", HIDDEN, NO_DATA, NO_DATA]
    assert result.shown.tolist() == [pytest.approx(3.14159), None, None, None]
    assert result.base_display.tolist() == ["12", "<10", "0", "30"]


def test_means_and_percentages_are_all_shown_when_suppression_is_off():
    rule = SmallNumbers(enabled=False)
    assert suppress_means([2.5], [3], rule=rule).display.tolist() == ["2.5"]
    assert suppress_proportions([1], [3], rule=rule).display.tolist() == ["33%"]


def test_a_mean_of_nobody_is_refused():
    with pytest.raises(ValueError, match="from nobody"):
        suppress_means([2.0], [0])


# --- Properties over random tables -------------------------------------------------------------

@st.composite
def tables_with_totals(draw):
    rows, columns = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    count = st.one_of(st.integers(0, 12), st.integers(0, 80))
    table = pd.DataFrame([[draw(count) for _ in range(columns)] for _ in range(rows)],
                         index=[f"r{i}" for i in range(rows)], columns=[f"c{j}" for j in range(columns)])
    margins = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    rule = SmallNumbers(threshold=draw(st.sampled_from([10, 10, 5, 3])), suppress_zeros=draw(st.booleans()))
    return suppress_table(table, add_total_row=margins[0], add_total_column=margins[1], rule=rule)


@settings(max_examples=300, deadline=None)
@given(tables_with_totals())
def test_no_line_with_a_hidden_cell_shows_everything_else(result):
    hidden = result.suppressed
    for cells, total in _lines(result):
        hidden_cells = sum(bool(hidden.at[cell]) for cell in cells)
        if hidden_cells:
            assert hidden_cells + hidden.at[total] >= 2 or hidden.at[total]
        # Stronger: counting the total as a cell of its line, never exactly one hidden.
        assert hidden_cells + hidden.at[total] != 1


@settings(max_examples=300, deadline=None)
@given(tables_with_totals())
def test_no_hidden_cell_can_be_worked_out_from_the_totals(result):
    assert not _recoverable(result)


@settings(max_examples=300, deadline=None)
@given(tables_with_totals())
def test_what_the_marks_say_never_pins_a_hidden_cell_within_its_line(result):
    if result.withheld:
        return
    t, low_small = result.rule.threshold, 0 if result.rule.suppress_zeros else 1
    small_label = result.rule.small_label
    for cells, total in _lines(result):
        if result.suppressed.at[total]:
            continue
        hidden = [c for c in cells if result.suppressed.at[c]]
        rest = result.values.at[total] - sum(result.values.at[c] for c in cells if c not in hidden)
        bounds = {c: (low_small, t - 1) if result.display.at[c] == small_label else (t, math.inf) for c in hidden}
        for cell in hidden:
            others = [bounds[c] for c in hidden if c != cell]
            least = max(bounds[cell][0], rest - sum(high for _, high in others))
            most = min(bounds[cell][1], rest - sum(low for low, _ in others))
            assert least < most, (cell, result.display)


@settings(max_examples=300, deadline=None)
@given(tables_with_totals())
def test_what_is_shown_is_the_truth(result):
    shown = result.shown
    for (row, column), value in np.ndenumerate(result.values.to_numpy()):
        label = (result.values.index[row], result.values.columns[column])
        if result.suppressed.at[label]:
            assert shown.at[label] is None and result.display.at[label] in {HIDDEN, result.rule.small_label}
            if result.display.at[label] == result.rule.small_label:
                assert value < result.rule.threshold
        else:
            assert shown.at[label] == value and result.display.at[label] == str(value)
            assert value == 0 or value >= result.rule.threshold


def _recoverable(result) -> list:
    """Hidden cells whose value the shown cells and totals fix, combining any lines."""
    hidden = [cell for cell in result.suppressed.stack().index if result.suppressed.at[cell]]
    lines = _lines(result)
    if not hidden or not lines:
        return []
    system = np.array([[1.0 if cell in cells else -1.0 if cell == total else 0.0 for cell in hidden]
                       for cells, total in lines])
    rank = np.linalg.matrix_rank(system)
    return [cell for k, cell in enumerate(hidden)
            if np.linalg.matrix_rank(np.vstack([system, np.eye(len(hidden))[k]])) == rank]
