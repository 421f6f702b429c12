"""Small-number suppression: report tables that cannot point at a family.

A manager's table goes into a report to commissioners, and "2 families at the north site got
worse" can name them to anyone who knows the site. So every count below the threshold is shown
as "<10" (primary suppression). Hiding those cells is not enough when the table shows totals:
a row of 25 with 5, 8 and 12 shown and one cell hidden gives the hidden cell away by
subtraction. Further cells are hidden (secondary suppression, shown as "[c]") until every row
and column holding a hidden cell holds at least two, and until no hidden cell can be worked out
from the totals, the other cells and what "<10" and "[c]" themselves say (a "<10" and a "[c]"
of 10 adding to 11 can only be 1 and 10). Percentages and means follow the counts behind them.

Zeros: a true zero is shown as 0 by default. It names no family, a reader needs it, and hiding
it protects nothing. Where a zero itself discloses (every family at a site got better), pass
``SmallNumbers(suppress_zeros=True)`` and zeros are shown as "<10" like other small counts.

``SmallNumbers(enabled=False)`` returns the same structures with nothing hidden, for
researchers' internal use; its method sentence says the table must not be published.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

HIDDEN = "[c]"   # the Government Statistical Service's mark for a value withheld as confidential
NO_DATA = "–"    # nothing to show: a percentage or mean of nobody

Cell = tuple[int, int]


@dataclass(frozen=True)
class SmallNumbers:
    """The suppression rule: counts below ``threshold`` are hidden; zeros are shown unless
    ``suppress_zeros``; ``enabled=False`` hides nothing (internal use only)."""

    threshold: int = 10
    suppress_zeros: bool = False
    enabled: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 2:
            raise ValueError(f"the small-number threshold must be a whole number of at least 2, not {self.threshold!r}")
        if self.threshold == 2 and not self.suppress_zeros:
            # With zeros shown, "<2" could only mean 1: the mark itself would disclose the count.
            raise ValueError("a threshold of 2 with zeros shown would show every 1 as '<2', which can only mean 1; "
                             "use a threshold of at least 3, or suppress zeros too")

    @property
    def small_label(self) -> str:
        return f"<{self.threshold}"

    def is_small(self, count: int) -> bool:
        """Whether this count is hidden on its own (primary suppression)."""
        return self.enabled and count < self.threshold and (count > 0 or self.suppress_zeros)

    @property
    def method(self) -> str:
        """The sentence to print under a table or chart."""
        if not self.enabled:
            return ("Small numbers are not hidden in this table: it is for internal use by researchers only "
                    "and must not be published or shared.")
        t = self.threshold
        counts = f"Counts below {t}, including zero," if self.suppress_zeros else f"Counts below {t}"
        return (f"{counts} are shown as <{t}; further cells are hidden, shown as {HIDDEN}, so that totals "
                f"cannot reveal them (secondary suppression). Percentages and means based on fewer than {t} "
                "are not shown, nor percentages that would reveal a hidden count.")


@dataclass(frozen=True)
class SuppressedTable:
    """A table as it may be shown: ``values`` as computed, ``suppressed`` True where hidden,
    ``display`` the text for each cell, ``shown`` the value or None (for CSV and XLSX).

    ``withheld`` is True when no choice of cells could protect a small count, so everything
    is hidden; the page should then say there is not enough data.
    """

    values: pd.DataFrame
    suppressed: pd.DataFrame
    display: pd.DataFrame
    rule: SmallNumbers
    total_row: Hashable | None = None
    total_column: Hashable | None = None
    withheld: bool = False

    @property
    def shown(self) -> pd.DataFrame:
        return _shown(self.values, self.suppressed)

    @property
    def method(self) -> str:
        return self.rule.method

    def percentages(self, of: Literal["row", "column", "grand"] = "row", decimals: int = 0) -> SuppressedTable:
        """Each cell as a percentage of its row's total, its column's total or the grand total.

        A percentage is hidden when its count is hidden (30% of a shown 20 reveals 6) and when
        its base is hidden (a shown 40 at 25% reveals a base of 160). A base of 0 gives no
        percentage ("–"). Refused when the table lacks the total asked for.
        """
        needs = {"row": [self.total_column], "column": [self.total_row],
                 "grand": [self.total_row, self.total_column]}.get(of)
        if needs is None:
            raise ValueError(f"percentages are of 'row', 'column' or 'grand' totals, not {of!r}")
        if any(label is None for label in needs):
            raise ValueError(f"percentages of the {of} total need a table with that total; "
                             "pass total_row/total_column or add_total_row/add_total_column to suppress_table")
        counts = self.values.to_numpy(dtype=float)
        hidden = self.suppressed.to_numpy(dtype=bool)
        i_t = None if self.total_row is None else self.values.index.get_loc(self.total_row)
        j_t = None if self.total_column is None else self.values.columns.get_loc(self.total_column)
        if of == "row":
            base, base_hidden = counts[:, [j_t]], hidden[:, [j_t]]
        elif of == "column":
            base, base_hidden = counts[[i_t], :], hidden[[i_t], :]
        else:
            base, base_hidden = counts[i_t, j_t], hidden[i_t, j_t]
        with np.errstate(divide="ignore", invalid="ignore"):
            percent = np.where(base > 0, 100.0 * counts / base, np.nan)
        suppressed = (hidden | base_hidden) & ~np.isnan(percent)
        display = np.where(np.isnan(percent), NO_DATA,
                           np.where(suppressed, HIDDEN, [[f"{p:.{decimals}f}%" for p in row] for row in percent]))
        frame = self.values
        return SuppressedTable(pd.DataFrame(percent, index=frame.index, columns=frame.columns),
                               pd.DataFrame(suppressed, index=frame.index, columns=frame.columns),
                               pd.DataFrame(display, index=frame.index, columns=frame.columns, dtype=object),
                               self.rule, self.total_row, self.total_column, self.withheld)


@dataclass(frozen=True)
class SuppressedSeries:
    """Percentages or means with their bases, as they may be shown: ``values`` as computed
    (NaN where the base is 0), ``suppressed`` True where hidden, ``display`` the text,
    ``shown`` the value or None; ``base_display`` and ``bases_shown`` likewise for the bases."""

    values: pd.Series
    bases: pd.Series
    suppressed: pd.Series
    display: pd.Series
    base_suppressed: pd.Series
    base_display: pd.Series
    rule: SmallNumbers

    @property
    def shown(self) -> pd.Series:
        return pd.Series([None if hide or _missing(v) else float(v) for v, hide in zip(self.values, self.suppressed)],
                         index=self.values.index, dtype=object)

    @property
    def bases_shown(self) -> pd.Series:
        return pd.Series([None if hide else int(b) for b, hide in zip(self.bases, self.base_suppressed)],
                         index=self.bases.index, dtype=object)

    @property
    def method(self) -> str:
        return self.rule.method


def suppress_table(counts: pd.DataFrame, *, total_row: Hashable | None = None, total_column: Hashable | None = None,
                   add_total_row: bool = False, add_total_column: bool = False, total_label: str = "Total",
                   rule: SmallNumbers = SmallNumbers()) -> SuppressedTable:
    """Hide small counts in ``counts`` and, where it shows totals, enough further cells that
    the totals cannot give a hidden count away.

    ``total_row`` names the row holding each column's total, ``total_column`` the column
    holding each row's total; with both, their crossing is the grand total. Or let this
    function add them (``add_total_row``, ``add_total_column``, labelled ``total_label``).
    Refuses counts that are missing, negative or not whole, duplicated labels, and totals that
    are not the sum of their cells (a total of "families with any risk factor" is not a sum of
    risk factors: suppress such a table without totals and the totals as a table of their own).
    """
    frame = _with_totals(counts, total_row, total_column, add_total_row, add_total_column, total_label)
    if add_total_row:
        total_row = total_label
    if add_total_column:
        total_column = total_label
    values = _whole_numbers(frame)
    i_t = None if total_row is None else frame.index.get_loc(total_row)
    j_t = None if total_column is None else frame.columns.get_loc(total_column)
    lines = _lines(values.shape, i_t, j_t)
    _check_totals(frame, values, lines)
    small = np.vectorize(rule.is_small, otypes=[bool])(values) if values.size else np.zeros(values.shape, bool)
    hidden, withheld = _protect(values, small, lines, rule) if rule.enabled else (small, False)
    display = np.where(hidden, HIDDEN, values.astype(str)).astype(object)
    if not withheld:
        display[small] = rule.small_label
    return SuppressedTable(pd.DataFrame(values, index=frame.index, columns=frame.columns),
                           pd.DataFrame(hidden, index=frame.index, columns=frame.columns),
                           pd.DataFrame(display, index=frame.index, columns=frame.columns, dtype=object),
                           rule, total_row, total_column, withheld)


def suppress_proportions(counts: Sequence[int], bases: Sequence[int], *, labels: Sequence[Hashable] | None = None,
                         rule: SmallNumbers = SmallNumbers(), decimals: int = 0,
                         protect_complement: bool = True) -> SuppressedSeries:
    """Percentages ``counts / bases``, hidden when the count or the base is small.

    Pass the counts, not the percentages: whether a percentage is safe depends on the count
    behind it. With ``protect_complement`` (the default) the rest of each base is a count
    too: 95% of a shown 20 reveals that 1 family did not, so that percentage is hidden. Where
    the count and the shown base would pin a hidden count exactly, the base is hidden too.
    Refuses counts greater than their base.
    """
    counts, bases = list(counts), list(bases)
    index = _series_index(labels, len(counts), len(bases))
    rows = []
    for label, count, base in zip(index, counts, bases):
        if _whole(count) is None or _whole(base) is None or not 0 <= count <= base:
            raise ValueError(f"{label}: a proportion needs whole counts with 0 ≤ count ≤ base, not {count!r} of {base!r}")
        rows.append((int(count), int(base) - int(count), int(base)))
    table = pd.DataFrame(rows, index=index, columns=["count", "rest", "base"])
    if not protect_complement:
        table = table.drop(columns="rest")
    counted = suppress_table(table, total_column="base" if protect_complement else None, rule=rule)
    percent = counted.percentages("row", decimals) if protect_complement else _proportions_alone(counted, decimals)
    return SuppressedSeries(percent.values["count"], counted.values["base"], percent.suppressed["count"],
                            percent.display["count"], counted.suppressed["base"], counted.display["base"], rule)


def suppress_means(means: Sequence[float | None], bases: Sequence[int], *, labels: Sequence[Hashable] | None = None,
                   rule: SmallNumbers = SmallNumbers(), decimals: int = 1) -> SuppressedSeries:
    """Means hidden when fewer than the threshold answered (their base); "–" when nobody did
    or the mean is missing. Refuses a mean with a base of 0 and bases that are not whole."""
    means, bases = list(means), list(bases)
    index = _series_index(labels, len(means), len(bases))
    values, suppressed, display = [], [], []
    for label, mean, base in zip(index, means, bases):
        if _whole(base) is None or base < 0:
            raise ValueError(f"{label}: the number of people behind a mean must be a whole number, not {base!r}")
        if base == 0 and not _missing(mean):
            raise ValueError(f"{label}: a mean of {mean!r} from nobody; pass None when there were no answers")
        hide = rule.is_small(int(base)) and not _missing(mean)
        values.append(math.nan if _missing(mean) else float(mean))
        suppressed.append(hide)
        display.append(NO_DATA if _missing(mean) else HIDDEN if hide else f"{float(mean):.{decimals}f}")
    base_hidden = [rule.is_small(int(b)) for b in bases]
    return SuppressedSeries(pd.Series(values, index=index, dtype=float), pd.Series([int(b) for b in bases], index=index),
                            pd.Series(suppressed, index=index, dtype=bool), pd.Series(display, index=index, dtype=object),
                            pd.Series(base_hidden, index=index, dtype=bool),
                            pd.Series([rule.small_label if h else str(int(b)) for b, h in zip(bases, base_hidden)],
                                      index=index, dtype=object), rule)


# --- Checking and shaping the input ---------------------------------------------------------

def _whole(value) -> int | None:
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _series_index(labels, n_values: int, n_bases: int) -> pd.Index:
    if n_values != n_bases:
        raise ValueError(f"there are {n_values} values but {n_bases} bases; give one base for each value")
    if labels is not None and len(labels) != n_values:
        raise ValueError(f"there are {n_values} values but {len(labels)} labels")
    return pd.Index(list(labels), dtype=object) if labels is not None else pd.RangeIndex(n_values)


def _with_totals(counts: pd.DataFrame, total_row, total_column, add_row: bool, add_column: bool,
                 label: str) -> pd.DataFrame:
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(f"suppress_table takes a pandas DataFrame of counts, not {type(counts).__name__}")
    if not counts.index.is_unique or not counts.columns.is_unique:
        raise ValueError("every row and column of the table needs a label of its own; some labels are repeated")
    if (add_row and total_row is not None) or (add_column and total_column is not None):
        raise ValueError("name an existing total or ask for one to be added, not both")
    for name, labels, kind in ((total_row, counts.index, "row"), (total_column, counts.columns, "column")):
        if name is not None and name not in labels:
            raise ValueError(f"the table has no {kind} called {name!r} to use as its total {kind}")
    frame = counts.copy()
    if add_column:
        if label in frame.columns:
            raise ValueError(f"the table already has a column called {label!r}; choose another total_label")
        frame[label] = [sum(_cell(v) for v in row) for row in frame.itertuples(index=False)]
    if add_row:
        if label in frame.index:
            raise ValueError(f"the table already has a row called {label!r}; choose another total_label")
        frame.loc[label] = [sum(_cell(v) for v in frame[column]) for column in frame.columns]
    inner_rows = len(frame.index) - (total_row is not None or add_row)
    inner_columns = len(frame.columns) - (total_column is not None or add_column)
    if inner_rows < 1 or inner_columns < 1:
        raise ValueError("the table has no counts to show (no rows or columns besides any totals)")
    return frame


def _cell(value) -> int:
    whole = _whole(value)
    if whole is None or whole < 0:
        raise ValueError(f"counts must be whole numbers of 0 or more, not {value!r}; put 0 where there were none")
    return whole


def _whole_numbers(frame: pd.DataFrame) -> np.ndarray:
    raw = frame.to_numpy(dtype=object)
    values = np.zeros(raw.shape, dtype=np.int64)
    for (i, j), value in np.ndenumerate(raw):
        whole = _whole(value)
        if whole is None or whole < 0:
            raise ValueError(f"row {frame.index[i]!r}, column {frame.columns[j]!r}: counts must be whole numbers "
                             f"of 0 or more, not {value!r}; put 0 where there were none")
        values[i, j] = whole
    return values


@dataclass(frozen=True)
class _Line:
    """Cells that add up to a total: a row (with a total column) or a column (with a total row)."""

    cells: tuple[Cell, ...]
    total: Cell

    @property
    def members(self) -> tuple[Cell, ...]:
        return self.cells + (self.total,)


def _lines(shape: tuple[int, int], i_t: int | None, j_t: int | None) -> list[_Line]:
    rows, columns = shape
    lines = []
    if j_t is not None:
        lines += [_Line(tuple((i, j) for j in range(columns) if j != j_t), (i, j_t)) for i in range(rows)]
    if i_t is not None:
        lines += [_Line(tuple((i, j) for i in range(rows) if i != i_t), (i_t, j)) for j in range(columns)]
    return lines


def _check_totals(frame: pd.DataFrame, values: np.ndarray, lines: list[_Line]) -> None:
    for line in lines:
        added = sum(int(values[c]) for c in line.cells)
        if added != values[line.total]:
            i, j = line.total
            raise ValueError(f"the total at row {frame.index[i]!r}, column {frame.columns[j]!r} is {values[line.total]} "
                             f"but its cells add up to {added}; secondary suppression relies on totals being sums. "
                             "Fix the totals, or suppress the table without them.")


def _proportions_alone(counted: SuppressedTable, decimals: int) -> SuppressedTable:
    counts, bases = counted.values["count"], counted.values["base"]
    percent = [100.0 * c / b if b else math.nan for c, b in zip(counts, bases)]
    hidden = [bool(h or hb) and b > 0 for h, hb, b in zip(counted.suppressed["count"], counted.suppressed["base"], bases)]
    display = [NO_DATA if b == 0 else HIDDEN if h else f"{p:.{decimals}f}%" for p, h, b in zip(percent, hidden, bases)]
    index = counted.values.index
    return SuppressedTable(pd.DataFrame({"count": percent}, index=index), pd.DataFrame({"count": hidden}, index=index),
                           pd.DataFrame({"count": display}, index=index, dtype=object), counted.rule)


def _shown(values: pd.DataFrame, suppressed: pd.DataFrame) -> pd.DataFrame:
    def plain(value):
        return None if _missing(value) else value.item() if isinstance(value, np.generic) else value
    cells = [[None if hide else plain(v) for v, hide in zip(row_v, row_h)]
             for row_v, row_h in zip(values.to_numpy(dtype=object), suppressed.to_numpy(dtype=bool))]
    return pd.DataFrame(cells, index=values.index, columns=values.columns, dtype=object)


# --- Secondary suppression ------------------------------------------------------------------

def _protect(values: np.ndarray, small: np.ndarray, lines: list[_Line], rule: SmallNumbers) -> tuple[np.ndarray, bool]:
    """Hide further cells until no hidden cell can be worked out; (hidden, withheld).

    Alternates two steps. First, while a line holds exactly one hidden cell, hide its smallest
    shown non-zero cell (a zero hidden as "[c]" protects nothing: "[c]" means 10 or more). Then
    look for a hidden cell that can still be worked out, from several lines at once or from
    what the marks say, and hide the cell that best stops it. When nothing is left to hide,
    everything is withheld.
    """
    hidden = small.copy()
    cell_lines: dict[Cell, list[_Line]] = {}
    for line in lines:
        for cell in line.members:
            cell_lines.setdefault(cell, []).append(line)
    while True:
        if not _complete_lines(values, small, hidden, lines, cell_lines, rule):
            return np.ones_like(hidden), True
        exposed = _disclosed(values, small, hidden, lines, rule)
        if not exposed.any():
            return hidden, False
        target = tuple(int(k) for k in np.argwhere(exposed)[0])
        cell = _protecting_cell(target, values, small, hidden, lines, cell_lines, rule)
        if cell is None:
            return np.ones_like(hidden), True
        hidden[cell] = True


def _complete_lines(values, small, hidden, lines, cell_lines, rule) -> bool:
    """Hide cells until no line holds exactly one hidden cell; False if a line has nothing left to hide."""
    def count(line: _Line) -> int:
        return sum(bool(hidden[c]) for c in line.members)

    while True:
        line = next((line for line in lines if count(line) == 1), None)
        if line is None:
            return True
        candidates = [c for c in line.members if not hidden[c] and values[c] > 0]
        if not candidates:
            return False
        # Smallest first, to lose least; at equal values, one that also completes its crossing
        # line, then reading order. Skip a candidate that would leave this line's cells pinned
        # by the marks (a "<10" and a "[c]" of 10 adding to 11) when a larger one would not.
        candidates.sort(key=lambda c: (values[c], not any(count(o) == 1 for o in cell_lines[c] if o is not line), c))
        for cell in candidates:
            trial = hidden.copy()
            trial[cell] = True
            if not _ranges(values, small, trial, [line], rule).any():
                break
        else:
            cell = candidates[0]
        hidden[cell] = True


def _protecting_cell(target: Cell, values, small, hidden, lines, cell_lines, rule) -> Cell | None:
    """The shown non-zero cell to hide so that ``target`` can no longer be worked out: one in
    the target's own row or column first, smallest first; else the first candidate, to move on."""
    near = {c for line in cell_lines.get(target, []) for c in line.members}
    candidates = sorted((tuple(int(k) for k in c) for c in np.argwhere(~hidden & (values > 0))),
                        key=lambda c: (c not in near, values[c], c))
    for cell in candidates:
        trial = hidden.copy()
        trial[cell] = True
        if not _disclosed(values, small, trial, lines, rule)[target]:
            return cell
    return candidates[0] if candidates else None


