"""Reliable change, Cronbach's alpha and the choice of reliability (feedback/statistics/reliable_change.py)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from feedback.statistics.reliable_change import (
    CLASSES, Z95, change_threshold, choose_reliability, classify, cronbach_alpha, jacobson_truax_c,
    reliable_change_index,
)


def test_z95_is_the_normal_quantile():
    assert Z95 == pytest.approx(1.959964, abs=1e-6)
    assert CLASSES == ("recovered", "improved", "unchanged", "deteriorated")


def test_threshold_matches_wodrich_worked_example():
    """Secondary worked example of Jacobson & Truax's threshold (Wodrich, as quoted in issue 21):
    SEM 3.07 → S_diff = √2 × 3.07 = 4.34 → 1.96 × 4.34 = 8.51. The SD and reliability are
    reconstructed to give that SEM: SD 15 and r = 1 − (3.07/15)²."""
    result = change_threshold(15.0, 1.0 - (3.07 / 15.0) ** 2)
    assert result.se == pytest.approx(3.07)
    assert round(result.s_diff, 2) == 4.34
    assert round(result.threshold, 2) == 8.51
    assert (result.sd_before, result.reliability) == (15.0, pytest.approx(1.0 - (3.07 / 15.0) ** 2))


def test_threshold_by_hand():
    """SD 10, r = 0.84: SEM = 10 × √0.16 = 4, S_diff = 4√2 = 5.657, threshold = 1.96 × 5.657."""
    result = change_threshold(10, 0.84)
    assert result.se == pytest.approx(4.0)
    assert result.s_diff == pytest.approx(4.0 * math.sqrt(2.0))
    assert result.threshold == pytest.approx(Z95 * 4.0 * math.sqrt(2.0))
    assert change_threshold(10, 1.0).threshold == 0.0  # no measurement error: any change is reliable


@pytest.mark.parametrize("sd, r", [(10, 1.2), (10, 0.0), (10, -0.3), (10, float("nan")), (0, 0.8), (-5, 0.8),
                                   (float("nan"), 0.8), (float("inf"), 0.8)])
def test_threshold_refuses_impossible_inputs(sd, r):
    with pytest.raises(ValueError):
        change_threshold(sd, r)


def test_reliable_change_index():
    assert reliable_change_index(20, 30, 5) == 2.0
    assert reliable_change_index(30, 20, 5) == -2.0
    with pytest.raises(ValueError):
        reliable_change_index(20, 30, 0)


def test_criterion_c_by_hand():
    """c = (s0·M1 + s1·M0)/(s0 + s1) (Jacobson & Truax 1991, criterion c): dysfunctional M1 = 30,
    s1 = 10, functional M0 = 10, s0 = 5 → (5·30 + 10·10)/15 = 16.667, nearer the functional mean
    whose SD is smaller; with equal SDs it is the midpoint."""
    assert jacobson_truax_c(30, 10, 10, 5) == pytest.approx(250 / 15)
    assert jacobson_truax_c(30, 4, 10, 4) == pytest.approx(20)
    with pytest.raises(ValueError):
        jacobson_truax_c(30, 0, 10, 5)


@pytest.mark.parametrize("before, after, better, cutoff, direction, expected", [
    # difficulty scale (lower is better), clinical at or above 17 (SDQ-like)
    (20, 10, "lower", 17, "at_or_above", "recovered"),
    (30, 20, "lower", 17, "at_or_above", "improved"),      # reliable, still clinical
    (15, 5, "lower", 17, "at_or_above", "improved"),       # reliable, never clinical
    (10, 20, "lower", 17, "at_or_above", "deteriorated"),
    (20, 12, "lower", 17, "at_or_above", "unchanged"),     # crosses the cut-off but 8 ≤ threshold
    (17, 8, "lower", 17, "at_or_above", "recovered"),      # 17 is "at or above": clinical
    (26, 17, "lower", 17, "at_or_above", "improved"),      # ends at 17: still clinical
    # strengths scale (higher is better), clinical at or below 40
    (35, 50, "higher", 40, "at_or_below", "recovered"),
    (50, 35, "higher", 40, "at_or_below", "deteriorated"),
    (35, 50, "higher", None, None, "improved"),            # no cut-off: never recovered
    (20, 29, "higher", None, None, "improved"),
])
def test_classify(before, after, better, cutoff, direction, expected):
    assert classify(before, after, 8.5, better, cutoff, direction) == expected


def test_change_of_exactly_the_threshold_is_not_reliable():
    assert classify(10, 18.5, 8.5, "higher") == "unchanged"
    assert classify(10, 18.5000001, 8.5, "higher") == "improved"
    assert classify(10, 10, 0.0, "higher") == "unchanged"


def test_classify_refuses_unknown_words():
    with pytest.raises(ValueError):
        classify(1, 20, 5, "up")
    with pytest.raises(ValueError):
        classify(1, 20, 5, "higher", cutoff=10)  # a cut-off needs its direction
    with pytest.raises(ValueError):
        classify(1, 20, 5, "higher", cutoff=10, cutoff_direction="above")
    with pytest.raises(ValueError):
        classify(1, 20, -1, "higher")


def test_cronbach_alpha_by_hand():
    """Hand-computed: items A = 1,2,3,4 (var 5/3), B = 2,2,3,5 (var 2), C = 1,3,3,4 (var 19/12);
    totals 4,7,9,13 (var 14.25). α = 3/2 × (1 − 5.25/14.25) = 18/19 = 0.947368…"""
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 3, 5], "c": [1, 3, 3, 4]})
    alpha, n = cronbach_alpha(items)
    assert alpha == pytest.approx(18 / 19)
    assert n == 4


def test_cronbach_alpha_uses_complete_rows_only():
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [2, 2, 3, 5, None], "c": [1, 3, 3, 4, 2]})
    alpha, n = cronbach_alpha(items)
    assert (alpha, n) == (pytest.approx(18 / 19), 4)


def test_cronbach_alpha_of_identical_items_is_one():
    """Identity: k copies of one item have Σ var = k·var and var(total) = k²·var, so α = 1."""
    column = [3, 1, 4, 1, 5, 9, 2, 6]
    alpha, n = cronbach_alpha(pd.DataFrame({f"q{i}": column for i in range(5)}))
    assert alpha == pytest.approx(1.0)
    assert n == 8


def test_cronbach_alpha_cannot_be_had():
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]})) == (None, 3)                 # one item
    assert cronbach_alpha(pd.DataFrame({"a": [1], "b": [2]})) == (None, 1)             # one row
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]})) == (None, 3)  # totals constant
    assert cronbach_alpha(pd.DataFrame({"a": [1, None], "b": [None, 2]})) == (None, 0)


def test_choose_reliability_prefers_the_instrument_file():
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 3, 5], "c": [1, 3, 3, 4]})
    chosen = choose_reliability(0.86, "Epstein et al. 1983", items)
    assert chosen.value == 0.86
    assert chosen.source == "instrument file: Epstein et al. 1983"
    assert chosen.n is None and chosen.warning is None


def test_choose_reliability_falls_back_to_alpha_with_a_warning_under_min_n():
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 3, 5], "c": [1, 3, 3, 4]})
    chosen = choose_reliability(None, None, items)
    assert chosen.value == pytest.approx(18 / 19)
    assert chosen.source == "Cronbach's alpha, entry wave (n = 4)"
    assert chosen.n == 4
    assert chosen.warning == "alpha from fewer than 30 respondents (n = 4): unstable"
    assert choose_reliability(None, None, items, min_n=4).warning is None


def test_choose_reliability_when_nothing_usable():
    assert choose_reliability(None, None, None).value is None
    negative = pd.DataFrame({"a": [1, 2, 3, 4], "b": [4, 2, 3, 1.5]})
    chosen = choose_reliability(None, None, negative)
    assert chosen.value is None and "not above 0" in chosen.warning
    bad_file = choose_reliability(1.3, "typo", None)
    assert bad_file.value is None and "outside (0, 1]" in bad_file.warning


# --- classify_all: the same class as classify, person by person --------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from feedback.statistics.reliable_change import classify_all  # noqa: E402

scores = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.integers(-40, 40).map(float), st.sampled_from([0.0, -0.0, 1.5, 2.0, 2.5]))


@settings(max_examples=300)
@given(pairs=st.lists(st.tuples(scores, scores), max_size=40),
       threshold=st.one_of(st.floats(0, 50, allow_nan=False), st.sampled_from([0.0, 1.0, 2.5, math.inf])),
       better=st.sampled_from(["higher", "lower"]),
       cutoff=st.one_of(st.none(), st.tuples(st.one_of(st.integers(-5, 5).map(float), st.floats(-50, 50)),
                                             st.sampled_from(["at_or_above", "at_or_below"]))))
def test_classify_all_gives_every_person_the_class_classify_gives(pairs, threshold, better, cutoff):
    value, direction = cutoff if cutoff else (None, None)
    before = np.array([b for b, _ in pairs], dtype=float)
    after = np.array([a for _, a in pairs], dtype=float)
    found = classify_all(before, after, threshold, better, value, direction)
    assert found.shape == (len(pairs),)
    assert [CLASSES[i] for i in found] == [classify(b, a, threshold, better, value, direction) for b, a in pairs]


def test_classify_all_refuses_what_classify_refuses():
    for args in ((1.0, "up"), (-1.0, "higher"), (math.nan, "higher")):
        with pytest.raises(ValueError):
            classify_all([1.0], [2.0], *args)
    with pytest.raises(ValueError):
        classify_all([1.0], [2.0], 1.0, "higher", cutoff=3.0, cutoff_direction=None)
