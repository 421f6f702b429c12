"""The rows of an uploaded XLSX's first sheet, checked before openpyxl is let near the file.

An XLSX is a zip of XML parts, and 1 MB of zip can unpack to a gigabyte. Python's zipfile never
unpacks more of a part than the zip declares for it, so the declared sizes are checked first:
all parts together at most ``MAX_UNPACKED_BYTES``, and any part but a sheet at most
``MAX_PART_BYTES``, because openpyxl reads those whole (shared strings and styles cost it far
more memory and time per byte than a sheet, which it streams). Then the sheet's own claim of
its size (its ``<dimension>``) is checked; it is not trusted further, and ``reading`` counts
rows as they stream.
"""
from __future__ import annotations

import io
import posixpath
import warnings
import zipfile
from typing import Iterator
from xml.etree import ElementTree

from .reading import HEADING_ROW, MAX_ROWS, SHEET_LAST_ROW, SPLIT, FileProblem

#: All parts together, unpacked. A workbook of MAX_ROWS rows of the longest instrument, as
#: openpyxl writes it, unpacks to about 40 MB.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Any one part but a sheet, unpacked: shared strings (the workbook's text), styles, settings.
MAX_PART_BYTES = 4 * 1024 * 1024
SHEET_LAST_COLUMN = 16_384
NOT_A_WORKBOOK = ("The file looks like an Excel workbook but could not be opened. Save it again as .xlsx or as "
                  "“CSV UTF-8”.")
SAVE_AS_CSV = "Save the workbook as “CSV UTF-8” and import that."
CONTENT_TYPES = "[Content_Types].xml"


def sheet_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """The first sheet's rows (tuples of cell values) numbered as the sheet numbers them.

    Refused before openpyxl opens the file: parts that unpack to more than ``MAX_UNPACKED_BYTES``,
    a part other than a sheet over ``MAX_PART_BYTES``; before a row is read: a sheet claiming
    more rows or columns than a spreadsheet has; and anything openpyxl cannot read.
    """
    from openpyxl import load_workbook

    try:
        _check_sizes(zipfile.ZipFile(io.BytesIO(data)))
    except FileProblem:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError):
        raise FileProblem(NOT_A_WORKBOOK) from None
    workbook = None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about spreadsheet features it skips (data validation, styles); the
            # values are still read, and the test suite turns warnings into errors.
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            claimed_rows, claimed_columns = sheet.max_row or 0, sheet.max_column or 0  # 0: no <dimension>
            if claimed_rows > SHEET_LAST_ROW or claimed_columns > SHEET_LAST_COLUMN:
                raise FileProblem(f"The workbook's first sheet claims {claimed_rows:,} rows and {claimed_columns:,} "
                                  f"columns; a spreadsheet has at most {SHEET_LAST_ROW:,} rows and "
                                  f"{SHEET_LAST_COLUMN:,} columns, so the file was not saved by Excel or LibreOffice, "
                                  f"or is damaged. Open it in one of them and save it again; if it holds more than "
                                  f"{MAX_ROWS:,} rows of answers, {SPLIT[0].lower()}{SPLIT[1:]}")
            # Otherwise not trusted: read-only openpyxl stops at the claimed last row, and rows
            # past it would be left out without a word.
            sheet.reset_dimensions()
            # min_row=1: a read-only sheet otherwise starts at its first used row, and the row
            # numbers in the report must be the ones the spreadsheet shows.
            yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=HEADING_ROW)
    except FileProblem:
        raise
    except Exception:
        # Whatever openpyxl trips over in a damaged or hand-made file (it raises TypeError,
        # ValueError, KeyError, XML errors...), the person can only save the file again.
        raise FileProblem(NOT_A_WORKBOOK) from None
    finally:
        if workbook is not None:
            workbook.close()


def _check_sizes(archive: zipfile.ZipFile) -> None:
    parts = archive.infolist()
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileProblem(f"The workbook unpacks to {unpacked / 2**20:,.0f} MB; at most "
                          f"{MAX_UNPACKED_BYTES // 2**20} MB are read, far more than {MAX_ROWS:,} rows of answers "
                          f"take. If it holds more rows than that: {SPLIT} Otherwise: {SAVE_AS_CSV}")
    large = {part.filename: part.file_size for part in parts if part.file_size > MAX_PART_BYTES}
    if not large:
        return
    named = _what_names_each_part(archive, [part.filename for part in parts if part.filename not in large])
    for name, size in large.items():
        # A large part is read only if everything that names it calls it a worksheet, so a part
        # openpyxl reads whole cannot pass as one by its path.
        kinds = named.get(name, set())
        if not kinds or not all(kind.endswith(("/worksheet", ".worksheet+xml")) for kind in kinds):
            raise FileProblem(f"The workbook's part {name} unpacks to {size / 2**20:,.1f} MB; parts other than "
                              f"sheets (the workbook's text, styles and settings) are taken up to "
                              f"{MAX_PART_BYTES // 2**20} MB. {SAVE_AS_CSV}")


def _what_names_each_part(archive: zipfile.ZipFile, small_parts: list[str]) -> dict[str, set[str]]:
    """Part name → the content types ([Content_Types].xml) and relationship types (.rels parts)
    that name it. Only parts within MAX_PART_BYTES are parsed."""
    named: dict[str, set[str]] = {}
    if CONTENT_TYPES in small_parts:
        for override in ElementTree.fromstring(archive.read(CONTENT_TYPES)):
            if override.tag.endswith("}Override"):
                named.setdefault(override.get("PartName", "").lstrip("/"), set()).add(override.get("ContentType", ""))
    for rels in (name for name in small_parts if name.endswith(".rels")):
        # xl/_rels/workbook.xml.rels holds targets relative to xl/.
        source_folder = posixpath.dirname(posixpath.dirname(rels))
        for relationship in ElementTree.fromstring(archive.read(rels)):
            target = relationship.get("Target", "")
            if relationship.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(source_folder, target)
            named.setdefault(posixpath.normpath(path), set()).add(relationship.get("Type", ""))
    return named
