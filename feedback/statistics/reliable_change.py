"""Reliable and clinically significant change for one person (Jacobson & Truax 1991).

A change is *reliable* when it is larger than measurement error alone would make it 95% of the
time: |after − before| > 1.96 × S_diff, where SEM = SD_before × √(1 − r) and S_diff = √2 × SEM.
It is *clinically significant* ("recovered") when, in addition, the person moved from the clinical
(difficulty) range to outside it, judged by a published cut-off or by Jacobson & Truax's
criterion c.

The reliability r comes from the instrument file when it publishes one, else from Cronbach's alpha
on the entry wave (``choose_reliability``), with a warning when too few people answered.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

__all__ = [
    "Z95", "CLASSES", "Reliability", "cronbach_alpha", "choose_reliability", "ChangeThreshold",
    "change_threshold", "reliable_change_index", "jacobson_truax_c", "classify", "classify_all", "is_clinical",
]

# The two-sided 95% normal quantile (1.959964…), from scipy rather than the rounded 1.96.
Z95 = float(scipy.stats.norm.ppf(0.975))
CLASSES = ("recovered", "improved", "unchanged", "deteriorated")
BETTER = ("higher", "lower")
CUTOFF_DIRECTIONS = ("at_or_above", "at_or_below")


@dataclass(frozen=True)
class Reliability:
    value: float | None   # the coefficient used (None: cannot be had)
    source: str           # e.g. "instrument file: Epstein et al. 1983" or "Cronbach's alpha, entry wave (n = 41)"
    n: int | None         # respondents behind a computed alpha; None for a value from a file
    warning: str | None   # e.g. "alpha from fewer than 30 respondents (n = 12): unstable"


def cronbach_alpha(items: pd.DataFrame) -> tuple[float | None, int]:
    """Cronbach's alpha of ``items`` (rows respondents, columns items, already reverse-scored).

    α = k/(k − 1) × (1 − Σ var(item) / var(total)), sample variances (ddof = 1) over the rows
    with every item answered. Returns (alpha, rows used); alpha is None with fewer than 2 items,
    fewer than 2 complete rows, or totals that do not vary (α would be 0/0).
    """
    frame = items.apply(pd.to_numeric, errors="raise").dropna(axis=0, how="any")
    n, k = frame.shape
    if k < 2 or n < 2:
        return None, int(n)
    values = frame.to_numpy(dtype=float)
    total = values.sum(axis=1)
    # Exact test for "no variance": np.var of equal values can come out as 1e-30, not 0.
    if np.all(total == total[0]):
        return None, int(n)
    item_variances = values.var(axis=0, ddof=1).sum()
    total_variance = total.var(ddof=1)
    alpha = k / (k - 1) * (1.0 - item_variances / total_variance)
    return float(alpha), int(n)


def choose_reliability(file_value: float | None, file_source: str | None, entry_items: pd.DataFrame | None,
                       min_n: int = 30) -> Reliability:
    """The reliability to use for reliable change.

    A value published in the instrument file wins (``source`` "instrument file: <source>", ``n``
    None): it comes from a norm sample, larger and better described than ours. Otherwise Cronbach's
    alpha on the entry wave's items, with a warning under ``min_n`` complete respondents (alpha's
    sampling error is large there). A coefficient outside (0, 1] cannot give a threshold: ``value``
    is then None and ``warning`` says why, so a report can show the reason instead of failing.
    """
    if file_value is not None:
        source = f"instrument file: {file_source}" if file_source else "instrument file"
        value = float(file_value)
        if not (0.0 < value <= 1.0) or math.isnan(value):
            return Reliability(None, source, None, f"reliability in the instrument file ({value:g}) is outside (0, 1]")
        return Reliability(value, source, None, None)
    if entry_items is None:
        return Reliability(None, "none: no reliability in the instrument file and no entry-wave items", None,
                           "no reliability available")
    alpha, n = cronbach_alpha(entry_items)
    source = f"Cronbach's alpha, entry wave (n = {n})"
    if alpha is None:
        return Reliability(None, source, n, f"alpha cannot be computed (n = {n}, {entry_items.shape[1]} items, "
                                            "or the totals do not vary)")
    if alpha <= 0.0:
        return Reliability(None, source, n, f"alpha is {alpha:.3f} (not above 0): the items do not hang together")
    warning = f"alpha from fewer than {min_n} respondents (n = {n}): unstable" if n < min_n else None
    return Reliability(alpha, source, n, warning)


@dataclass(frozen=True)
class ChangeThreshold:
    sd_before: float
    reliability: float
    se: float          # SEM = sd_before × √(1 − r)
    s_diff: float      # √2 × SEM
    threshold: float   # Z95 × s_diff: the least change in scale units that is reliable


def change_threshold(sd_before: float, reliability: float) -> ChangeThreshold:
    """Jacobson & Truax (1991)'s reliable-change threshold from the entry SD and a reliability.

    Raises ValueError for sd_before ≤ 0 (or not finite) or reliability outside (0, 1]; r = 1
    (no measurement error) gives threshold 0, so any change is reliable.
    """
    sd_before, reliability = float(sd_before), float(reliability)
    if not (math.isfinite(sd_before) and sd_before > 0.0):
        raise ValueError(f"the entry SD must be a positive number, not {sd_before}")
    if not (0.0 < reliability <= 1.0):  # NaN fails this too
        raise ValueError(f"reliability must be in (0, 1], not {reliability}")
    se = sd_before * math.sqrt(1.0 - reliability)
    s_diff = math.sqrt(2.0) * se
    return ChangeThreshold(sd_before, reliability, se, s_diff, Z95 * s_diff)


def reliable_change_index(before: float, after: float, s_diff: float) -> float:
    """RCI = (after − before) / S_diff; |RCI| > 1.96 is reliable change. ValueError for S_diff ≤ 0."""
    if not s_diff > 0.0:
        raise ValueError(f"S_diff must be positive, not {s_diff}")
    return (after - before) / s_diff


def jacobson_truax_c(mean_dysfunctional: float, sd_dysfunctional: float, mean_functional: float,
                     sd_functional: float) -> float:
    """Criterion c: the point between the clinical and the functional populations' means weighted
    by their SDs, (s0·M1 + s1·M0)/(s0 + s1) (Jacobson & Truax 1991), where M1, s1 are the
    dysfunctional and M0, s0 the functional population's."""
    if not (sd_dysfunctional > 0.0 and sd_functional > 0.0):
        raise ValueError("both SDs must be positive")
    return ((sd_functional * mean_dysfunctional + sd_dysfunctional * mean_functional)
            / (sd_dysfunctional + sd_functional))


