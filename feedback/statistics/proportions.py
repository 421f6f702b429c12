"""Proportions and paired yes/no change: Wilson intervals and McNemar's test (statsmodels).

Wilson's score interval rather than the Wald interval: it stays inside [0, 1] and keeps close to
its nominal coverage at the small counts and extreme proportions services have (Newcombe 1998).
McNemar's test compares, among the same people, those who said yes only before with those who
said yes only after.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from statsmodels.stats.contingency_tables import mcnemar as _sm_mcnemar
from statsmodels.stats.proportion import proportion_confint

__all__ = ["wilson_interval", "McNemar", "mcnemar_table", "mcnemar"]


def wilson_interval(count: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for ``count`` of ``n``; None when n == 0 (no proportion)."""
    if n < 0 or count < 0 or count > n:
        raise ValueError(f"need 0 <= count <= n, got {count} of {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    if n == 0:
        return None
    low, high = proportion_confint(count, n, alpha=1.0 - confidence, method="wilson")
    low, high = float(low), float(high)
    # At 0 of n (n of n) the bound is 0 (1) exactly in theory; rounding can leave 1e-17 on the
    # wrong side of the observed proportion, so pin it.
    if count == 0:
        low = 0.0
    if count == n:
        high = 1.0
    return (max(0.0, low), min(1.0, high))


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on a paired yes/no item.

    ``p_exact``: the exact (binomial) two-sided p of statsmodels' ``mcnemar(exact=True)``.
    ``statistic``: the uncorrected chi-square (b − c)²/(b + c) (``exact=False, correction=False``).
    Both are None when no pair changed (b + c == 0): statsmodels would give p = 1.0 there, but
    with nobody changing there is nothing to test, and a report should say so rather than print
    p = 1.
    """

    both: int          # yes before and after
    only_before: int   # yes → no
    only_after: int    # no → yes
    neither: int       # no before and after
    p_exact: float | None
    statistic: float | None

    @property
    def n(self) -> int:
        return self.both + self.only_before + self.only_after + self.neither

    @property
    def discordant(self) -> int:
        return self.only_before + self.only_after


def mcnemar_table(both: int, only_before: int, only_after: int, neither: int) -> McNemar:
    """McNemar's test from the four cells of the paired 2×2 table."""
    cells = (both, only_before, only_after, neither)
    if any(int(c) != c or c < 0 for c in cells):
        raise ValueError(f"cells must be whole numbers 0 or more, got {cells}")
    both, only_before, only_after, neither = (int(c) for c in cells)
    if only_before + only_after == 0:
        return McNemar(both, only_before, only_after, neither, None, None)
    # Rows: before yes/no; columns: after yes/no.
    table = [[both, only_before], [only_after, neither]]
    exact = _sm_mcnemar(table, exact=True)
    chi2 = _sm_mcnemar(table, exact=False, correction=False)
    return McNemar(both, only_before, only_after, neither, float(exact.pvalue), float(chi2.statistic))


def _as_bools(values) -> pd.Series:
    series = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(list(values),
                                                                                           dtype="object")
    return series.astype("object")


def mcnemar(before, after) -> McNemar:
    """McNemar's test from two equal-length yes/no sequences (True/False or 1/0), paired by
    position; a pair with a missing value (None, NaN, pd.NA) on either side is dropped."""
    b, a = _as_bools(before), _as_bools(after)
    if len(b) != len(a):
        raise ValueError(f"before and after differ in length ({len(b)} and {len(a)})")
    keep = b.notna() & a.notna()
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for x, y in zip(b[keep], a[keep]):
        if x not in (True, False) or y not in (True, False):  # 1/0 and numpy booleans compare equal
            raise ValueError(f"answers must be yes/no (True/False or 1/0), got {x!r} and {y!r}")
        counts[(bool(x), bool(y))] += 1
    return mcnemar_table(counts[(True, True)], counts[(True, False)], counts[(False, True)],
                         counts[(False, False)])
