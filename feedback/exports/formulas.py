"""Defuse spreadsheet formula injection (CSV and XLSX).

A free-text answer such as ``=HYPERLINK("http://…", "click")`` or ``+44 7911…`` becomes a live
formula when an evaluator opens the file in Excel or LibreOffice.  Text cells that begin with a
character a spreadsheet treats as the start of a formula get a leading apostrophe, the OWASP
remedy: the cell shows as text and nobody's data runs.  Numbers are never touched, so a negative
score stays a number.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: ``=``, ``+``, ``-`` and ``@`` start formulas; a leading tab or carriage return can hide one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A signed number written as text ("-9", a missing code) runs nothing: it keeps its value.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def defuse(value: Any) -> Any:
    """``"=1+2"`` → ``"'=1+2"``; any non-string value (numbers, dates, missing) is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and header defused; numeric and date columns are left alone."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(defuse, na_action="ignore")
    out.columns = [defuse(str(column)) for column in out.columns]
    return out
