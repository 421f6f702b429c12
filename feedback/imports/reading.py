"""An uploaded file as a table of text cells, numbered as the spreadsheet shows them. Pure Python.

CSV (UTF-8, with or without the byte-order mark Excel writes) is read by the csv module, leniently
as pandas was (a quote in the middle of a cell is kept as typed); XLSX (the first sheet) by
openpyxl in read-only mode, which keeps the sheet's own row numbers even where rows are blank.
Every cell becomes text ("" when empty) so that one set of rules (``cells``) reads both; a number
Excel holds as 3.0 becomes "3" and a date cell "2024-03-27", as someone would have typed them.

Rows are read one at a time and the file is refused as soon as it passes a limit (``MAX_ROWS``
rows of answers, ``MAX_COLUMNS`` columns), so a file that unpacks to millions of rows costs no
more than one just over the limit; ``workbook`` checks an XLSX before openpyxl opens it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
from datetime import date, datetime, time
from typing import Iterator, Sequence

import pandas as pd
from openpyxl.utils import get_column_letter

#: The heading row; data starts on the row after it.
HEADING_ROW = 1
#: More rows of answers than this are refused: split the file (a paper round is far smaller).
MAX_ROWS = 20_000
#: More columns than this are refused: the longest instrument has under 40 items.
MAX_COLUMNS = 200
#: Larger files are refused unread; the import page's own limit (MAX_CONTENT_LENGTH) is lower.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: The last row of a sheet in Excel and LibreOffice: a file going past it was not saved by either.
SHEET_LAST_ROW = 1_048_576
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NO_HEADINGS = ("The first row must hold the column headings (site, case_ref, member_ref, completed_on and the "
               "item ids), but it is empty.")
NOT_UTF8 = ("The file is not in UTF-8. In Excel choose “Save as” and the type “CSV UTF-8 (comma delimited)”, "
            "or import the .xlsx workbook itself.")
SPLIT = (f"Split it into files of at most {MAX_ROWS:,} rows of answers, each starting with the heading row, and "
         "import them one after another.")
#: Put after a CSV's text: csv (like pandas) returns the rest of a file whose last quote is never
#: closed as one cell, without complaint; if this line ends up inside a cell, that cell's quote was open.
END_OF_TEXT = "\x00end of the imported file\x00"


class FileProblem(ValueError):
    """The file cannot be read; the message says what to do. ``row``/``column`` say where, when known."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.row, self.column = row, column


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def too_large(size: int) -> str | None:
    """Why a file of ``size`` bytes is refused unread, or None when it is not too large."""
    if size <= MAX_FILE_BYTES:
        return None
    return (f"The file is {size / 2**20:.1f} MB; files of at most {MAX_FILE_BYTES // 2**20} MB are imported. "
            f"{SPLIT}")


def read_table(data: bytes) -> pd.DataFrame:
    """The file's cells as text, one column per heading (lower case, trimmed), indexed by row number.

    Rows with every cell empty are left out; the others keep the number the spreadsheet shows
    (the heading is row 1). Refused with ``FileProblem``: an empty file, an old .xls workbook, a
    CSV not in UTF-8 or with a quote never closed, rows longer than the heading, headings missing
    or repeated, more than ``MAX_FILE_BYTES``, and as soon as reading reaches them more than
    ``MAX_ROWS`` rows of answers or ``MAX_COLUMNS`` headings; a workbook as ``workbook.sheet_rows`` says.
    """
    if (message := too_large(len(data))) is not None:
        raise FileProblem(message)
    if not data.strip():
        raise FileProblem("The file is empty.")
    if data.startswith(XLS_MAGIC):
        raise FileProblem("This is an old-style Excel workbook (.xls). Save it as .xlsx or as “CSV UTF-8”, "
                          "then import that.")
    from .workbook import sheet_rows  # (it uses this module's limits)

    rows = sheet_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data)
    try:
        return _table(rows)
    finally:
        rows.close()  # a workbook is closed at once, not when the generator is collected


