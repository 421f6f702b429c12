"""A table handed to pyreadstat (SPSS and Stata files) whose cells it reads as plain Python values.

pyreadstat reads a pandas frame through narwhals: each column once through ``items()`` to choose
the variable's type and width, then every cell through ``itertuples(index=False, name=None)``.
pandas yields the cells of its Arrow-backed text columns and nullable integer columns one Python
call at a time (``ArrowExtensionArray.__iter__``, ``BaseMaskedArray.__iter__``): at 20,000
families that was more than half the time SPSS and Stata files took. ``ReadstatRows`` gives pyreadstat the
same values from arrays converted a column at a time (for the types) and a slice of rows at a time
(for the cells), so it never holds the whole table twice:

- a text column (pandas' ``str`` dtype) is seen as an object column of the same strings, with the
  same missing value: narwhals infers it as text from its values, as it took the ``str`` dtype;
- its cells, and a nullable integer column's, come as the same values in plain Python objects
  (a Python int where pandas gave a numpy one: readstat stores either as the same number);
- every other column's cells come exactly as pandas yields them.

The files are the same, byte for byte (``tests/exports/test_readstat_rows.py`` compares them, every
kind of column the writers give included); only the SPSS header's write time may differ.

Pure pandas; no Flask.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

#: Rows whose cells are converted at once: a slice's Python objects are held, never the table's.
ROWS_AT_ONCE = 20_000


class ReadstatRows(pd.DataFrame):
    """A frame for ``pyreadstat.write_sav``/``write_dta`` only: ``ReadstatRows(frame)``."""

    def items(self) -> Iterable[tuple[Any, pd.Series]]:
        for name, column in super().items():
            if isinstance(column.dtype, pd.StringDtype):
                column = pd.Series(_plain_cells(column), index=column.index, name=name, dtype=object, copy=False)
            yield name, column

    def itertuples(self, index: bool = True, name: str | None = "Pandas"):
        if index or name is not None:  # not how pyreadstat asks: pandas' own rows
            return super().itertuples(index=index, name=name)
        return _rows(self)


def _rows(frame: pd.DataFrame) -> Iterator[tuple]:
    for start in range(0, len(frame), ROWS_AT_ONCE):
        part = frame.iloc[start:start + ROWS_AT_ONCE]
        yield from zip(*[_cells(part.iloc[:, k]) for k in range(part.shape[1])])


def _cells(column: pd.Series) -> list:
    """The column's cells as iterating it gives them, in a list."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) or _is_masked(dtype):
        return _plain_cells(column).tolist()
    if isinstance(dtype, np.dtype) and dtype.kind in "biufO":
        return column.tolist()  # the same Python values Series.__iter__ gives (ndarray.item)
    return list(column)  # dates and times, categories …: pandas' own


def _plain_cells(column: pd.Series) -> np.ndarray:
    """Text or nullable integers as Python objects, the dtype's own missing value where missing
    (what iterating the column yields: NaN for ``str``, ``pd.NA`` for ``Int64``)."""
    return column.to_numpy(dtype=object, na_value=column.dtype.na_value)


def _is_masked(dtype) -> bool:
    return isinstance(dtype, (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype,
                              pd.UInt8Dtype, pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype))
