"""Paired change against published known answers (feedback/statistics/change.py)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from feedback.statistics.change import paired_change

# Student's sleep data (R's `sleep` data set; Cushny & Peebles 1905, as analysed by "Student" 1908):
# extra hours of sleep under drug 1 (group 1) and drug 2 (group 2) for the same ten patients.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_paired_t_matches_r_on_students_sleep_data():
    """R: t.test(extra ~ group, data = sleep, paired = TRUE) (R's `sleep` help page, reversed so the
    change is group 2 − group 1): mean difference 1.58, t = 4.0621, df = 9, p = 0.002833,
    95% CI 0.7001142 to 2.4598858; SD of the differences 1.2300, so d_z = 1.58/1.23 = 1.2846."""
    result = paired_change(SLEEP_1, SLEEP_2)
    assert result.n == 10
    assert result.mean_before == pytest.approx(0.75)
    assert result.mean_after == pytest.approx(2.33)
    assert result.mean_change == pytest.approx(1.58)
    assert result.sd_change == pytest.approx(1.2300, abs=5e-5)
    assert result.t == pytest.approx(4.062128, abs=5e-7)
    assert result.df == 9
    assert result.p == pytest.approx(0.0028329, abs=5e-8)
    assert result.ci == pytest.approx((0.7001142, 2.4598858), abs=5e-8)
    assert result.d_z == pytest.approx(1.2846, abs=5e-5)
    low, high = result.d_z_ci
    assert low < result.d_z < high


def test_paired_t_sign_follows_after_minus_before():
    """Swapping the waves negates the change, t and the interval (same sleep data)."""
    forward, backward = paired_change(SLEEP_1, SLEEP_2), paired_change(SLEEP_2, SLEEP_1)
    assert backward.mean_change == pytest.approx(-forward.mean_change)
    assert backward.t == pytest.approx(-forward.t)
    assert backward.p == pytest.approx(forward.p)
    assert backward.ci == pytest.approx((-forward.ci[1], -forward.ci[0]))
    assert backward.d_z_ci == pytest.approx((-forward.d_z_ci[1], -forward.d_z_ci[0]), abs=1e-8)


def test_wilcoxon_matches_hollander_and_wolfe_example():
    """Hollander & Wolfe (1973), p. 29f., Example 3.1 (Hamilton depression scale factor IV), as in
    R's `wilcox.test` help: wilcox.test(x, y, paired = TRUE) gives V = 40 and two-sided
    p = 0.03906 (0.0390625 exact; alternative = "greater" gives 0.01953). R's V sums the positive
    ranks of x − y, so x is passed as `after` and y as `before` here (in the study x is the first
    visit: the lower second-visit score is the improvement)."""
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    result = paired_change(before=y, after=x)
    assert result.wilcoxon_v == 40
    assert result.wilcoxon_p == pytest.approx(0.0390625, abs=1e-10)
    assert result.wilcoxon_method == "exact"
    # V counts the positive (after − before) ranks: the other way round it is 45 − 40.
    assert paired_change(before=x, after=y).wilcoxon_v == 5


def _enumerated_wilcoxon_p(differences):
    """Two-sided exact conditional p of V by listing all 2^n sign patterns of the mid-ranks."""
    from itertools import product

    from scipy.stats import rankdata

    d = np.array([x for x in differences if x != 0], dtype=float)
    ranks = rankdata(np.abs(d))
    observed, centre = ranks[d > 0].sum(), ranks.sum() / 2
    values = np.array([np.dot(signs, ranks) for signs in product((0, 1), repeat=d.size)])
    return float(np.mean(np.abs(values - centre) >= abs(observed - centre) - 1e-9))


# Wikipedia's signed-rank example, run in R in stats.stackexchange.com/questions/229760.
WIKI_AFTER = [125, 115, 130, 140, 140, 115, 140, 125, 140, 135]
WIKI_BEFORE = [110, 122, 125, 120, 140, 124, 123, 137, 135, 145]


def test_wilcoxon_with_ties_and_a_zero():
    """Ties and a zero difference (stats.stackexchange.com/questions/229760):
    wilcox.test(before, after, paired = TRUE) gives V = 18 (R's V sums the positive ranks of
    before − after; ours is of after − before, so 9 × 10 / 2 − 18 = 27 over the nine non-zero
    pairs). With 9 non-zero pairs and ties the p is the exact conditional one, checked against a
    plain enumeration of the 2^9 sign patterns (R's normal approximation, correct = FALSE, gives
    0.5936 instead: see the next test)."""
    result = paired_change(WIKI_BEFORE, WIKI_AFTER)
    assert result.wilcoxon_v == 27
    assert paired_change(WIKI_AFTER, WIKI_BEFORE).wilcoxon_v == 18
    assert result.wilcoxon_method == "exact"
    differences = [a - b for a, b in zip(WIKI_AFTER, WIKI_BEFORE)]
    assert result.wilcoxon_p == pytest.approx(_enumerated_wilcoxon_p(differences), abs=1e-12)


def _r_normal_p(differences):
    """R's wilcox.test normal approximation with ties, correct = FALSE (R's stats source):
    z = (V − n(n+1)/4) / √(n(n+1)(2n+1)/24 − Σ(t³ − t)/48) over the non-zero differences, t the
    sizes of the groups of tied |differences|; p = 2Φ(−|z|)."""
    from scipy.stats import norm, rankdata

    d = np.array([x for x in differences if x != 0], dtype=float)
    n = d.size
    v = rankdata(np.abs(d))[d > 0].sum()
    _, ties = np.unique(np.abs(d), return_counts=True)
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - np.sum(ties ** 3 - ties) / 48)
    return 2 * norm.cdf(-abs(v - n * (n + 1) / 4) / sigma)


def test_wilcoxon_with_ties_and_many_pairs_is_r_normal_approximation():
    """Past 10 non-zero pairs with ties the p is the tie-corrected normal approximation without
    continuity correction. R's formula (written out in `_r_normal_p`) reproduces R's own
    p = 0.5936 on the single copy (stats.stackexchange.com/questions/229760,
    wilcox.test(..., correct = FALSE)); the data repeated 3 times (27 non-zero pairs) must then
    give the formula's p."""
    single = [a - b for a, b in zip(WIKI_AFTER, WIKI_BEFORE)]
    assert _r_normal_p(single) == pytest.approx(0.5936, abs=5e-5)
    result = paired_change(WIKI_BEFORE * 3, WIKI_AFTER * 3)
    assert result.wilcoxon_method == "normal"
    assert result.wilcoxon_p == pytest.approx(_r_normal_p(single * 3), abs=1e-12)