def _table(rows: Iterator[tuple[int, Sequence]]) -> pd.DataFrame:
    """Numbered rows of cell values → the frame ``read_table`` describes, refused at the first limit passed."""
    number, values = next(rows, (None, ()))
    texts = [_text(value) for value in values]
    if number != HEADING_ROW or not any(texts):
        raise FileProblem(NO_HEADINGS)
    while texts and not texts[-1].strip():
        texts.pop()
    if len(texts) > MAX_COLUMNS:
        raise FileProblem(f"Row 1 has {len(texts)} column headings; at most {MAX_COLUMNS} are taken. Keep site, "
                          "case_ref, member_ref, completed_on, role and the instrument's item ids, and delete the "
                          "other columns.")
    headings = [text.strip().lower() for text in texts]
    width = len(headings)
    numbered: dict[int, list[str]] = {}
    for number, values in rows:
        if number > SHEET_LAST_ROW:
            raise FileProblem(f"The file goes on past row {SHEET_LAST_ROW:,}, the last row a spreadsheet has. "
                              "Open it in Excel or LibreOffice, save it again and import that.")
        # Counted in C: a sheet's rows may be padded with thousands of empty cells.
        if values.count(None) == len(values):
            continue
        extra = values[width:]
        if extra.count(None) != len(extra):
            beyond = next((width + offset for offset, value in enumerate(extra) if _text(value).strip()), None)
            if beyond is not None:
                raise FileProblem(f"Column {get_column_letter(beyond + 1)} holds data (first in row {number}) but "
                                  "has no heading in row 1. Give it the item id it holds, or delete the column.")
        cells = [_text(value) for value in values[:width]]
        if not any(cell.strip() for cell in cells):
            continue
        if len(numbered) == MAX_ROWS:
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows of answers (reading stopped at row "
                              f"{number:,}); at most {MAX_ROWS:,} are imported at once. {SPLIT}")
        numbered[number] = cells + [""] * (width - len(cells))
    # A column with neither heading nor data is an artefact of the spreadsheet: ignore it.
    used = [index for index, heading in enumerate(headings)
            if heading or any(cells[index].strip() for cells in numbered.values())]
    nameless = [index for index in used if not headings[index]]
    if nameless:
        raise FileProblem(f"Column {get_column_letter(nameless[0] + 1)} holds data but has no heading in row 1. "
                          "Give it the item id it holds, or delete the column.")
    repeated = sorted({headings[i] for i in used if sum(headings[j] == headings[i] for j in used) > 1})
    if repeated:
        raise FileProblem(f"The heading{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} "
                          f"appear{'' if len(repeated) > 1 else 's'} more than once in row 1. Keep one column each.")
    if not numbered:
        raise FileProblem("The file has headings but no rows of answers below them.")
    rows_of_cells = {number: [cells[index].strip() for index in used] for number, cells in numbered.items()}
    return pd.DataFrame.from_dict(rows_of_cells, orient="index", columns=[headings[i] for i in used], dtype=object)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The CSV's records numbered from 1, as a spreadsheet opening it numbers its rows (a quoted cell
    may span lines and is still one row). Refused: not UTF-8, a record longer than the heading
    record, a quote never closed."""
    # Decoded as it is read: the whole text at once would hold several copies of a large file.
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(itertools.chain(text, [END_OF_TEXT]))
    headings: list[str] = []
    for number in itertools.count(HEADING_ROW):
        try:
            record = next(reader)
        except csv.Error:
            # The only error of csv's lenient mode on text split into lines: a cell over
            # csv.field_size_limit() characters, which in a form is an open quote running on.
            raise FileProblem(f"A cell in this row runs on for more than {csv.field_size_limit():,} characters. "
                              "Most likely a double quote (\") opens a cell here and is never closed, so "
                              "everything after it was read as that one cell. Add the closing quote (or remove "
                              "the opening one), save the file and import it again.", row=number) from None
        except UnicodeDecodeError:
            raise FileProblem(NOT_UTF8) from None
        except StopIteration:
            return
        if record == [END_OF_TEXT]:
            return
        if record and record[-1].endswith(END_OF_TEXT):
            index = len(record) - 1
            named = headings[index].strip().lower() if index < len(headings) else ""
            raise FileProblem("A double quote (\") opens this cell and is never closed, so everything after it to "
                              "the end of the file was read as this one cell. Add the closing quote where the "
                              "cell's text ends (or remove the opening one), save the file and import it again.",
                              row=number, column=named or f"column {get_column_letter(index + 1)}")
        if number == HEADING_ROW:
            headings = record
        elif len(record) > len(headings):
            raise FileProblem(f"This row has {len(record)} cells but the heading row has {len(headings)}: every row "
                              "must have no more cells than the heading row. Give the extra column a heading in "
                              "row 1, or remove the extra cells (an answer holding a comma must be in double "
                              "quotes).", row=number)
        yield number, record


def _text(value) -> str:
    """A cell as the text someone would have typed into it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
