"""Disclosure control: is every combination of quasi-identifiers shared by at least k rows?

A quasi-identifier (site, role, age band, language) names nobody on its own, but a combination
held by one row can: "the Welsh-speaking father aged 16–17 at the north site". The smallest
group size over the quasi-identifiers a profile names is the dataset's k. When k is below the
profile's threshold the export generalises one step at a time along the profile's ladder (wider
age bands, then no language, then no site …) and stops as soon as k is enough; when the ladder
runs out it refuses. Rows are never dropped one by one: that would silently bias the data. Or,
by local suppression (``suppress_locally``), the rare rows lose single values instead.
Works on pandas frames: an export checks tens of thousands of rows.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Recode:
    """Replace each value of ``column`` by ``recode(value)``, e.g. a narrow age band by a wider one."""

    column: str
    recode: Callable[[Any], Any]
    description: str

    def apply(self, frame: pd.DataFrame, quasi: list[str]) -> tuple[pd.DataFrame, list[str]]:
        # Recode each distinct value once: a column has a handful of bands and many rows.
        mapping = {value: self.recode(value) for value in frame[self.column].dropna().unique()}
        recoded = pd.Series([None if _value(v) is None else mapping[v] for v in frame[self.column]],
                            index=frame.index, dtype="object")
        return frame.assign(**{self.column: recoded}), quasi


@dataclass(frozen=True)
class Drop:
    """Leave ``column`` out of the dataset altogether."""

    column: str

    @property
    def description(self) -> str:
        return f"{self.column} left out"

    def apply(self, frame: pd.DataFrame, quasi: list[str]) -> tuple[pd.DataFrame, list[str]]:
        return frame.drop(columns=[self.column]), [name for name in quasi if name != self.column]


Step = Recode | Drop


@dataclass(frozen=True)
class Generalised:
    """What ``generalise`` did. ``frame`` is None when it refused; ``message`` is for the researcher.

    ``smallest`` is the quasi-identifier values of the smallest group and ``smallest_size`` its
    size: enough to see which combination is too rare, nothing from any row beyond that.
    """

    frame: pd.DataFrame | None
    quasi: tuple[str, ...]
    k: int
    threshold: int
    steps: tuple[str, ...]
    smallest: dict[str, Any]
    message: str

    @property
    def refused(self) -> bool:
        return self.frame is None


def _value(value: Any) -> Any:
    # Missing values (None, NaN from pandas) form one group of their own; NaN != NaN would
    # otherwise scatter them into groups of one.
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def _groups(frame: pd.DataFrame, quasi: Sequence[str]) -> Counter:
    """Rows per combination of ``quasi`` values; a column the frame lacks counts as missing."""
    if not len(frame):
        return Counter()
    if not quasi:
        return Counter({(): len(frame)})
    columns = [frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype="object")
               for name in quasi]
    keys = pd.DataFrame({n: c for n, c in enumerate(columns)})
    sizes = keys.groupby(list(keys.columns), dropna=False, sort=False).size()
    counts = Counter()
    for key, size in sizes.items():
        key = key if isinstance(key, tuple) else (key,)
        counts[tuple(_value(v) for v in key)] += int(size)
    return counts


def smallest_group(frame: pd.DataFrame, quasi: Sequence[str]) -> int:
    """k: the number of rows in the rarest combination of ``quasi`` values (0 when no rows).

    A row without one of the columns counts as missing there. With no quasi-identifiers, all
    rows are one group.
    """
    groups = _groups(frame, quasi)
    return min(groups.values()) if groups else 0


def generalise(frame: pd.DataFrame, quasi: Sequence[str], k: int, ladder: Sequence[Step] = ()) -> Generalised:
    """Apply the ladder's steps in order, only as far as needed for every group to hold ``k`` rows.

    Returns the generalised frame (a copy; the input is untouched), or a refusal naming the
    combination still too small. Refuses a threshold below 1 and steps on columns that are not
    quasi-identifiers (generalising anything else cannot change k).
    """
    if k < 1:
        raise ValueError(f"the smallest group size must be at least 1, not {k}")
    quasi = list(quasi)
    for step in ladder:
        if step.column not in quasi:
            raise ValueError(f"the generalisation '{step.description}' is about {step.column!r}, "
                             f"which is not one of the quasi-identifiers ({', '.join(quasi)})")
    frame = frame.copy(deep=False)  # copy-on-write: a column replaced here never changes the input
    applied: list[str] = []
    pending = list(ladder)
    while True:
        groups = _groups(frame, quasi)
        smallest, size = min(groups.items(), key=lambda item: item[1]) if groups else ((), 0)
        if size >= k or not pending:
            break
        step = pending.pop(0)
        if step.column not in quasi or step.column not in frame.columns:  # dropped by an earlier step
            continue
        frame, quasi = step.apply(frame, quasi)
        applied.append(step.description)
    combination = dict(zip(quasi, smallest))
    if size >= k:
        done = f" after {'; '.join(applied)}" if applied else ""
        return Generalised(frame, tuple(quasi), size, k, tuple(applied), combination,
                           f"Every group has at least {k} rows (smallest {size}){done}.")
    described = ", ".join(f"{name} = {value}" for name, value in combination.items()) or "all rows together"
    tried = f" even after {'; '.join(applied)}" if applied else ""
    return Generalised(None, tuple(quasi), size, k, tuple(applied), combination,
                       f"Refused: the group ({described}) has {size} row{'s' if size != 1 else ''}{tried}; "
                       f"the profile asks for at least {k}. Add wider steps to the profile's ladder, "
                       "name fewer quasi-identifiers, or lower its threshold.")



# Local suppression -------------------------------------------------------------------------------
#
# Generalising changes a column for everyone; refusing gives the evaluator nothing. Local
# suppression (as sdcMicro's ``localSuppression`` does it) blanks single quasi-identifier values of
# the rare rows only, fewest first, until every row could be any of at least k rows. A blank is
# read as it is by sdcMicro: a missing value could be any value, so a row matches every row that
# agrees with it wherever both have a value. A value already missing is read the same way.

#: The largest share of a column's values local suppression may blank before the export is
#: refused instead (a column mostly blanked misleads more than it protects).
MAX_SUPPRESSED_SHARE = 0.05


@dataclass(frozen=True)
class Suppressed:
    """What ``suppress_locally`` did. ``frame`` is None when it refused; ``message`` is for the researcher."""

    frame: pd.DataFrame | None
    quasi: tuple[str, ...]
    #: The fewest rows any row could be (a blank matching any value), after suppression.
    k: int
    threshold: int
    #: Values blanked per column (columns with none are left out).
    blanked: dict[str, int]
    message: str

    @property
    def refused(self) -> bool:
        return self.frame is None


def _codes(frame: pd.DataFrame, quasi: Sequence[str]) -> np.ndarray:
    """The quasi-identifiers as whole-number codes per column, −1 where missing."""
    columns = []
    for name in quasi:
        values = frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype="object")
        codes, _ = pd.factorize(pd.Series([_value(v) for v in values], dtype="object"), use_na_sentinel=True)
        columns.append(codes)
    return np.column_stack(columns).astype(np.int64) if columns else np.zeros((len(frame), 0), dtype=np.int64)


def matching_rows(frame: pd.DataFrame, quasi: Sequence[str]) -> np.ndarray:
    """For each row, how many rows (itself included) it could be: those agreeing with it on every
    quasi-identifier both have a value for. Computed per pair of missing-value patterns, of which
    a table has few, rather than per pair of rows."""
    return _matching(_codes(frame, quasi))


def _combination_ids(codes: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """For each of ``rows``, a number standing for its combination of values in ``columns`` (equal
    numbers, equal combinations). Built a column at a time, each step's numbers kept below the
    row count by factorising: ``np.unique(axis=0)`` over the rows' sub-table did the same with
    several copies of it (sorted as raw bytes), the export's largest allocation after its table."""
    ids = np.zeros(len(rows), dtype=np.int64)
    for column in columns:
        values = codes[rows, column]  # codes run from −1 (missing) up, below the row count
        ids, _ = pd.factorize(ids * (int(values.max()) + 2) + (values + 1))
    return ids


