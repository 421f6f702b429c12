"""Wilson intervals and McNemar's test (feedback/statistics/proportions.py)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from feedback.statistics.proportions import mcnemar, mcnemar_table, wilson_interval


@pytest.mark.parametrize("count, n, expected", [
    (81, 263, (0.2553, 0.3662)),
    (15, 148, (0.0624, 0.1605)),
    (0, 20, (0.0, 0.1611)),
    (1, 29, (0.0061, 0.1718)),
])
def test_wilson_matches_newcombe_1998(count, n, expected):
    """Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
    seven methods", Statistics in Medicine 17:857–872, Table II, method 3 (Wilson score interval
    without continuity correction), to 4 decimal places."""
    low, high = wilson_interval(count, n)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_edges():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(5, 5)[1] == 1.0
    assert wilson_interval(5, 10, confidence=0.5)[0] > wilson_interval(5, 10)[0]
    for bad in [(-1, 5), (6, 5)]:
        with pytest.raises(ValueError):
            wilson_interval(*bad)


def test_mcnemar_matches_agresti_presidential_approval():
    """Agresti (1990), Categorical Data Analysis, p. 350, "Presidential Approval Ratings", the
    example in R's `mcnemar.test` help: approval of the President's performance in two surveys a
    month apart, 1600 people: 794 approve both times, 150 approve then disapprove, 86 disapprove
    then approve, 570 disapprove both. Uncorrected McNemar χ² = (150 − 86)²/236 = 17.356 (R's
    default, with continuity correction, gives 16.82 instead); the exact p is the two-sided
    binomial p of 86 of 236 at ½ (3.716e-05), checked here with scipy.stats.binomtest as well."""
    result = mcnemar_table(794, 150, 86, 570)
    assert result.statistic == pytest.approx(17.356, abs=5e-4)
    assert result.p_exact == pytest.approx(3.716e-05, rel=1e-3)
    assert result.p_exact == pytest.approx(stats.binomtest(86, 236, 0.5).pvalue, rel=1e-9)
    assert (result.n, result.discordant) == (1600, 236)


def test_mcnemar_without_discordant_pairs_has_no_test():
    result = mcnemar_table(5, 0, 0, 3)
    assert (result.p_exact, result.statistic) == (None, None)


def test_mcnemar_from_answers_drops_missing_pairs():
    before = [True, True, False, False, True, None, 1, np.nan, 0]
    after = [True, False, True, True, None, False, 1, True, 0]
    result = mcnemar(before, after)
    assert (result.both, result.only_before, result.only_after, result.neither) == (2, 1, 2, 1)
    assert result.p_exact == pytest.approx(1.0)


def test_mcnemar_refusals():
    with pytest.raises(ValueError):
        mcnemar([True], [True, False])
    with pytest.raises(ValueError):
        mcnemar(["yes"], [True])
    with pytest.raises(ValueError):
        mcnemar_table(1, -1, 0, 0)