def test_wilcoxon_ties_survive_rounding_noise():
    """Means of items: 2/3 − 1/3 and 1 − 2/3 are one change on paper, a tie, though the floats
    differ in the last bit. Differences +⅓, −⅓, +½: mid-ranks 1.5, 1.5, 3, so V = 1.5 + 3 = 4.5
    (4 if the float noise broke the tie)."""
    result = paired_change([1 / 3, 1.0, 0.0], [2 / 3, 2 / 3, 0.5])
    assert (2 / 3 - 1 / 3) != (1.0 - 2 / 3)
    assert result.wilcoxon_v == 4.5


def test_three_equal_changes_get_the_exact_sign_test_p():
    """All differences tied: the exact conditional p is the sign test's, 2 × (1/2)³ = 0.25 (the
    normal approximation would say 0.08)."""
    result = paired_change([1, 2, 4], [3, 4, 6])
    assert result.wilcoxon_p == pytest.approx(0.25)
    assert result.wilcoxon_method == "exact"


def test_effect_sizes_match_lakens_2013_paired_example():
    """Lakens (2013), "Calculating and reporting effect sizes...", Frontiers in Psychology 4:863,
    worked within-subjects example (two movies rated by the same ten people): t(9) = 4.74,
    d_z = 1.50, d_av = 1.13, g_av = 1.08. With m1 before and m2 after the
    change is negative, so every statistic is the published one with a minus sign."""
    m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
    m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    result = paired_change(before=m1, after=m2)
    assert result.mean_change == pytest.approx(-1.0)
    assert result.t == pytest.approx(-4.7434, abs=5e-5)
    assert result.d_z == pytest.approx(-1.50, abs=5e-3)
    d_av = result.mean_change / ((result.sd_before + result.sd_after) / 2)
    assert d_av == pytest.approx(-1.1287, abs=5e-5)
    assert result.g_av == pytest.approx(-1.08, abs=5e-3)
    assert result.g_av_ci[0] < result.g_av < result.g_av_ci[1] < 0


def test_g_av_interval_is_the_d_z_interval_rescaled():
    """g_av's interval is J × λ × sd_change / (sd_av √n): the d_z interval times the same factor
    that takes d_z to g_av (documented approximation)."""
    result = paired_change(SLEEP_1, SLEEP_2)
    factor = result.g_av / result.d_z
    assert result.g_av_ci == pytest.approx((result.d_z_ci[0] * factor, result.d_z_ci[1] * factor))


def test_d_z_interval_inverts_the_noncentral_t():
    """At the interval's ends the observed t sits at the 97.5% and 2.5% points of the noncentral t
    (Steiger & Fouladi 1997), checked with scipy.stats.nct independently of the root finder."""
    from scipy import stats

    result = paired_change(SLEEP_1, SLEEP_2)
    root_n = math.sqrt(result.n)
    assert stats.nct.cdf(result.t, result.df, result.d_z_ci[0] * root_n) == pytest.approx(0.975, abs=1e-7)
    assert stats.nct.cdf(result.t, result.df, result.d_z_ci[1] * root_n) == pytest.approx(0.025, abs=1e-7)
    # A narrower level gives a narrower interval.
    narrow = paired_change(SLEEP_1, SLEEP_2, confidence=0.80)
    assert result.d_z_ci[0] < narrow.d_z_ci[0] < narrow.d_z_ci[1] < result.d_z_ci[1]


