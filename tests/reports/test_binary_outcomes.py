"""Issue 21, binary outcomes: each risk factor (a concern or none) and each resilience factor (present
or absent) with 95% Wilson intervals of its shares at entry and exit and McNemar's exact test of the
change, checked through the reports against answers worked out independently (scipy's binomial
test, Newcombe's published interval), and hidden whenever what they are made of is.

An interval beside a hidden count gives it back: its ends rise with the count, so the one count of
the base whose interval rounds to what is shown is the hidden one (``counts_behind``). The p of a
factor is a function of its paired 2 × 2 table; it is shown only when every count it follows from is.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from feedback.reports import resilience, risk_change
from feedback.reports.protect import protect, to_json
from feedback.statistics.proportions import wilson_interval
from tests.reports.test_attack import published, resilience_data, risk_change_data

WHEN = pd.Timestamp("2024-01-01")
NO_ONE = pd.DataFrame(columns=["item_id", "before", "after", "n"])


def risk_moves(cells: dict[tuple[int, int], int], item: str = "risk_debt") -> pd.DataFrame:
    """One factor's transition counts: {(level at entry, level at exit): families}."""
    return pd.DataFrame([{"item_id": item, "before": b, "after": a, "n": n} for (b, a), n in cells.items() if n],
                        columns=["item_id", "before", "after", "n"])


def risk_report(cells, member_cells=None):
    members = risk_moves(member_cells, "risk_drugs") if member_cells else NO_ONE
    return risk_change.compute(risk_moves(cells), {"risk_debt": "Debt"}, members,
                               {"risk_drugs": "Drugs"} if member_cells else {})


def resilience_report(both: int, lost: int, gained: int, neither: int):
    moves = pd.DataFrame([{"item_id": "resilience_home", "before": b, "after": a, "n": n}
                          for (b, a), n in {(1, 1): both, (1, 0): lost, (0, 1): gained, (0, 0): neither}.items() if n])
    return resilience.compute(pd.DataFrame(columns=["family_id", "wave", "completed_at", "value"]), moves,
                              {"resilience_home": "Stable home"})


def exact_p(b: int, c: int) -> float:
    """McNemar's exact p, independently of statsmodels: a two-sided binomial test of b of b + c at ½."""
    return binomtest(min(b, c), b + c).pvalue


def p_shown(p: float) -> str:
    return "<0.001" if p < 0.0005 else f"{p:.3f}"


def shown_row(shown: dict, title_start: str, label: str) -> dict:
    table = next(t for t in shown["tables"] if t["title"].startswith(title_start))
    first = table["columns"][0]["name"]
    return next(row for row in table["rows"] if row[first] == label)


def hidden(value) -> bool:
    """A hidden cell's mark ("[c]", "<10"), not a p shown as "<0.001"."""
    return isinstance(value, str) and (value == "[c]" or re.fullmatch(r"<\d+", value) is not None)


def counts_behind(low: float, high: float, n: int) -> list[int]:
    """The attacker's arithmetic: every count of ``n`` whose 95% Wilson interval, to one decimal, is (low, high)."""
    return [k for k in range(n + 1)
            if tuple(round(100 * end, 1) for end in wilson_interval(k, n)) == (low, high)]


# --- known answers ------------------------------------------------------------------------------

def test_risk_mcnemar_p_is_the_exact_binomial_test_of_those_who_changed():
    """90 families: 27 with a concern at entry had none at exit (12 from medium, 15 from high), 3
    had none at entry and one at exit; 20 low at both, 40 with none at both."""
    report = risk_report({(2, 0): 12, (3, 0): 15, (0, 2): 3, (1, 1): 20, (0, 0): 40})
    row = report.tables[0].rows[0]
    assert (row["assessed"], row["concern_entry"], row["concern_exit"], row["gone"]) == (90, 47, 23, 27)
    assert row["change_p"] == p_shown(exact_p(27, 3)) == "<0.001"
    # A change too small to be sure of: 6 lost their concern, 2 gained one.
    row = risk_report({(1, 0): 6, (0, 1): 2, (2, 2): 30, (0, 0): 40}).tables[0].rows[0]
    assert row["change_p"] == p_shown(exact_p(6, 2)) == "0.289"
    assert float(row["change_p"]) == pytest.approx(exact_p(6, 2), abs=5e-4)


def test_risk_mcnemar_p_is_a_dash_when_nobody_changed():
    row = risk_report({(1, 1): 12, (0, 0): 30}).tables[0].rows[0]
    assert row["change_p"] is None
    shown = to_json(protect(risk_report({(1, 1): 12, (0, 0): 30}), 10))
    assert shown_row(shown, "Families with a concern", "Debt")["change_p"] is None


