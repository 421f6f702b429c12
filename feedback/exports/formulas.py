"""Defuse spreadsheet formula injection (CSV and XLSX).

A free-text answer such as ``=HYPERLINK("http://…", "click")`` or ``+44 7911…`` becomes a live
formula when an evaluator opens the file in Excel or LibreOffice.  Text cells that begin with a
character a spreadsheet treats as the start of a formula get a leading apostrophe, the OWASP
remedy: the cell shows as text and nobody's data runs.  Numbers are never touched, so a negative
score stays a number.

Every line inside a cell is treated as the cell's start is: a reader that splits a CSV file into
lines (or one that mistakes a line break inside a cell for the end of a row) starts a row there.
CSV cells also have their line breaks written as LF (``csv_cell``), so the csv module quotes them.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import pandas as pd

from ..free_text import normalise_line_breaks

#: ``=``, ``+``, ``-`` and ``@`` start formulas; a leading tab or carriage return can hide one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A formula start just after a line break: every break ``str.splitlines`` knows (CR LF counts as
#: one), so a naive reader splitting lines finds no formula at the start of any line either.
_FORMULA_AFTER_LINE_BREAK = re.compile(r"(\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])(?=[=+\-@\t])")
#: A signed number written as text ("-9", a missing code) runs nothing: it keeps its value.
#: A cell holding a line break is never a number, so this spares single-line cells only.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def defuse(value: Any) -> Any:
    """``"=1+2"`` → ``"'=1+2"`` and ``"ok\\n=1"`` → ``"ok\\n'=1"``: an apostrophe before a formula
    start at the beginning of the cell and of every line in it. Any non-string value (numbers,
    dates, missing) and a signed number written as text are returned as they are."""
    if not isinstance(value, str) or _PLAIN_NUMBER.match(value):
        return value
    value = _FORMULA_AFTER_LINE_BREAK.sub(r"\1'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value: Any) -> Any:
    """A cell as every CSV the app writes holds it: line breaks as LF (``"a\\rb"`` → ``"a\\nb"``),
    then defused.

    The CSV files end rows with LF, and Python's csv module quotes a field holding LF but not one
    holding a bare CR, which a spreadsheet or a line-splitting reader then takes as a new row.
    With every break an LF, every field with a line break in it is quoted.
    """
    return defuse(normalise_line_breaks(value) if isinstance(value, str) else value)


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and header defused; numeric and date columns are left alone."""
    return _map_text(frame, defuse)


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and header made a ``csv_cell``; numeric and date columns are left alone."""
    return _map_text(frame, csv_cell)


def _map_text(frame: pd.DataFrame, cell: Callable[[Any], Any]) -> pd.DataFrame:
    out = frame.copy(deep=False)  # copy-on-write: only the text columns are replaced, the input is left as it was
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if isinstance(values.dtype, pd.StringDtype):
            out[column] = _map_text_column(values, cell)
        else:  # objects (dates, mixed values): each cell as it is
            out[column] = values.map(cell, na_action="ignore")
    out.columns = [cell(str(column)) for column in out.columns]
    return out


#: A text ``defuse`` or ``csv_cell`` may change: one starting like a formula or holding a line break
#: (a formula may start after it; a CR becomes LF). Any other text is returned as it is.
_MAY_CHANGE = re.compile("^[=+\\-@\t\r]|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _map_text_column(values: pd.Series, cell: Callable[[Any], Any]) -> pd.Series:
    """``values.map(cell, na_action="ignore")`` for a text column, calling ``cell`` only on the
    cells it may change, found by one regular expression over the column (in Arrow, not a Python
    call per cell: most cells are codes, waves and pseudonyms, which never change)."""
    may_change = values.str.contains(_MAY_CHANGE.pattern, regex=True, na=False).to_numpy(dtype=bool)
    if not may_change.any():
        return values
    mended = values.copy()
    mended[may_change] = [cell(value) for value in values[may_change]]
    return mended
