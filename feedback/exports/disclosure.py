"""Disclosure control: is every combination of quasi-identifiers shared by at least k rows?

A quasi-identifier (site, role, age band, language) names nobody on its own, but a combination
held by one row can: "the Welsh-speaking father aged 16–17 at the north site". The smallest
group size over the quasi-identifiers a profile names is the dataset's k. When k is below the
profile's threshold the export generalises one step at a time along the profile's ladder (wider
age bands, then no language, then no site …) and stops as soon as k is enough; when the ladder
runs out it refuses. Rows are never suppressed one by one: that would silently bias the data.
Works on pandas frames: an export checks tens of thousands of rows.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    frame = frame.copy()
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