def is_clinical(score: float, cutoff: float, cutoff_direction: str) -> bool:
    """Whether ``score`` is in the clinical (difficulty) range for this cut-off."""
    if cutoff_direction == "at_or_above":
        return score >= cutoff
    if cutoff_direction == "at_or_below":
        return score <= cutoff
    raise ValueError(f"cutoff_direction must be one of {CUTOFF_DIRECTIONS}, not {cutoff_direction!r}")


def classify(before: float, after: float, threshold: float, better: str, cutoff: float | None = None,
             cutoff_direction: str | None = None) -> str:
    """One of ``CLASSES`` for a person's two scores.

    Reliable change is |after − before| > threshold (strict: a change of exactly the threshold is
    not reliable). A reliable change in the ``better`` direction is "improved", or "recovered" when
    a cut-off is given and the person was in the clinical range before and is not after; a
    reliable change the other way is "deteriorated"; anything else "unchanged". Without a cut-off
    nobody is "recovered".
    """
    _check(threshold, better, cutoff, cutoff_direction)
    change = after - before
    if not abs(change) > threshold:
        return "unchanged"
    improved = change > 0 if better == "higher" else change < 0
    if not improved:
        return "deteriorated"
    if cutoff is not None and is_clinical(before, cutoff, cutoff_direction) and not is_clinical(
            after, cutoff, cutoff_direction):
        return "recovered"
    return "improved"


def _check(threshold: float, better: str, cutoff: float | None, cutoff_direction: str | None) -> None:
    if better not in BETTER:
        raise ValueError(f"better must be one of {BETTER}, not {better!r}")
    if not threshold >= 0.0:
        raise ValueError(f"threshold must be 0 or more, not {threshold}")
    if cutoff is not None and cutoff_direction not in CUTOFF_DIRECTIONS:
        raise ValueError(f"a cut-off needs cutoff_direction in {CUTOFF_DIRECTIONS}, not {cutoff_direction!r}")


def classify_all(before, after, threshold: float, better: str, cutoff: float | None = None,
                 cutoff_direction: str | None = None) -> np.ndarray:
    """``classify`` for many people at once: for each pair of ``before`` and ``after`` (arrays of
    the same length), the position in ``CLASSES`` of the class ``classify`` gives it (int8).

    A report or export classes every member of a national cohort: one Python call per person cost
    most of a second at 100,000 families; the same comparisons over arrays cost milliseconds. A
    missing score (NaN) changes by NaN, which is not more than the threshold: "unchanged", as
    ``classify`` has it (callers leave such people out)."""
    _check(threshold, better, cutoff, cutoff_direction)
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    with np.errstate(invalid="ignore"):  # infinity less infinity: NaN, as Python's floats give it
        change = after - before
    reliable = np.abs(change) > threshold
    better_way = change > 0 if better == "higher" else change < 0
    classes = np.full(change.shape, CLASSES.index("unchanged"), dtype=np.int8)
    classes[reliable & ~better_way] = CLASSES.index("deteriorated")
    classes[reliable & better_way] = CLASSES.index("improved")
    if cutoff is not None:
        # ``is_clinical``'s comparisons work element by element on arrays.
        recovered = (reliable & better_way & is_clinical(before, cutoff, cutoff_direction)
                     & ~is_clinical(after, cutoff, cutoff_direction))
        classes[recovered] = CLASSES.index("recovered")
    return classes
