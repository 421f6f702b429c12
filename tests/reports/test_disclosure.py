"""The disclosure audit on its own: an attacker's interval for each hidden count, worked by hand."""
from __future__ import annotations

import pytest

from feedback.reports.disclosure import Figure, ProtectionRule, Ratio, Sum, audit, components

RULE = ProtectionRule(threshold=10, width=3)


def count(key, atoms, value, small=None):
    return Figure(key, Sum.of(atoms), value, count=True, small=RULE.is_small(value) if small is None else small)


def row_with_total(values):
    """Cells a, b, c of one row and their shown total."""
    figures = {name: count(name, [name], value) for name, value in zip("abc", values)}
    figures["total"] = count("total", list("abc"), sum(values))
    return figures


def test_a_small_count_beside_a_shown_total_and_shown_cells_is_worked_out():
    figures = row_with_total([12, 20, 3])
    result = audit(figures, {"c"}, RULE)
    assert result.intervals["c"].low == result.intervals["c"].high == 3 and result.failing == ["c"]


def test_a_second_hidden_cell_protects_it_only_when_the_marks_leave_room():
    # c < 10 and a ≥ 10 ("[c]") add up to 15: c is 1 to 5, five values.
    figures = row_with_total([12, 20, 3])
    assert audit(figures, {"a", "c"}, RULE).failing == []
    assert (audit(figures, {"a", "c"}, RULE).intervals["c"].low, audit(figures, {"a", "c"}, RULE).intervals["c"].high) \
        == (1, 5)
    # With a = 10, c (3) and a add up to 13: c is 1 to 3, only three values.
    tight = row_with_total([10, 20, 3])
    assert audit(tight, {"a", "c"}, RULE).failing == ["c"]


def test_a_percentage_pins_a_hidden_count_through_its_rounding():
    figures = {"n": count("n", ["yes", "no"], 40), "yes": count("yes", ["yes"], 3),
               "pct": Figure("pct", Ratio(Sum.of(["yes"]), Sum.of(["yes", "no"]), 100.0), 7.5, half_width=0.05)}
    assert audit(figures, {"yes"}, RULE).failing == ["yes"]           # 7.5% of 40 is 3, and only 3
    assert audit(figures, {"yes", "pct"}, RULE).failing == []


def test_a_total_of_money_with_the_unit_values_beside_it_gives_hidden_counts_back():
    """Two outcomes avoided by 3 and 12 people at £1,600 and £22,576: the total saving (£277,712)
    has one answer in whole people, so hiding both counts protects neither."""
    figures = {"a": count("a", ["a"], 3), "b": count("b", ["b"], 12),
               "total": Figure("total", Sum.of(["a"]) * 1600 + Sum.of(["b"]) * 22576, 3 * 1600 + 12 * 22576,
                               half_width=0.005)}
    result = audit(figures, {"a", "b"}, RULE)
    assert result.intervals["a"].low == result.intervals["a"].high == 3
    assert audit(figures, {"a", "b", "total"}, RULE).failing == []


def test_a_count_withheld_with_its_neighbours_says_only_that_it_is_not_zero():
    figures = row_with_total([10, 20, 3])
    for f in figures.values():
        f.withheld = True
    result = audit(figures, {"a", "b", "c", "total"}, RULE)
    assert result.failing == [] and result.intervals["c"].low == 1


def test_tables_sharing_no_counts_are_separate_problems():
    figures = {**row_with_total([12, 20, 3]), "other": count("other", ["x"], 4)}
    parts = components(figures.values())
    assert parts["a"] == parts["total"] != parts["other"]


@pytest.mark.parametrize("threshold, width, zeros", [(4, 3, False), (3, 3, True), (2, 1, False), (10, 0, False)])
def test_a_rule_that_marks_alone_would_break_is_refused(threshold, width, zeros):
    with pytest.raises(ValueError):
        ProtectionRule(threshold=threshold, width=width, suppress_zeros=zeros)


def test_the_default_rule_and_the_smallest_threshold_it_allows():
    assert ProtectionRule().threshold == 10 and ProtectionRule().width == 3
    ProtectionRule(threshold=5, width=3)