def test_missing_values_drop_the_pair():
    """A pair with a missing value on either side is dropped before counting (None, NaN, pd.NA)."""
    before = SLEEP_1 + [None, 1.0, float("nan")]
    after = SLEEP_2 + [2.0, np.nan, 3.0]
    assert paired_change(before, after) == paired_change(SLEEP_1, SLEEP_2)
    series = pd.Series(before, dtype="Float64", index=range(100, 113))
    assert paired_change(series, pd.Series(after, dtype="Float64")).n == 10


def test_pairs_are_matched_by_position_not_index():
    before = pd.Series([1.0, 2.0, 3.0], index=[2, 1, 0])
    after = pd.Series([2.0, 4.0, 7.0], index=[0, 1, 2])
    assert paired_change(before, after).mean_change == pytest.approx((1 + 2 + 4) / 3)


def test_no_change_at_all():
    """Every difference zero: effect sizes 0 with (0, 0) intervals, t and p undefined, V = 0 and
    no Wilcoxon p (nothing is left once zeros are dropped)."""
    result = paired_change([3, 1, 4, 1, 5], [3, 1, 4, 1, 5])
    assert (result.mean_change, result.sd_change, result.ci) == (0.0, 0.0, (0.0, 0.0))
    assert (result.d_z, result.d_z_ci, result.g_av, result.g_av_ci) == (0.0, (0.0, 0.0), 0.0, (0.0, 0.0))
    assert (result.t, result.p) == (None, None)
    assert (result.wilcoxon_v, result.wilcoxon_p) == (0.0, None)


def test_everyone_changed_by_the_same_amount():
    """sd_change 0 with a non-zero mean: d_z is infinite, so None; g_av still has a value."""
    result = paired_change([1.0, 2.0, 4.0], [3.0, 4.0, 6.0])
    assert result.mean_change == 2.0 and result.sd_change == 0.0
    assert result.ci == (2.0, 2.0)
    assert (result.t, result.p, result.d_z, result.d_z_ci, result.g_av_ci) == (None,) * 5
    assert result.g_av == pytest.approx((1 - 3 / (4 * 6 - 9)) * 2.0 / np.std([1, 2, 4], ddof=1))


def test_rounding_noise_is_no_spread():
    """0.3 − 0.2 and 0.2 − 0.1 differ in the last bit; that is one change, not a tiny SD (and
    scipy's catastrophic-cancellation warning, an error in this suite, is never reached)."""
    result = paired_change([0.0, 0.1, 0.2], [0.1, 0.2, 0.3])
    assert result.sd_change == 0.0 and result.d_z is None


def test_too_few_pairs():
    assert paired_change([], []).n == 0
    one = paired_change([1.0, None], [3.0, 4.0])
    assert (one.n, one.mean_before, one.mean_after, one.mean_change) == (1, 1.0, 3.0, 2.0)
    assert all(value is None for value in (one.sd_before, one.sd_change, one.ci, one.t, one.p, one.d_z,
                                           one.g_av, one.wilcoxon_v, one.wilcoxon_p))


def test_refusals():
    with pytest.raises(ValueError):
        paired_change([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        paired_change([1, 2], [1, 2], confidence=95)
    with pytest.raises(ValueError):
        paired_change([1, float("inf")], [1, 2])


# --- numbers already: copied as floats, the same as read one by one ---------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from feedback.statistics.change import _as_floats  # noqa: E402


@settings(max_examples=100)
@given(values=st.lists(st.one_of(st.floats(allow_infinity=False), st.integers(-1000, 1000).map(float)), max_size=30),
       holes=st.lists(st.booleans(), max_size=30))
def test_numbers_as_arrays_or_series_give_what_their_values_one_by_one_give(values, holes):
    slow = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="raise").to_numpy(dtype=float, na_value=np.nan)
    array = np.array(values, dtype=float)
    for given_ in (array, pd.Series(array, index=np.arange(len(values))[::-1]), pd.Series(array, dtype="Float64")):
        found = _as_floats(given_)
        assert found.dtype == float and np.array_equal(found, slow, equal_nan=True)
        assert found is not array  # a copy: the caller's scores are never changed
    whole = [int(v) for v in range(len(values))]
    assert np.array_equal(_as_floats(np.array(whole)), np.array(whole, dtype=float))
    masked = [None if hole else n for n, hole in zip(whole, holes)]
    nullable = pd.Series(masked, dtype="Int64")
    assert np.array_equal(_as_floats(nullable), np.array([np.nan if m is None else m for m in masked], dtype=float),
                          equal_nan=True)
    assert np.array_equal(_as_floats(np.array([True, False])), [1.0, 0.0])
