"""Local suppression: rare rows lose single quasi-identifier values, fewest first, until every row
could be any of at least k rows; nothing else changes. Checked against a brute-force count."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.exports.deidentify import coarser_edges, matching_rows, suppress_locally, wider_bands

QUASI = ["site", "role", "band"]


def could_be(frame: pd.DataFrame, quasi) -> list[int]:
    """For each row, the rows it could be: equal wherever both have a value (brute force)."""
    def blank(value):
        return value is None or (isinstance(value, float) and value != value)

    rows = [[frame.at[i, c] for c in quasi] for i in frame.index]
    return [sum(all(blank(a) or blank(b) or a == b for a, b in zip(row, other)) for other in rows) for row in rows]


@st.composite
def tables(draw):
    n = draw(st.integers(0, 30))
    values = {"site": ["N", "S", "E", None], "role": ["mother", "father", "child"], "band": ["0–17", "18–39", "40+", None]}
    data = {name: [draw(st.sampled_from(options)) for _ in range(n)] for name, options in values.items()}
    data["score"] = [draw(st.integers(0, 40)) for _ in range(n)]
    return pd.DataFrame(data)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(frame=tables())
def test_matching_rows_agrees_with_the_brute_force_count(frame):
    assert list(matching_rows(frame, QUASI)) == could_be(frame, QUASI)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(frame=tables(), k=st.integers(2, 5))
def test_after_suppression_every_row_is_at_least_k_rows_and_nothing_else_changed(frame, k):
    before = could_be(frame, QUASI)
    outcome = suppress_locally(frame, QUASI, k, max_share=1.0)
    if 0 < len(frame) < k:
        assert outcome.refused and f"fewer than the {k}" in outcome.message
        return
    assert not outcome.refused, outcome.message
    after = outcome.frame
    assert all(count >= k for count in could_be(after, QUASI))
    assert outcome.k == (min(could_be(after, QUASI)) if len(frame) else 0)
    # Never a column that is not a quasi-identifier, never a value other than a blank, and only
    # in rows that were rare to begin with.
    assert after["score"].tolist() == frame["score"].tolist()
    changed = 0
    for i in frame.index:
        for column in QUASI:
            if after.at[i, column] != frame.at[i, column] and not (pd.isna(after.at[i, column]) and pd.isna(frame.at[i, column])):
                assert after.at[i, column] is None and before[i] < k, (i, column)
                changed += 1
    assert changed == sum(outcome.blanked.values())


def test_the_input_frame_is_left_as_it_was():
    frame = pd.DataFrame({"site": ["N"] * 4 + ["S"], "role": ["mother"] * 5, "band": ["18–39"] * 5})
    copy = frame.copy()
    suppress_locally(frame, QUASI, 5, max_share=1.0)
    assert frame.equals(copy)


@pytest.mark.parametrize("rows, k, expected", [
    # Four mothers who speak English and one who speaks Welsh: her language alone goes.
    ([("N", "mother", "en")] * 4 + [("N", "mother", "cy")], 5, {"band": 1}),
    # Two rows that differ in one value: blanking it in one row makes both match both.
    ([("N", "mother", "en"), ("N", "mother", "cy")], 2, {"band": 1}),
    # The rare father matches the three mothers once his role is blank; blanking his site would not help.
    ([("N", "mother", "x")] * 3 + [("N", "father", "x")] + [("S", "child", "y")] * 4, 4, {"role": 1}),
    # Nothing rare: nothing blanked.
    ([("N", "mother", "x")] * 3, 3, {}),
])
def test_hand_made_cases_blank_no_more_than_needed(rows, k, expected):
    frame = pd.DataFrame(rows, columns=QUASI)
    outcome = suppress_locally(frame, QUASI, k, max_share=1.0)
    assert not outcome.refused and outcome.blanked == expected
    assert min(could_be(outcome.frame, QUASI)) >= k


def test_ties_blank_the_last_named_quasi_identifier_first():
    """The first row matches the second once its band is blank, the third once its role is: a tie,
    settled by the order (by default the last-named quasi-identifier goes first)."""
    frame = pd.DataFrame([("N", "mother", "x"), ("N", "mother", "y"), ("N", "father", "x")], columns=QUASI)
    default = suppress_locally(frame, QUASI, 2, max_share=1.0).frame
    assert default.at[0, "band"] is None and default.at[0, "role"] == "mother"
    ordered = suppress_locally(frame, QUASI, 2, blank_first=["role", "band", "site"], max_share=1.0).frame
    assert ordered.at[0, "role"] is None and ordered.at[0, "band"] == "x"


def test_more_than_the_allowed_share_of_a_column_is_refused_naming_it():
    frame = pd.DataFrame([("N", "mother", "en")] * 19 + [("N", "mother", "cy")], columns=QUASI)
    assert not suppress_locally(frame, QUASI, 5, max_share=0.05).refused   # 1 of 20 is 5%
    frame = pd.DataFrame([("N", "mother", "en")] * 18 + [("N", "mother", "cy"), ("N", "mother", "pl")], columns=QUASI)
    outcome = suppress_locally(frame, QUASI, 5, max_share=0.05)
    assert outcome.refused and outcome.frame is None
    assert "2 of 20 values of band (10.0%)" in outcome.message and "5%" in outcome.message


def test_a_table_smaller_than_k_is_refused_with_the_reason():
    outcome = suppress_locally(pd.DataFrame([("N", "mother", "x")] * 3, columns=QUASI), QUASI, 5)
    assert outcome.refused and "3 rows, fewer than the 5" in outcome.message


def test_coarser_age_bands_are_made_from_the_profiles_own_edges():
    edges = (0, 5, 11, 16, 18, 25, 40, 65)
    assert coarser_edges(edges) == [(0, 11, 18, 40), (0, 18)]
    assert coarser_edges((0, 18)) == [] and coarser_edges((0, 18, 65)) == [(0, 18)]
    for wider in coarser_edges(edges):   # every narrow band fits inside a wider one
        recode = wider_bands(wider)
        assert recode("16–17") in ("11–17", "0–17") and recode("65+") in ("40+", "18+")