def _disclosed(values, small, hidden, lines, rule) -> np.ndarray:
    """Hidden cells whose value follows from what is shown."""
    return hidden & (_determined(hidden, lines) | _ranges(values, small, hidden, lines, rule))


def _determined(hidden: np.ndarray, lines: list[_Line]) -> np.ndarray:
    """Hidden cells fixed by the totals' equations alone, possibly several lines combined.

    A hidden cell is fixed exactly when every solution of the homogeneous system (the lines'
    sums with shown cells taken out) leaves it at 0: its column of the null space is zero.
    """
    cells = [tuple(int(k) for k in c) for c in np.argwhere(hidden)]
    result = np.zeros(hidden.shape, dtype=bool)
    if not cells or not lines:
        return result
    column = {cell: k for k, cell in enumerate(cells)}
    equations = np.zeros((len(lines), len(cells)))
    for r, line in enumerate(lines):
        for cell in line.cells:
            if cell in column:
                equations[r, column[cell]] = 1.0
        if line.total in column:
            equations[r, column[line.total]] = -1.0
    _, singular, vh = np.linalg.svd(equations)
    rank = int((singular > 1e-9).sum())
    fixed = np.all(np.abs(vh[rank:]) < 1e-9, axis=0)
    for cell, k in column.items():
        result[cell] = bool(fixed[k])
    return result


