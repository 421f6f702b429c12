"""SPSS and Stata files written from ``ReadstatRows`` are the files pyreadstat writes from the plain
frame, byte for byte (the SPSS header's write time aside), for every kind of column the writers give.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from feedback.exports import readstat_rows
from feedback.exports.readstat_rows import ReadstatRows


def table(rows: int = 7) -> pd.DataFrame:
    def cycle(values):
        return [values[n % len(values)] for n in range(rows)]

    return pd.DataFrame({
        "txt": pd.Series(cycle(["a", None, "Ŵyn", "", "'=1+1", "x\ny"]), dtype="str"),
        "txtnone": pd.Series([None] * rows, dtype="str"),
        "txtfull": pd.Series(cycle(["north", "south"]), dtype="str"),
        "int64na": pd.Series(cycle([1, None, -6, 2**40]), dtype="Int64"),
        "int64full": pd.Series(cycle([3, 4]), dtype="Int64"),
        "int8": pd.Series(cycle([1, 0, None]), dtype="Int8"),
        "num": pd.Series(cycle([1.5, np.nan, -0.25, 1e300]), dtype="float64"),
        "whole": pd.Series(cycle([7, 8, 9]), dtype="int64"),
        "flag": pd.Series(cycle([True, False]), dtype="bool"),
        "day": pd.Series(cycle([date(2026, 1, 2), None, date(1999, 12, 31)]), dtype="object"),
        "stamp": pd.Series(cycle([datetime(2026, 1, 2, 3, 4, 5, 6), None]), dtype="datetime64[us]"),
    })


def spss_bytes(path) -> bytes:
    data = path.read_bytes()
    return data[:92] + data[109:]  # the header's creation date and time


def stata_bytes(path) -> bytes:
    return re.sub(rb"<timestamp>.*?</timestamp>", b"", path.read_bytes(), count=1)


@pytest.mark.parametrize("rows", [0, 1, 7, 50])
@pytest.mark.parametrize("slice_rows", [1, 3, 20_000])
def test_spss_file_is_the_same(tmp_path, monkeypatch, rows, slice_rows):
    monkeypatch.setattr(readstat_rows, "ROWS_AT_ONCE", slice_rows)
    frame = table(rows)
    kwargs = dict(column_labels={"txt": "Text", "int64na": "Codes"},
                  variable_value_labels={"int64na": {1: "One", -6: "Not collected"}, "txtfull": {"north": "N"}},
                  missing_ranges={"int64na": [-6]}, variable_format={"int64na": "F8.0"})
    pyreadstat.write_sav(frame, str(tmp_path / "plain.sav"), **kwargs)
    pyreadstat.write_sav(ReadstatRows(frame), str(tmp_path / "rows.sav"), **kwargs)
    assert spss_bytes(tmp_path / "rows.sav") == spss_bytes(tmp_path / "plain.sav")


@pytest.mark.parametrize("rows", [0, 1, 7, 50])
@pytest.mark.parametrize("slice_rows", [1, 3, 20_000])
def test_stata_file_is_the_same(tmp_path, monkeypatch, rows, slice_rows):
    monkeypatch.setattr(readstat_rows, "ROWS_AT_ONCE", slice_rows)
    frame = table(rows)
    # As ``writers._write_dta`` gives them: an extended missing value as a letter in an object column,
    # and a text long enough to be stored as a Stata strL.
    frame["coded"] = pd.Series([1, "c", np.nan, 2] * (rows // 4) + [1, "c", np.nan, 2][:rows % 4], dtype=object)
    # (pyreadstat itself refuses a strL column with a missing value.)
    frame["essay"] = pd.Series([f"{n} " + "ŷ" * 1500 for n in range(rows)], dtype="str")
    kwargs = dict(column_labels={"txt": "Text"}, variable_value_labels={"int64full": {3: "Three"}, "coded": {1: "One", "c": "Not collected"}},
                  missing_user_values={"coded": ["c"]})
    pyreadstat.write_dta(frame, str(tmp_path / "plain.dta"), **kwargs)
    pyreadstat.write_dta(ReadstatRows(frame), str(tmp_path / "rows.dta"), **kwargs)
    assert stata_bytes(tmp_path / "rows.dta") == stata_bytes(tmp_path / "plain.dta")


def test_cells_and_columns_are_the_values_pandas_gives(monkeypatch):
    monkeypatch.setattr(readstat_rows, "ROWS_AT_ONCE", 2)
    frame = table(9)
    fast = ReadstatRows(frame)
    plain_rows = list(frame.itertuples(index=False, name=None))
    fast_rows = list(fast.itertuples(index=False, name=None))
    assert len(fast_rows) == len(plain_rows)
    for fast_row, plain_row in zip(fast_rows, plain_rows):
        for mine, theirs in zip(fast_row, plain_row):
            assert (pd.isna(mine) and pd.isna(theirs)) if pd.isna(theirs) is True else mine == theirs
            assert type(mine) is type(theirs) or (isinstance(mine, int) and isinstance(theirs, np.integer))
    for (name, mine), (_, theirs) in zip(fast.items(), frame.items()):
        assert mine.isna().tolist() == theirs.isna().tolist()
        assert mine.dropna().tolist() == theirs.dropna().tolist()
        if isinstance(theirs.dtype, pd.StringDtype):
            assert mine.dtype == object  # read as text from its values by narwhals, as the str dtype is
    # Asked for rows any other way, it is pandas' own.
    assert repr(list(fast.itertuples())) == repr(list(frame.itertuples()))
