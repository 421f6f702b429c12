"""Answers laid out one row per response and one column per item, filled from chunks of long rows.

An export used to read all of an instrument's answers as one list of tuples, make a long frame of
it and pivot that: at national scale (tens of millions of answers) the list, the frame and the
pivot's copies were most of the export's memory. ``AnswerGrid`` takes the long rows a chunk at a
time (from a server-side cursor) and writes each value straight into its cell, so what is held is
the final table plus one chunk.

The result is the same frame, dtypes included, as
``long.pivot(index="response_id", columns="item_id", values="value").reindex(response_ids)``
over the whole long frame: the item columns in sorted order, a missing answer as NaN, and each
column's dtype what pandas would have inferred for the whole ``value`` column (all whole numbers
and no gap anywhere: int64; numbers with a gap: float64; anything else: Python objects). Writers
downstream turn 1.0 and 1 into different cells, so the dtype is part of the bundle's bytes.

Pure pandas and numpy; no Flask, no database.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype


class AnswerGrid:
    """Collects ``(response_id, item_id, value)`` rows for a known list of responses.

    Rows for a response not in the list are ignored (as ``reindex`` drops them).
    """

    def __init__(self, response_ids: Sequence[int]):
        self._index = pd.Index(response_ids, name="response_id")
        self._columns: dict[str, np.ndarray] = {}
        self._dtype = None  # the dtype pandas infers for every value seen so far, taken together
        self._filled = 0

    def add(self, rows: Iterable[tuple[int, str, Any]]) -> None:
        """Put one chunk of long rows into their cells."""
        rows = list(rows)
        self.add_columns([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows])

    def add_columns(self, response_ids: Sequence[int], item_ids: Sequence[str], values: list) -> None:
        """``add`` for one chunk given as its three columns (``values`` a list of Python values)."""
        if not len(values):
            return
        # The dtype (and values) a from_records over the rows gives the value column: pandas infers
        # a column from a list the same way (``tests/exports/test_answer_grid.py`` checks every mix
        # of JSON values), without a tuple per row.
        value = pd.DataFrame({"value": values})["value"]
        seen = value.dtype
        # The dtype a single from_records over every chunk would have inferred: the chunks' common type.
        self._dtype = seen if self._dtype is None else _common(self._dtype, seen)
        positions = self._index.get_indexer(np.asarray(response_ids))
        kept = positions >= 0
        positions = positions[kept]
        cells_read = value.to_numpy(dtype=object)[kept]
        # Each item's rows at once: the items as codes, their rows grouped by one stable sort, rather
        # than comparing every row's item with each item in turn.
        codes, items = pd.factorize(np.asarray(item_ids, dtype=object)[kept])
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(items) + 1))
        for number, item in enumerate(items):
            rows = order[bounds[number]:bounds[number + 1]]
            cells = self._columns.get(item)
            if cells is None:
                cells = self._columns[item] = np.full(len(self._index), np.nan, dtype=object)
            cells[positions[rows]] = cells_read[rows]
        self._filled += int(kept.sum())

    def frame(self) -> pd.DataFrame:
        """The grid as ``pivot(...).reindex(response_ids)`` would give it."""
        names = sorted(self._columns)
        dtype = self._dtype
        if dtype is None or not names:
            return pd.DataFrame(index=self._index)
        complete = self._filled == len(self._index) * len(names)
        if is_numeric_dtype(dtype) and not (is_bool_dtype(dtype) and not complete):
            # A gap makes pandas turn whole numbers into floats (NaN needs a float); bools with a gap stay objects.
            target = dtype if complete else np.dtype("float64")
            data = {name: self._columns[name].astype(target) for name in names}
        elif isinstance(dtype, pd.StringDtype):  # all text: pandas' own string columns, as the pivot gives
            data = {name: pd.Series(self._columns[name], index=self._index).astype(dtype) for name in names}
        else:  # objects, kept as objects: pandas would otherwise make an all-text column a string column
            data = {name: pd.Series(self._columns[name], index=self._index, dtype=object, copy=False) for name in names}
        out = pd.DataFrame(data, index=self._index)
        out.columns.name = "item_id"
        return out


def _common(first, second):
    """The dtype of one column holding values of both dtypes (int and float: float; else objects)."""
    if first == second:
        return first
    if is_numeric_dtype(first) and is_numeric_dtype(second) and not (is_bool_dtype(first) or is_bool_dtype(second)):
        return np.dtype("float64")
    return np.dtype(object)


def records_frame(chunks: Iterable[Sequence[tuple]], columns: Sequence[str]) -> pd.DataFrame:
    """``pd.DataFrame.from_records(rows, columns=columns)`` over every chunk's rows together, dtypes
    included, holding one chunk's tuples at a time.

    Each chunk becomes a frame at once (pandas' own string and number columns are far smaller
    than tuples of Python objects). Where the chunks' dtypes for a column differ (a chunk whose
    values are all missing, whole numbers in one chunk and a gap in another), that column alone is
    inferred again from its values together, as one ``from_records`` would have.
    """
    frames = [pd.DataFrame.from_records(list(chunk), columns=list(columns)) for chunk in chunks]
    frames = [frame for frame in frames if not frame.empty] or frames[:1]
    if not frames:
        return pd.DataFrame.from_records([], columns=list(columns))
    if len(frames) == 1:
        return frames[0]
    mixed = [name for name in columns if len({str(frame[name].dtype) for frame in frames}) > 1]
    whole = pd.concat([frame.drop(columns=mixed) for frame in frames], ignore_index=True)
    for name in mixed:
        values = np.concatenate([frame[name].to_numpy(dtype=object) for frame in frames])
        values[pd.isna(values)] = None  # a chunk's NaN or NaT was a missing value, as None is
        whole[name] = pd.DataFrame.from_records([(value,) for value in values], columns=[name])[name]
    return whole[list(columns)]