def _matching(codes: np.ndarray) -> np.ndarray:
    n = len(codes)
    counts = np.zeros(n, dtype=np.int64)
    if n == 0:
        return counts
    present = codes >= 0
    patterns, pattern_of = np.unique(present, axis=0, return_inverse=True)
    pattern_of = pattern_of.reshape(-1)
    members = [np.flatnonzero(pattern_of == p) for p in range(len(patterns))]
    for r, rows in enumerate(members):
        for p, others in enumerate(members):
            shared = patterns[r] & patterns[p]
            if not shared.any():
                counts[rows] += len(others)
                continue
            inverse = _combination_ids(codes, np.concatenate([others, rows]), np.flatnonzero(shared))
            tally = np.bincount(inverse[:len(others)], minlength=inverse.max() + 1)
            counts[rows] += tally[inverse[len(others):]]
    return counts


def _matches(codes: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Which rows ``row`` (codes, −1 missing) could be."""
    known = row >= 0
    if not known.any():
        return np.ones(len(codes), dtype=bool)
    part = codes[:, known]
    return np.all((part == row[known]) | (part < 0), axis=1)


def suppress_locally(frame: pd.DataFrame, quasi: Sequence[str], k: int, blank_first: Sequence[str] | None = None,
                     max_share: float = MAX_SUPPRESSED_SHARE) -> Suppressed:
    """Blank the fewest quasi-identifier values, of rows that could be fewer than ``k`` rows, for
    every row to be at least ``k`` rows. Each rare row, rarest first, loses one value at a time:
    the one whose blanking makes it match the most rows (ties: the column earliest in
    ``blank_first``, by default the quasi-identifiers from the last-named to the first). Blanking
    only widens what a row matches, so no row that was safe becomes rare. Refuses, naming the
    column, when more than ``max_share`` of a column's values would go, or when the table has
    fewer than ``k`` rows at all. Other columns are never touched; the input is left as it was."""
    if k < 1:
        raise ValueError(f"the smallest group size must be at least 1, not {k}")
    quasi = [name for name in quasi if name in frame.columns]
    order = list(blank_first) if blank_first is not None else list(reversed(quasi))
    rank = {name: order.index(name) if name in order else len(order) + quasi.index(name) for name in quasi}
    codes = _codes(frame, quasi)
    counts = _matching(codes)
    blanked = np.zeros_like(codes, dtype=bool)
    n = len(frame)
    if n and n < k:
        return Suppressed(None, tuple(quasi), int(counts.min()), k, {},
                          f"Refused: the table has {n} row{'s' if n != 1 else ''}, fewer than the {k} the profile "
                          "asks every row to be indistinguishable from; blanking values cannot help. Widen the "
                          "selection (more sites or waves).")
    for row in np.argsort(counts, kind="stable"):
        while counts[row] < k:
            before = _matches(codes, codes[row])
            best = None
            for c in sorted((c for c in range(len(quasi)) if codes[row, c] >= 0), key=lambda c: rank[quasi[c]]):
                trial = codes[row].copy()
                trial[c] = -1
                reach = int(_matches(codes, trial).sum())
                if best is None or reach > best[0]:
                    best = (reach, c)
            if best is None:   # cannot happen with n ≥ k: a row with every value blank matches all
                break
            codes[row, best[1]] = -1
            blanked[row, best[1]] = True
            after = _matches(codes, codes[row])
            # The rows it now could be also could be it: one more match each.
            counts[after & ~before] += 1
            counts[row] = int(after.sum())
    per_column = {quasi[c]: int(blanked[:, c].sum()) for c in range(len(quasi)) if blanked[:, c].any()}
    smallest = int(counts.min()) if n else 0
    for name, count in per_column.items():
        if count > max_share * n:
            return Suppressed(None, tuple(quasi), smallest, k, per_column,
                              f"Refused: local suppression would blank {count} of {n} values of {name} "
                              f"({100 * count / n:.1f}%), more than the {100 * max_share:g}% the profile allows. "
                              "Widen the selection, name fewer quasi-identifiers, or generalise instead "
                              "(on_small_groups: generalise).")
    out = frame.copy(deep=False)  # copy-on-write: the blanked columns are new, the input stays as it was
    for c, name in enumerate(quasi):
        rows = blanked[:, c]
        if rows.any():
            column = out[name].astype("object")
            column[rows] = None
            out[name] = column
    total = sum(per_column.values())
    done = (f" after blanking {total} value{'s' if total != 1 else ''} ("
            + ", ".join(f"{name} {count}" for name, count in per_column.items()) + ")") if total else ""
    return Suppressed(out, tuple(quasi), smallest, k, per_column,
                      f"Every row matches at least {k} rows (fewest {smallest}){done}.")