def test_risk_wilson_interval_is_newcombes_for_15_of_148():
    """Newcombe (1998), example (b): 15 of 148, Wilson interval 0.0624 to 0.1605."""
    report = risk_report({(1, 1): 10, (2, 0): 5, (0, 0): 120, (0, 3): 13})
    row = report.tables[0].rows[0]
    assert (row["concern_entry"], row["assessed"]) == (15, 148)
    low, high = wilson_interval(15, 148)
    assert (round(low, 4), round(high, 4)) == (0.0624, 0.1605)
    # Shown to one decimal, as percentages (16.047% → 16.0%).
    assert (row["concern_entry_ci_low"], row["concern_entry_ci_high"]) == (6.2, 16.0)
    assert row["concern_entry_ci_low"] < row["concern_entry_pct"] < row["concern_entry_ci_high"]
    # At exit: 23 of 148.
    low, high = wilson_interval(23, 148)
    assert (row["concern_exit_ci_low"], row["concern_exit_ci_high"]) == (round(100 * low, 1), round(100 * high, 1))
    assert row["change_p"] == p_shown(exact_p(5, 13))


def test_resilience_wilson_interval_and_mcnemar_p():
    report = resilience_report(both=5, lost=10, gained=18, neither=115)
    row = report.tables[-1].rows[0]
    assert (row["families"], row["entry"], row["exit"], row["lost"], row["gained"]) == (148, 15, 23, 10, 18)
    assert (row["entry_ci_low"], row["entry_ci_high"]) == (6.2, 16.0)   # Newcombe's 0.0624 to 0.1605
    assert row["change_p"] == p_shown(exact_p(10, 18)) == "0.185"
    assert float(row["change_p"]) == pytest.approx(exact_p(10, 18), abs=5e-4)
    shown = shown_row(to_json(protect(report, 10)), "Families with each resilience factor", "Stable home")
    assert shown["change_p"] == row["change_p"] and shown["entry_ci_high"] == row["entry_ci_high"]


def test_the_tables_say_what_the_interval_and_the_test_are():
    change = risk_report({(1, 0): 20, (0, 0): 30}).tables[0]
    labels = {c.name: c.label for c in change.columns}
    assert labels["concern_entry_ci_low"] == "95% CI at entry, lower"
    assert labels["change_p"] == "Change: McNemar exact p"
    assert "Wilson" in change.note and "McNemar" in change.note and "little power" in change.note
    # The columns the attacker and the downloads read keep their names; the new ones follow them.
    names = [c.name for c in change.columns]
    assert names[:4] == ["factor", "assessed", "concern_entry", "concern_entry_pct"] and names[-1] == "change_p"
    factors = resilience_report(20, 5, 5, 20).tables[-1]
    assert "little power" in factors.note and [c.name for c in factors.columns][-3:] == ["lost", "gained", "change_p"]


# --- hidden with what they are made of ------------------------------------------------------------

def test_a_hidden_count_hides_its_interval_which_would_give_it_back():
    """7 of 148 families with a concern at entry: hidden ("<10"). Its interval, shown beside the
    shown base, would name 7 and no other count."""
    report = risk_report({(1, 0): 4, (3, 3): 3, (0, 0): 121, (0, 1): 20})
    raw = report.tables[0].rows[0]
    assert counts_behind(raw["concern_entry_ci_low"], raw["concern_entry_ci_high"], raw["assessed"]) == [7]
    row = shown_row(to_json(protect(report, 10)), "Families with a concern", "Debt")
    assert row["concern_entry"] == "<10"
    assert hidden(row["concern_entry_ci_low"]) and hidden(row["concern_entry_ci_high"])
    assert hidden(row["change_p"])


def test_a_hidden_base_hides_the_intervals_and_the_p():
    """8 families assessed (and members enough for a page)."""
    report = risk_report({(1, 0): 4, (0, 0): 4}, {(1, 0): 30, (0, 0): 40, (1, 1): 20})
    row = shown_row(to_json(protect(report, 10)), "Families with a concern", "Debt")
    assert row["assessed"] == "<10"
    assert all(hidden(row[name]) for name in ("concern_entry_ci_low", "concern_exit_ci_high", "change_p"))


