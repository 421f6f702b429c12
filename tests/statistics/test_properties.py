"""Properties of the change statistics that must hold for any scores (Hypothesis)."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from feedback.statistics.change import paired_change
from feedback.statistics.proportions import wilson_interval
from feedback.statistics.reliable_change import (
    change_threshold, choose_reliability, classify, reliable_change_index,
)

scores = st.floats(allow_nan=False, min_value=-100, max_value=100)
lengths = st.integers(min_value=3, max_value=30)
paired = lengths.flatmap(lambda n: st.tuples(st.lists(scores, min_size=n, max_size=n),
                                             st.lists(scores, min_size=n, max_size=n)))
thresholds = st.floats(min_value=0, max_value=50, allow_nan=False)
better = st.sampled_from(["higher", "lower"])
direction = st.sampled_from(["at_or_above", "at_or_below"])
FLIP = {"higher": "lower", "lower": "higher", "at_or_above": "at_or_below", "at_or_below": "at_or_above"}


def _contains(interval, estimate):
    low, high = interval
    return low <= estimate <= high


@settings(max_examples=60)
@given(scores, scores, thresholds, better, st.one_of(st.none(), scores), direction)
def test_swapping_waves_reverses_the_class(before, after, threshold, better, cutoff, direction):
    """Swapping the waves turns reliable improvement into deterioration and back; "unchanged" stays.
    Deterioration swapped is an improvement, "recovered" when the swap crosses the cut-off."""
    forward = classify(before, after, threshold, better, cutoff, direction if cutoff is not None else None)
    backward = classify(after, before, threshold, better, cutoff, direction if cutoff is not None else None)
    if forward == "unchanged":
        assert backward == "unchanged"
    elif forward in ("improved", "recovered"):
        assert backward == "deteriorated"
    else:
        assert backward in ({"improved"} if cutoff is None else {"improved", "recovered"})
    if cutoff is None:
        assert {forward, backward} <= {"improved", "deteriorated", "unchanged"}


@settings(max_examples=60)
@given(scores, scores, thresholds, better, st.one_of(st.none(), scores), direction)
def test_negating_the_scale_keeps_the_class(before, after, threshold, better, cutoff, direction):
    """Scoring the scale the other way round (negated scores and cut-off, `better` and the cut-off's
    direction flipped) describes the same people, so it gives the same class."""
    direction = direction if cutoff is not None else None
    original = classify(before, after, threshold, better, cutoff, direction)
    mirrored = classify(-before, -after, threshold, FLIP[better], None if cutoff is None else -cutoff,
                        None if direction is None else FLIP[direction])
    assert original == mirrored


@settings(max_examples=60)
@given(scores, scores, st.floats(min_value=0.01, max_value=50))
def test_rci_is_antisymmetric(a, b, s_diff):
    assert reliable_change_index(a, b, s_diff) == -reliable_change_index(b, a, s_diff)


@settings(max_examples=60)
@given(paired)
def test_every_interval_contains_its_estimate(pair):
    before, after = pair
    result = paired_change(before, after)
    assert result.n == len(before)
    for interval, estimate in ((result.ci, result.mean_change), (result.d_z_ci, result.d_z),
                               (result.g_av_ci, result.g_av)):
        if interval is not None:
            assert estimate is not None
            assert _contains(interval, estimate), (interval, estimate)
    if result.p is not None:
        assert 0.0 <= result.p <= 1.0
    if result.wilcoxon_p is not None:
        assert 0.0 <= result.wilcoxon_p <= 1.0


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=2000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_wilson_contains_the_proportion(count_n):
    count, n = count_n
    low, high = wilson_interval(count, n)
    assert 0.0 <= low <= count / n <= high <= 1.0


@settings(max_examples=60)
@given(st.lists(scores, min_size=3, max_size=30))
def test_no_change_means_zero_effect(before):
    result = paired_change(before, list(before))
    assert result.mean_change == 0.0
    assert (result.d_z, result.g_av) == (0.0, 0.0)
    assert (result.d_z_ci, result.g_av_ci) == ((0.0, 0.0), (0.0, 0.0))
    assert (result.t, result.p) == (None, None)


@settings(max_examples=60)
@given(st.lists(st.tuples(scores, scores), min_size=2, max_size=15))
def test_changes_that_cancel_have_zero_effect(pairs):
    """Each pair (x, y) enters as x → y and as y → x, so the differences are ±(y − x) and their
    mean is exactly 0 while they still vary: d_z and g_av are 0 and their intervals straddle it."""
    assume(any(x != y for x, y in pairs))
    before = [v for x, y in pairs for v in (x, y)]
    after = [v for x, y in pairs for v in (y, x)]
    result = paired_change(before, after)
    assert result.mean_change == 0.0
    if max(abs(y - x) for x, y in pairs) > 1e-150:  # smaller differences' squares underflow to 0
        assert result.sd_change > 0
    assert result.d_z == 0.0 and result.g_av == 0.0
    for interval in (result.d_z_ci, result.g_av_ci):
        if interval is None:
            continue
        if result.sd_change > 0:
            assert interval[0] < 0.0 < interval[1]
        else:
            # Differences so small that their squares underflow (e.g. 0 → 8e-281): no spread
            # is seen, and the interval is the point 0, as for no change at all.
            assert interval == (0.0, 0.0)


@pytest.mark.parametrize("sd, r", [(10, 1.2), (0, 0.8), (-1, 0.8)])
def test_threshold_refusals(sd, r):
    with pytest.raises(ValueError):
        change_threshold(sd, r)


@settings(max_examples=60)
@given(st.integers(min_value=2, max_value=29))
def test_small_samples_carry_the_warning(n):
    import pandas as pd

    items = pd.DataFrame({"a": range(n), "b": [v + (v % 3) for v in range(n)]})
    chosen = choose_reliability(None, None, items)
    assert chosen.n == n
    assert chosen.warning == f"alpha from fewer than 30 respondents (n = {n}): unstable"


def test_a_file_value_is_used_as_given():
    import pandas as pd

    items = pd.DataFrame({"a": range(50), "b": range(50)})
    chosen = choose_reliability(0.7, "manual, table 4", items)
    assert (chosen.value, chosen.source, chosen.n, chosen.warning) == (0.7, "instrument file: manual, table 4",
                                                                      None, None)