def _ranges(values, small, hidden, lines, rule, passes: int = 50) -> np.ndarray:
    """Hidden cells pinned to one value by the lines and what each mark says.

    "<10" means 1 to 9 (0 to 9 when zeros are hidden too) and "[c]" means 10 or more. Narrows
    each hidden cell's range line by line until nothing changes. A sound over-estimate of what
    a reader could work out: it never reports a cell pinned that is not.
    """
    t = rule.threshold
    low = np.where(hidden, np.where(small, 0 if rule.suppress_zeros else 1, t), values).astype(float)
    high = np.where(hidden, np.where(small, t - 1, math.inf), values).astype(float)
    for _ in range(passes):
        changed = False
        for line in lines:
            terms = [(c, 1) for c in line.cells] + [(line.total, -1)]
            if not any(hidden[c] for c, _ in terms):
                continue
            least = [low[c] if a > 0 else -high[c] for c, a in terms]
            most = [high[c] if a > 0 else -low[c] for c, a in terms]
            for k, (cell, a) in enumerate(terms):
                if not hidden[cell]:
                    continue
                rest_least = _sum_without(least, k)
                rest_most = _sum_without(most, k)
                # a·x + rest = 0, so a·x lies in [−rest_most, −rest_least].
                lo, hi = (-rest_most, -rest_least) if a > 0 else (rest_least, rest_most)
                lo, hi = max(low[cell], math.ceil(lo) if math.isfinite(lo) else lo), \
                    min(high[cell], math.floor(hi) if math.isfinite(hi) else hi)
                if lo > low[cell] or hi < high[cell]:
                    low[cell], high[cell] = lo, hi
                    least[k] = low[cell] if a > 0 else -high[cell]
                    most[k] = high[cell] if a > 0 else -low[cell]
                    changed = True
        if not changed:
            break
    return hidden & (low >= high)


def _sum_without(terms: list[float], k: int) -> float:
    # Infinite terms all share one sign within a list, so this never meets inf − inf.
    return math.fsum(term for n, term in enumerate(terms) if n != k)
