"""An uploaded file as a table of text cells, numbered as the spreadsheet shows them. Pure Python.

CSV (UTF-8, with or without the byte-order mark Excel writes) is read by pandas; XLSX (the first
sheet) by openpyxl, which keeps the sheet's own row numbers even where rows are blank. Every cell
becomes text ("" when empty) so that one set of rules (``cells``) reads both; a number Excel holds
as 3.0 becomes "3" and a date cell "2024-03-27", as someone would have typed them.
"""
from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from datetime import date, datetime, time

import pandas as pd
from openpyxl.utils import get_column_letter

#: The heading row; data starts on the row after it.
HEADING_ROW = 1
#: More rows than this are refused: split the file (a paper round is far smaller).
MAX_ROWS = 20_000
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NO_HEADINGS = ("The first row must hold the column headings (site, case_ref, member_ref, completed_on and the "
               "item ids), but it is empty.")


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_table(data: bytes) -> pd.DataFrame:
    """The file's cells as text, one column per heading (lower case, trimmed), indexed by row number.

    Rows with every cell empty are left out; the others keep the number the spreadsheet shows
    (the heading is row 1). Refused with ``FileProblem``: an empty file, an old .xls workbook, a
    CSV not in UTF-8, rows longer than the heading, headings missing or repeated.
    """
    if not data.strip():
        raise FileProblem("The file is empty.")
    if data.startswith(XLS_MAGIC):
        raise FileProblem("This is an old-style Excel workbook (.xls). Save it as .xlsx or as “CSV UTF-8”, "
                          "then import that.")
    rows = _xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data)
    rows = [[_text(value) for value in row] for row in rows]
    if not rows or not any(rows[0]):
        raise FileProblem(NO_HEADINGS)
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    headings = [heading.strip().lower() for heading in rows[0]]
    # A column with neither heading nor data is an artefact of the spreadsheet: ignore it.
    used = [index for index, heading in enumerate(headings) if heading or any(row[index].strip() for row in rows[1:])]
    nameless = [index for index in used if not headings[index]]
    if nameless:
        raise FileProblem(f"Column {get_column_letter(nameless[0] + 1)} holds data but has no heading in row 1. "
                          "Give it the item id it holds, or delete the column.")
    repeated = sorted({headings[i] for i in used if sum(headings[j] == headings[i] for j in used) > 1})
    if repeated:
        raise FileProblem(f"The heading{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} "
                          f"appear{'' if len(repeated) > 1 else 's'} more than once in row 1. Keep one column each.")
    numbered = {HEADING_ROW + offset: [row[index].strip() for index in used]
                for offset, row in enumerate(rows[1:], start=1) if any(cell.strip() for cell in row)}
    if not numbered:
        raise FileProblem("The file has headings but no rows of answers below them.")
    if len(numbered) > MAX_ROWS:
        raise FileProblem(f"The file has {len(numbered)} rows of answers; at most {MAX_ROWS} are taken at once. "
                          "Split it into smaller files.")
    return pd.DataFrame.from_dict(numbered, orient="index", columns=[headings[i] for i in used], dtype=object)


def _csv_rows(data: bytes) -> list[list]:
    try:
        frame = pd.read_csv(io.BytesIO(data), header=None, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem("The file is not in UTF-8. In Excel choose “Save as” and the type “CSV UTF-8 "
                          "(comma delimited)”, or import the .xlsx workbook itself.") from None
    except pd.errors.ParserError as error:
        raise FileProblem(f"The file could not be read as CSV ({error}). Check that every row has no more cells "
                          "than the heading row and that quotes are closed.") from None
    except pd.errors.EmptyDataError:  # the file is not blank (checked before), so its first line is
        raise FileProblem(NO_HEADINGS) from None
    return frame.values.tolist()


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # openpyxl warns about spreadsheet features it skips (data validation, styles); the
            # values are still read, and the test suite turns warnings into errors.
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                # min_row=1: a read-only sheet otherwise starts at its first used row, and the row
                # numbers in the report must be the ones the spreadsheet shows.
                return [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
            finally:
                workbook.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, OSError):
        raise FileProblem("The file looks like an Excel workbook but could not be opened. Save it again as .xlsx "
                          "or as “CSV UTF-8”.") from None


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
