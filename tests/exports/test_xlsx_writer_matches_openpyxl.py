"""The XLSX writer (XlsxWriter, constant-memory mode) gives workbooks that read back exactly as the
openpyxl writer's did: sheet names, frozen header, every cell's value and type, the number format
of date cells, empty cells where values were missing, the codebook sheet.

The openpyxl writer is kept below as the reference, as it was before the change. Besides the
table of every kind of column: a text that looks like XlsxWriter's ready-made rich-string XML is
still plain, escaped text; and the one known difference, text cut at Excel's limit of 32,767
UTF-16 units rather than at 32,767 characters (they differ only beyond the Basic Multilingual
Plane, emoji), is pinned down at the end.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from feedback.exports import writers
from feedback.exports.codebook import ROW_FIELDS, Codebook, Variable
from feedback.exports.formulas import defuse_frame
from feedback.exports.writers import write_bundle_files


# --- The openpyxl writer as it was (the reference) ------------------------------------------------

def old_write_xlsx_batches(batches, codebook: Codebook, path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    rows = pd.DataFrame(codebook.to_rows(), columns=list(ROW_FIELDS))
    for title, frames in (("data", batches), ("codebook", [rows])):
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for number, frame in enumerate(frames):
            frame = defuse_frame(frame)
            if number == 0:
                sheet.append([old_xlsx_text(str(column)) for column in frame.columns])
            for row in zip(*(old_xlsx_cells(frame[column]) for column in frame.columns)):
                sheet.append(row)
    workbook.save(path)


def old_xlsx_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def old_xlsx_cells(column: pd.Series) -> list:
    if pd.api.types.is_datetime64_any_dtype(column):
        return [None if pd.isna(v) else v.to_pydatetime() for v in column]
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(object).where(column.notna(), None).tolist()
    return [old_xlsx_text(v) if isinstance(v, str) else (None if v is None or pd.isna(v) else v)
            for v in column]


# --- Reading a workbook back ----------------------------------------------------------------------

def read_back(path: Path) -> dict:
    """Everything a reader gets: sheet names in order, and per sheet the frozen cell, the size and
    every cell as (value, type, number format if openpyxl reads it as a date)."""
    book = load_workbook(path)
    sheets = {}
    for sheet in book.worksheets:
        cells = [[(cell.value, type(cell.value).__name__, cell.number_format if cell.is_date else None)
                  for cell in row] for row in sheet.iter_rows()]
        sheets[sheet.title] = {"freeze": sheet.freeze_panes, "size": (sheet.max_row, sheet.max_column),
                               "cells": cells}
    both = pd.read_excel(path, sheet_name=None)
    return {"names": book.sheetnames, "sheets": sheets, "pandas": {name: frame.to_dict("split") for name, frame in both.items()}}


def assert_same_workbook(new: Path, old: Path) -> None:
    got, expected = read_back(new), read_back(old)
    assert got["names"] == expected["names"] == ["data", "codebook"]
    for name in expected["names"]:
        mine, theirs = got["sheets"][name], expected["sheets"][name]
        assert mine["freeze"] == theirs["freeze"] == "A2"
        assert mine["size"] == theirs["size"]
        for number, (row, reference) in enumerate(zip(mine["cells"], theirs["cells"])):
            assert row == reference, f"sheet {name}, row {number + 1}"
        assert len(mine["cells"]) == len(theirs["cells"])
    assert _same(got["pandas"], expected["pandas"])


def _same(left, right) -> bool:
    # NaN != NaN: compare pandas' reading with missing values made None.
    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return None if isinstance(value, float) and np.isnan(value) else value
    return plain(left) == plain(right)


# --- The table: every kind of column ------------------------------------------------------------

TEXTS = ["plain", "Mae'r gwasanaeth yn dda — ŵyr ŷd", "Diolch 😀", "=1+2", "+44 7911", "-", "@x", "-9",
         "1.5", "ok\n=2", "line\nbreak", "\tx", " lead", "trail ", "bell\x07 and \x00nul\x1fus", "\x0bvt",
         "form\x0cfeed", "", None, "#N/A", "TRUE", "x" * 40_000, "\u2028@x", "next\x85line",
         "a\rb", "a\r\nb", "\r=1", "_x0041_", "x_x000D_y", "<r><t>rich?</t></r>", "<b>&amp;</b> & <", "]]>"]
ROWS = len(TEXTS)


def every_kind_of_column() -> pd.DataFrame:
    rng = np.random.default_rng(24)
    pick = lambda values: [values[i % len(values)] for i in range(ROWS)]  # noqa: E731
    return pd.DataFrame({
        "text": pd.Series(TEXTS, dtype="str"),
        "text_object": pd.Series(TEXTS, dtype=object),
        "int": rng.integers(-10, 10, ROWS),
        "int_missing": pd.array(pick([1, None, -9, 2**40, 0, -6]), dtype="Int64"),
        "int8": pd.array(pick([1, 0, None]), dtype="Int8"),
        "float": pick([1.5, np.nan, -0.0, 1e-300, 1e20, 2.0, 0.1 + 0.2, 1 / 3, 2**53 + 1.0, 5e-324,
                       1e308, -7.25, np.inf, -np.inf, 123456789.123456789]),
        "float_random": rng.normal(size=ROWS) * 1000,
        "bool": pick([True, False]),
        "bool_missing": pd.array(pick([True, None, False]), dtype="boolean"),
        "category": pd.Categorical(pick(["x", "=y", None, "z\x01"])),
        "category_int": pd.Categorical(pick([1, 2, None])),
        "datetime": pd.Series(pick([datetime(2024, 1, 2, 3, 4, 5, 678901), None, datetime(1900, 1, 1),
                                    datetime(1900, 2, 28, 23, 59, 59, 999999), datetime(1900, 3, 1),
                                    datetime(1899, 12, 30, 12), datetime(1850, 6, 1, 1, 2, 3),
                                    datetime(2025, 12, 31, 23, 59, 59, 999999), datetime(2026, 12, 6)]),
                              dtype="datetime64[us]"),
        "datetime_seconds": pd.Series(pick([datetime(2024, 5, 6, 7, 8, 9), None]), dtype="datetime64[s]"),
        "date": pick([date(2024, 2, 29), None, date(1900, 1, 1), date(1900, 2, 28), date(1900, 3, 1),
                      date(1899, 12, 31), date(2025, 1, 1)]),
        "mixed": pick([date(2024, 1, 1), "=x", 3, 2.5, None, True, datetime(2024, 1, 1, 12), np.int64(4),
                       np.float64(np.inf), float("nan"), pd.NaT, "\x02", "",
                       pd.Timestamp("2024-01-02 03:04:05.123456"), 0, False, -1, "a"]),
        "=formula header": pick(["a", "b"]),
        "header\x01illegal": pick([1, 2]),
    })


@pytest.fixture
def codebook():
    return Codebook(tuple(Variable(name, f"Label of {name} — ŵ", "numeric") for name in ("a", "b"))
                    + (Variable("note", "=A1 a label that looks like a formula\x01", "string",
                                {"y": "Yes", "n": "=No"}),))


@pytest.mark.parametrize("cuts", [(), (1,), (3, 4, 11), tuple(range(1, ROWS))],
                         ids=["whole", "first-row", "three-slices", "row-by-row"])
def test_every_kind_of_column_reads_back_as_the_openpyxl_writer_wrote_it(tmp_path, codebook, cuts):
    frame = every_kind_of_column()
    bounds = [0, *cuts, len(frame)]
    slices = [frame.iloc[start:end] for start, end in zip(bounds, bounds[1:])]
    writers._write_xlsx_batches(iter(slices), codebook, tmp_path / "new.xlsx")
    old_write_xlsx_batches(iter(slices), codebook, tmp_path / "old.xlsx")
    assert_same_workbook(tmp_path / "new.xlsx", tmp_path / "old.xlsx")


def test_an_empty_table_gives_the_header_and_the_codebook(tmp_path, codebook):
    empty = every_kind_of_column().iloc[0:0]
    writers._write_xlsx_batches(iter([empty]), codebook, tmp_path / "new.xlsx")
    old_write_xlsx_batches(iter([empty]), codebook, tmp_path / "old.xlsx")
    assert_same_workbook(tmp_path / "new.xlsx", tmp_path / "old.xlsx")
    assert read_back(tmp_path / "new.xlsx")["sheets"]["data"]["size"] == (1, len(empty.columns))


def test_a_bundle_as_exported_reads_back_as_before(tmp_path):
    """Through ``write_bundle_files``: the codebook's types decide the columns (``prepare_frame``),
    written in place and in slices; the old writer is given the same prepared table."""
    frame = every_kind_of_column()
    types = {"text": "string", "text_object": "string", "category": "string", "category_int": "string", "datetime": "date",
             "datetime_seconds": "date", "date": "date", "mixed": "string"}
    labels = {"int_missing": {1: "One", -9: "Refused", -6: "Not collected"}}
    names = [name for name in frame.columns if name not in ("=formula header", "header\x01illegal")]
    codebook = Codebook(tuple(Variable(name, f"Label of {name}", types.get(name, "numeric"),
                                       labels.get(name, {}), (-9,) if name in labels else ())
                              for name in names))
    frame = frame[names]
    written = write_bundle_files(frame, codebook, tmp_path, "new", ["xlsx"])
    data = writers.prepare_frame(frame, codebook)
    old_write_xlsx_batches(iter([data.iloc[:5], data.iloc[5:]]), codebook, tmp_path / "old.xlsx")
    assert_same_workbook(written["xlsx"], tmp_path / "old.xlsx")


def test_a_real_exports_column_kinds_in_many_rows(tmp_path, codebook):
    """Many rows of the kinds an export holds (pseudonyms, codes, scores, dates), in 500-row slices."""
    rng = np.random.default_rng(7)
    rows = 3_000
    frame = pd.DataFrame({
        "member": pd.Series([f"M{value:015d}" for value in rng.integers(0, 10**15, rows)], dtype="str"),
        "site": pd.Series(rng.choice(["north", "south", "east", "west"], rows), dtype="str"),
        "code": pd.array(np.where(rng.random(rows) < 0.1, pd.NA, rng.integers(-9, 6, rows)), dtype="Int64"),
        "count": rng.integers(0, 40, rows),
        "score": np.where(rng.random(rows) < 0.2, np.nan, rng.normal(50, 15, rows)),
        "completed": pd.Series(pd.Timestamp("2024-01-01")
                               + pd.to_timedelta(rng.integers(0, 10**12, rows), unit="us")).astype("datetime64[us]"),
        "comment": pd.Series(rng.choice(["", "fine", "=SUM(A1)", "-2", "good\n-bad", None], rows), dtype="str"),
    })
    slices = [frame.iloc[start:start + 500] for start in range(0, rows, 500)]
    writers._write_xlsx_batches(iter(slices), codebook, tmp_path / "new.xlsx")
    old_write_xlsx_batches(iter(slices), codebook, tmp_path / "old.xlsx")
    assert_same_workbook(tmp_path / "new.xlsx", tmp_path / "old.xlsx")


# --- Known, deliberate differences ----------------------------------------------------------------

def test_text_like_rich_string_xml_stays_text_and_adds_no_xml(tmp_path, codebook):
    """In constant-memory mode XlsxWriter writes a text that starts with ``<r>`` and ends with
    ``</r>`` unescaped, as rich-string XML: an answer could close the cell and add a formula. Here
    it is text like any other."""
    injection = '<r><t>x</t></r></is></c><c r="B2"><f>HYPERLINK("http://x","y")</f></c><c r="C2"><is><r>'
    frame = pd.DataFrame({"text": pd.Series([injection + "</r>", "<r></r>"], dtype="str")})
    writers._write_xlsx_batches(iter([frame]), codebook, tmp_path / "new.xlsx")
    book = load_workbook(tmp_path / "new.xlsx")
    cells = [cell for row in book["data"].iter_rows() for cell in row]
    assert [cell.value for cell in cells] == ["text", injection + "</r>", "<r></r>"]
    assert {cell.data_type for cell in cells} == {"s"}


def test_long_text_is_cut_at_excels_limit_of_utf16_units(tmp_path, codebook):
    """openpyxl cut text at 32,767 characters, which for text beyond the Basic Multilingual Plane
    (emoji) is more than Excel holds; XlsxWriter cuts at 32,767 UTF-16 units, Excel's limit. Text
    of the Basic Multilingual Plane is cut at the same place as before."""
    texts = ["😀" * 20_000, "ŵ" * 40_000]
    frame = pd.DataFrame({"text": pd.Series(texts, dtype="str")})
    writers._write_xlsx_batches(iter([frame]), codebook, tmp_path / "new.xlsx")
    old_write_xlsx_batches(iter([frame]), codebook, tmp_path / "old.xlsx")
    new = [row[0][0] for row in read_back(tmp_path / "new.xlsx")["sheets"]["data"]["cells"][1:]]
    old = [row[0][0] for row in read_back(tmp_path / "old.xlsx")["sheets"]["data"]["cells"][1:]]
    assert new[0] == "😀" * 16_383 and old[0] == "😀" * 20_000
    assert new[1] == old[1] == "ŵ" * 32_767


def test_a_table_beyond_excels_rows_is_refused_and_leaves_no_file(tmp_path, codebook, monkeypatch):
    """XlsxWriter ignores cells beyond Excel's last row; the writer refuses the table instead."""
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 10)
    frame = pd.DataFrame({"a": range(6), "b": range(6)})
    with pytest.raises(ValueError, match="at most 10 rows"):
        writers.write_format("xlsx", pd.concat([frame, frame]), codebook, tmp_path / "big.xlsx")
    assert list(tmp_path.iterdir()) == []
    writers._write_xlsx_batches(iter([frame.iloc[:3], frame.iloc[3:]]), codebook, tmp_path / "fits.xlsx")
    with pytest.raises(ValueError, match="at most 10 rows"):
        writers._write_xlsx_batches(iter([frame, frame]), codebook, tmp_path / "two.xlsx")
