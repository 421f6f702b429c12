"""Change in a score between two waves for the same respondents (paired data).

``paired_change(before, after)`` gives the mean change with its 95% t interval, the paired t test,
two standardised effect sizes with intervals (d_z and Hedges' g_av, Lakens 2013) and the Wilcoxon
signed-rank test. Every distribution and test is scipy's: ``scipy.stats.ttest_rel``,
``scipy.stats.nct`` (inverted with ``scipy.optimize.brentq``) and ``scipy.stats.wilcoxon``.

Pairs are matched by position (``before[i]`` with ``after[i]``; a pandas index is ignored), and a
pair with a missing value on either side is dropped before anything is counted.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["PairedChange", "paired_change", "paired_arrays"]

# Differences whose spread is below this many machine epsilons of their size are one change
# written with rounding noise (0.3 − 0.2 and 0.2 − 0.1 differ in the last bit). scipy warns of
# "catastrophic cancellation" for spreads under 10 eps relative to the mean, and the suite runs
# with warnings as errors; treating such data as "no spread" is also the honest reading.
_NOISE_EPS = 100 * np.finfo(float).eps

# With tied differences the Wilcoxon p is exact by enumerating all 2^n sign patterns (scipy's
# permutation method) up to this many non-zero pairs: 1,024 patterns take a tenth of a second;
# scipy's enumeration grows to seconds by 13 pairs, where the normal approximation is fair.
_EXACT_TIED_MAX = 10


@dataclass(frozen=True)
class PairedChange:
    """Summary of paired change (after − before).

    ``n``: complete pairs. Means and ``mean_change`` need one pair; everything else needs two
    (``None`` otherwise). SDs are sample SDs (ddof = 1).

    ``ci``: the ``confidence`` t interval of the mean change (scipy's ``ttest_rel``).
    ``t``, ``df``, ``p``: paired t test, two-sided.

    ``d_z`` = mean_change / sd_change; its interval inverts the noncentral t distribution
    (Steiger & Fouladi 1997): the noncentrality parameters λ at which the observed t sits at the
    upper and lower (1 − confidence)/2 tails, divided by √n.

    ``g_av``: Cohen's d_av = mean_change / ((sd_before + sd_after)/2), times Hedges' correction
    J = 1 − 3/(4(n1 + n2) − 9) with n1 = n2 = n (Lakens 2013). Its interval is the
    λ interval of d_z rescaled, J × λ × sd_change / (sd_av × √n): an approximation that treats the
    correlation between the waves (hence sd_change / sd_av) as known, not estimated, so it is
    somewhat too narrow for small n.

    ``wilcoxon_v``: V = the sum of the ranks of |after − before| over the positive differences
    (R's ``wilcox.test`` statistic; zeros dropped first, Wilcoxon's method); ``wilcoxon_p`` is the
    two-sided p from ``scipy.stats.wilcoxon``: scipy's "auto" (exact up to 50 non-zero pairs)
    when no two |differences| tie. scipy's exact distribution assumes no ties, so with ties the p
    is exact by enumerating every sign pattern (scipy's permutation method) up to 10 non-zero
    pairs, else the normal approximation with tie-corrected variance and no continuity
    correction (as R's ``wilcox.test(..., correct = FALSE)``). ``wilcoxon_method`` says which
    ("exact" or "normal").
    Differences are compared at 12 significant digits of the scores' scale for ties and zeros.

    Edge cases (documented choices):

    * every difference zero: mean_change 0, ci (0, 0), d_z 0, g_av 0 and their intervals (0, 0);
      t and p ``None`` (0/0 is undefined); wilcoxon_v 0 (an empty rank sum) and wilcoxon_p
      ``None`` (with zeros dropped no pair is left to test).
    * every pair changed by the same non-zero amount (sd_change 0): ci (mean, mean) (the t
      interval's width is a multiple of sd_change); t, p, d_z and d_z_ci ``None`` because d_z and
      t are infinite, not a number we can report; g_av is still given when the waves themselves
      vary (sd_av > 0), but g_av_ci is ``None`` (its λ interval is unbounded).
    * a d_z interval that scipy cannot invert numerically (an extreme t, such as 1e6) is ``None``,
      and so is g_av_ci.
    * the noncentral t is skewed, so with very few pairs and a low ``confidence`` (say 20%) the
      d_z interval need not contain d_z itself; at 95% it does.
    """

    n: int
    mean_before: float | None
    mean_after: float | None
    sd_before: float | None
    sd_after: float | None
    mean_change: float | None
    sd_change: float | None
    ci: tuple[float, float] | None
    t: float | None
    df: int | None
    p: float | None
    d_z: float | None
    d_z_ci: tuple[float, float] | None
    g_av: float | None
    g_av_ci: tuple[float, float] | None
    wilcoxon_v: float | None
    wilcoxon_p: float | None
    confidence: float = 0.95  # added: the level the intervals were computed at
    wilcoxon_method: str | None = None  # added: "exact" or "normal" (how wilcoxon_p was had)


def _as_floats(values) -> np.ndarray:
    # Positional, whatever the container: a Series' index would otherwise pair the wrong rows.
    # Numbers already (a report's 255,000 kept scores): copied as floats, not rebuilt from a list
    # of Python objects, which cost a report 0.2 s at 100,000 families for the same values.
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype(float)
    if isinstance(values, pd.Series) and values.dtype.kind in "biuf":
        return values.to_numpy(dtype=float, na_value=np.nan, copy=True)
    if isinstance(values, pd.Series):
        series = values.reset_index(drop=True)
    else:
        series = pd.Series(list(values), dtype="object")
    return pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def paired_arrays(before, after) -> tuple[np.ndarray, np.ndarray]:
    """The complete pairs of ``before`` and ``after`` as two float arrays (NaN/None dropped)."""
    b, a = _as_floats(before), _as_floats(after)
    if b.shape != a.shape:
        raise ValueError(f"before and after differ in length ({b.size} and {a.size})")
    keep = ~(np.isnan(b) | np.isnan(a))
    b, a = b[keep], a[keep]
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(a))):
        raise ValueError("scores must be finite numbers")
    return b, a


def _mean(x: np.ndarray) -> float:
    # math.fsum is exactly rounded: differences of +x and −x average to exactly 0, so a zero
    # change reads as zero rather than as 1e-17.
    return math.fsum(x.tolist()) / x.size


def _is_constant(x: np.ndarray) -> bool:
    scale = float(np.max(np.abs(x)))
    return float(np.max(x) - np.min(x)) <= _NOISE_EPS * scale


def _sd(x: np.ndarray) -> float:
    # Rounding noise in a constant column would otherwise give an SD of 1e-17.
    return 0.0 if _is_constant(x) else float(np.std(x, ddof=1))


def _noncentrality_interval(t: float, df: int, confidence: float) -> tuple[float, float] | None:
    """λ_lo, λ_hi with nct.cdf(t; df, λ_lo) = 1 − α/2 and nct.cdf(t; df, λ_hi) = α/2.

    nct.cdf(t; df, λ) falls as λ rises, so each root is bracketed by stepping out from λ = t.
    Returns None when scipy cannot evaluate the tails (extreme t): no interval beats a wrong one.
    """
    alpha = 1.0 - confidence

    def root(target: float) -> float:
        def f(lam: float) -> float:
            return float(stats.nct.cdf(t, df, lam)) - target

        # Walk from λ = t towards the root with doubling steps until the sign changes. scipy's
        # nct.cdf returns NaN (without a warning) at some points far in its tails, so a step that
        # lands on NaN is halved rather than taken; the roots themselves lie where the cdf is near
        # the target, never in those tails.
        x0, f0 = t, f(t)
        if f0 == 0.0:
            return x0
        direction = 1.0 if f0 > 0 else -1.0
        step = 1.0
        for _ in range(400):
            x1 = x0 + direction * step
            f1 = f(x1)
            if math.isnan(f1):
                step /= 2.0
                if step < 1e-9:
                    break
                continue
            if (f1 > 0) != (f0 > 0) or f1 == 0.0:
                low, high = (x0, x1) if x0 < x1 else (x1, x0)
                return float(optimize.brentq(f, low, high, xtol=1e-12, rtol=1e-12, maxiter=500))
            x0, f0 = x1, f1
            step *= 2.0
        raise ValueError("no bracket for the noncentrality parameter")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a scipy accuracy warning means the number is not trustworthy
            lam_lo, lam_hi = root(1.0 - alpha / 2.0), root(alpha / 2.0)
    except (ValueError, RuntimeError, ArithmeticError, Warning):
        return None
    if not (math.isfinite(lam_lo) and math.isfinite(lam_hi)):
        return None
    return (lam_lo, lam_hi)


def _wilcoxon(before: np.ndarray, after: np.ndarray) -> tuple[float | None, float | None, str | None]:
    # Differences are compared at 12 significant digits of the scores' scale, so that two people
    # whose scores (means of items, say) changed by "the same" amount tie, and a change written as
    # 5e-17 is zero, as they would be on paper; the ranks and the tie check need exact equality.
    scale = float(max(np.max(np.abs(before)), np.max(np.abs(after))))
    if scale == 0.0:
        return 0.0, None, None
    d = np.round((after - before) / scale, 12) * scale
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return 0.0, None, None
    # scipy's two-sided statistic is min(W+, W−); reports quote V = W+ (R's convention), so it is
    # summed here from scipy's ranks of |d| (a rank sum, no distribution).
    ranks = stats.rankdata(np.abs(nonzero))
    v = float(np.sum(ranks[nonzero > 0]))
    if np.unique(np.abs(nonzero)).size == nonzero.size:
        # No ties: scipy's "auto" (the exact distribution up to 50 pairs, else the normal one).
        method: object = "auto"
        used = "exact" if nonzero.size <= 50 else "normal"
    elif nonzero.size <= _EXACT_TIED_MAX:
        # Ties (common with whole-number scores): scipy's "exact" distribution assumes none, so
        # "auto" would give a p that is not exact, and the normal approximation is poor for a
        # handful of pairs (three equal changes: 0.08 against the true 0.25). scipy's permutation
        # method with at least 2^n resamples enumerates every sign pattern of the tied ranks:
        # the exact conditional p.
        method, used = stats.PermutationMethod(n_resamples=2 ** nonzero.size), "exact"
    else:
        # Ties and more pairs: the normal approximation with the tie-corrected variance, as R's
        # wilcox.test uses then (scipy's default, no continuity correction).
        method, used = "asymptotic", "normal"
    result = stats.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided", method=method)
    return v, float(result.pvalue), used


def paired_change(before: Sequence[float] | np.ndarray | pd.Series, after: Sequence[float] | np.ndarray | pd.Series,
                  confidence: float = 0.95) -> PairedChange:
    """Paired change from ``before`` to ``after`` (see :class:`PairedChange` for every field)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    b, a = paired_arrays(before, after)
    n = int(b.size)
    if n == 0:
        return PairedChange(n, None, None, None, None, None, None, None, None, None, None, None, None,
                            None, None, None, None, confidence)
    d = a - b
    mean_before, mean_after, mean_change = _mean(b), _mean(a), _mean(d)
    if n < 2:
        return PairedChange(n, mean_before, mean_after, None, None, mean_change, None, None, None, None,
                            None, None, None, None, None, None, None, confidence)

    sd_before, sd_after = _sd(b), _sd(a)
    sd_av = (sd_before + sd_after) / 2.0
    j = 1.0 - 3.0 / (4.0 * (n + n) - 9.0)
    df = n - 1
    wilcoxon_v, wilcoxon_p, wilcoxon_method = _wilcoxon(b, a)

    sd_change = 0.0 if _is_constant(d) else float(np.std(d, ddof=1))
    if sd_change == 0.0:
        # Every pair changed by the same amount: no spread, so t and d_z are 0/0 or infinite.
        # (Also differences so small, under about 1e-154, that their squares underflow to 0: no
        # score difference is that small, and no spread can be computed from them.)
        if mean_change == 0.0:  # 0.0 written out below: -0.0 would read oddly in a report
            return PairedChange(n, mean_before, mean_after, sd_before, sd_after, 0.0, 0.0, (0.0, 0.0),
                                None, df, None, 0.0, (0.0, 0.0), 0.0, (0.0, 0.0), wilcoxon_v, wilcoxon_p,
                                confidence, wilcoxon_method)
        g_av = j * mean_change / sd_av if sd_av > 0 else None
        return PairedChange(n, mean_before, mean_after, sd_before, sd_after, mean_change, 0.0,
                            (mean_change, mean_change), None, df, None, None, None, g_av, None,
                            wilcoxon_v, wilcoxon_p, confidence, wilcoxon_method)

    test = stats.ttest_rel(a, b)
    t = float(test.statistic)
    low, high = test.confidence_interval(confidence)
    ci = (float(low), float(high))
    d_z = mean_change / sd_change
    root_n = math.sqrt(n)
    lam = _noncentrality_interval(t, df, confidence)
    d_z_ci = None if lam is None else (lam[0] / root_n, lam[1] / root_n)
    # sd_av is 0 only when both waves are constant up to rounding, which leaves d nearly constant.
    g_av = j * mean_change / sd_av if sd_av > 0 else None
    if lam is None or g_av is None:
        g_av_ci = None
    else:
        scale = j * sd_change / (sd_av * root_n)
        g_av_ci = (lam[0] * scale, lam[1] * scale)
    return PairedChange(n, mean_before, mean_after, sd_before, sd_after, mean_change, sd_change, ci, t, df,
                        float(test.pvalue), d_z, d_z_ci, g_av, g_av_ci, wilcoxon_v, wilcoxon_p, confidence,
                        wilcoxon_method)
