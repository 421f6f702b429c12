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
    (b",".join(b"c%d" % n for n in range(201)) + b"\n1\n", "Row 1 has 201 column headings; at most 200 are taken."),
])
def test_a_file_that_cannot_be_read_is_refused_with_what_to_do(data, says):
    with pytest.raises(FileProblem, match=None) as refused:
        read_table(data)
    assert says in str(refused.value)


def test_an_empty_column_with_no_heading_is_ignored():
    frame = read_table(b"site,,case_ref\nnorth,,N-1\n")
    assert list(frame.columns) == ["site", "case_ref"]


@pytest.mark.parametrize("data, row, column", [
    (b'site,case_ref,f1\nnorth,"N-1,1\nnorth,N-2,2\n', 2, "case_ref"),
    # A quoted cell running over two lines is one row, as a spreadsheet shows it.
    (b'site,comments\nnorth,"two\nlines"\nnorth,"never closed\nnorth,fine\n', 3, "comments"),
    (b'site,"case_ref\nnorth,N-1\n', 1, "column B"),
    (b'site,case_ref\nnorth,"N-1', 2, "case_ref"),
])
def test_an_unclosed_quote_is_reported_at_the_row_and_column_where_it_opens(data, row, column):
    with pytest.raises(FileProblem) as refused:
        read_table(data)
    assert (refused.value.row, refused.value.column) == (row, column)
    assert str(refused.value).startswith("A double quote (\") opens this cell and is never closed")
    assert "Add the closing quote" in str(refused.value)


def test_an_unclosed_quote_running_past_the_longest_cell_is_reported_at_its_row():
    data = b'site,comments\nnorth,fine\nnorth,"' + b"and on " * 30_000 + b"\n"
    with pytest.raises(FileProblem, match="a double quote .* opens a cell here and is never closed") as refused:
        read_table(data)
    assert refused.value.row == 3


def test_quotes_closed_or_inside_a_cell_are_read_as_before():
    data = b'site,comments\nnorth,"say ""hi"", then go"\nnorth,5"2\nnorth,"a" b\n'
    assert read_table(data)["comments"].to_dict() == {2: 'say "hi", then go', 3: '5"2', 4: "a b"}


def test_data_far_right_of_the_headings_is_refused_naming_its_column_and_first_row():
    data = workbook({1: ["site", "case_ref"], 2: ["north", "N-1"], 3: ["north", "N-2"] + [None] * 49 + ["note"]})
    with pytest.raises(FileProblem, match=r"Column AZ holds data \(first in row 3\) but has no heading in row 1"):
        read_table(data)