def test_the_p_is_hidden_when_a_level_of_the_factor_is_hidden():
    """Every count of the factor's row is shown (114 assessed, 67 at entry, 44 at exit, 40 no longer
    at risk), but 5 with no concern at entry were at high concern at exit: that level's count is
    hidden, and so is the p. With 11 more high at both, nothing is hidden and the p is shown."""
    cells = {(0, 0): 30, (0, 1): 12, (0, 3): 5, (1, 0): 20, (1, 1): 15, (2, 0): 20, (2, 2): 12}
    shown = to_json(protect(risk_report(cells), 10))
    row = shown_row(shown, "Families with a concern", "Debt")
    assert shown_row(shown, "Level of concern", "Debt")["exit_3"] == "<10"
    assert [row[name] for name in ("assessed", "concern_entry", "concern_exit", "gone")] == [114, 67, 44, 40]
    assert hidden(row["change_p"])
    # The intervals follow only their own counts, all shown.
    assert not any(hidden(row[f"concern_{when}_ci_{end}"]) for when in ("entry", "exit") for end in ("low", "high"))
    shown = to_json(protect(risk_report({**cells, (3, 3): 11}), 10))
    assert not any(hidden(value) for value in shown_row(shown, "Level of concern", "Debt").values())
    assert shown_row(shown, "Families with a concern", "Debt")["change_p"] == p_shown(exact_p(40, 17)) == "0.003"


def test_members_p_follows_the_members_levels_not_the_families():
    """Families first (three tables), members after: a member factor's p is hidden with its own
    levels row (table 4), and a family factor with nothing small keeps its p."""
    families = {(0, 0): 30, (1, 0): 20, (1, 1): 15, (2, 2): 20, (0, 1): 15}
    members = {(0, 0): 30, (0, 1): 10, (1, 0): 20, (1, 1): 15, (2, 0): 20, (3, 0): 5}
    shown = to_json(protect(risk_report(families, members), 10))
    family = shown_row(shown, "Families with a concern", "Debt")
    member = shown_row(shown, "Members with a concern", "Drugs")
    assert shown_row(shown, "Level of concern at entry and exit (members)", "Drugs")["entry_3"] == "<10"
    assert not any(hidden(value) for value in family.values()), family
    assert family["change_p"] == p_shown(exact_p(20, 15))
    assert not hidden(member["concern_entry"]) and hidden(member["change_p"])


def test_resilience_hides_the_p_and_intervals_with_their_counts():
    # 4 lost the factor: the p would give that count back, whatever else is shown.
    row = shown_row(to_json(protect(resilience_report(both=30, lost=4, gained=20, neither=40), 10)),
                    "Families with each resilience factor", "Stable home")
    assert row["lost"] == "<10" and hidden(row["change_p"])
    # 6 of 150 with it at entry: its interval would name 6.
    report = resilience_report(both=3, lost=3, gained=40, neither=104)
    raw = report.tables[-1].rows[0]
    assert counts_behind(raw["entry_ci_low"], raw["entry_ci_high"], raw["families"]) == [6]
    row = shown_row(to_json(protect(report, 10)), "Families with each resilience factor", "Stable home")
    assert row["entry"] == "<10" and hidden(row["entry_ci_low"]) and hidden(row["entry_ci_high"])
    assert hidden(row["change_p"])


# --- on generated data: never an interval or a p beside a hidden count it follows from ------------

def assert_statistics_follow_their_counts(shown: dict) -> None:
    for table in shown["tables"]:
        names = [c["name"] for c in table["columns"]]
        if "change_p" not in names:
            continue
        first = names[0]
        counts = [c["name"] for c in table["columns"] if c["kind"] == "count"]
        for row in table["rows"]:
            for name in names:
                if name.endswith(("_ci_low", "_ci_high")):
                    count = name.rsplit("_ci_", 1)[0]
                    if hidden(row[count]) or hidden(row[f"{count}_pct"]):
                        assert hidden(row[name]), (table["title"], row[first], name)
            if any(hidden(row[name]) for name in counts):
                assert hidden(row["change_p"]), (table["title"], row[first])
            if table["title"].startswith(("Families with a concern", "Members with a concern")):
                who = "families" if table["title"].startswith("Families") else "members"
                levels = shown_row(shown, f"Level of concern at entry and exit ({who})", row[first])
                if any(hidden(value) for value in levels.values()):
                    assert hidden(row["change_p"]), (table["title"], row[first], levels)


GENERATED = settings(max_examples=20, deadline=None, derandomize=True, report_multiple_bugs=False,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@GENERATED
@given(data=risk_change_data(), threshold=st.integers(5, 12))
def test_risk_change_never_shows_a_statistic_beside_a_hidden_count(data, threshold):
    assert_statistics_follow_their_counts(published(risk_change.compute(*data), threshold))


@GENERATED
@given(data=resilience_data(), threshold=st.integers(5, 12))
def test_resilience_never_shows_a_statistic_beside_a_hidden_count(data, threshold):
    assert_statistics_follow_their_counts(published(resilience.compute(*data), threshold))
