"""Reading a file into text cells numbered as the spreadsheet shows them; unreadable files refused."""
from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from feedback.imports.reading import FileProblem, read_table


def workbook(rows_by_number: dict[int, list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for number, values in rows_by_number.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=number, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_csv_with_a_byte_order_mark_keeps_its_row_numbers_past_blank_rows():
    data = "\ufeffSite, case_ref ,f1\nnorth,N-1,1\n\n,,\nnorth,N-2,\"2\"\n".encode()
    frame = read_table(data)
    assert list(frame.columns) == ["site", "case_ref", "f1"]
    assert frame.to_dict("index") == {2: {"site": "north", "case_ref": "N-1", "f1": "1"},
                                      5: {"site": "north", "case_ref": "N-2", "f1": "2"}}


def test_a_workbook_gives_numbers_and_dates_as_they_were_typed_and_sheet_row_numbers():
    data = workbook({1: ["site", "adults", "rating", "completed_on", "note"],
                     3: ["north", 2.0, 7, date(2025, 6, 1), "fine"],
                     4: ["north", 2.5, None, datetime(2025, 6, 1, 10, 30), None]})
    frame = read_table(data)
    assert frame.to_dict("index") == {
        3: {"site": "north", "adults": "2", "rating": "7", "completed_on": "2025-06-01", "note": "fine"},
        4: {"site": "north", "adults": "2.5", "rating": "", "completed_on": "2025-06-01 10:30:00", "note": ""}}


@pytest.mark.parametrize("data, says", [
    (b"", "The file is empty."),
    (b"site,case_ref\n", "no rows of answers"),
    ("site,café\nnorth,N-1\n".encode("latin-1"), "not in UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old-style Excel workbook (.xls)"),
    (b"PK\x03\x04 not really a workbook", "could not be opened"),
    (b"site,case_ref\nnorth,N-1,extra\n", "no more cells than the heading row"),
    (b"site,site\nnorth,south\n", "site appears more than once"),
    (b"site,,case_ref\nnorth,1,N-1\n", "Column B holds data but has no heading"),
    (b"\n\nsite\nnorth\n", "The first row must hold the column headings"),
])
def test_a_file_that_cannot_be_read_is_refused_with_what_to_do(data, says):
    with pytest.raises(FileProblem, match=None) as refused:
        read_table(data)
    assert says in str(refused.value)


def test_an_empty_column_with_no_heading_is_ignored():
    frame = read_table(b"site,,case_ref\nnorth,,N-1\n")
    assert list(frame.columns) == ["site", "case_ref"]
