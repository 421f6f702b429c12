"""A shown report as CSV or XLSX: exactly the cells the page shows (suppressed cells as "<10"),
with the suppression method under each table, so a download is as safe to pass on as the page.

Text cells are defused against spreadsheet formulas (labels come from instrument files and site
names), as in evaluator exports; in CSV, line breaks inside a cell are written as LF and quoted.
"""
from __future__ import annotations

import csv
import io

from ..exports.formulas import csv_cell, defuse


def _cell(cell, text=defuse):
    return cell.text if cell.suppressed or cell.value is None else (text(cell.value) if isinstance(cell.value, str)
                                                                    else cell.value)


def _blocks(shown, text=defuse):
    """(title, header, rows, notes) per table; ``text`` makes a text cell safe for the format."""
    for table in shown.tables:
        yield (table.title, [column.label for column in table.columns],
               [[_cell(cell, text) for cell in row] for row in table.rows],
               [note for note in (table.note, shown.method) if note])


def as_csv(shown) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(shown.title)])
    writer.writerow([csv_cell(shown.filters_text)])
    if shown.missing_dates:
        writer.writerow([csv_cell(shown.missing_dates)])
    if shown.empty:
        writer.writerow([csv_cell(shown.empty)])
    for title, header, rows, notes in _blocks(shown, csv_cell):
        writer.writerow([])
        writer.writerow([csv_cell(title)])
        writer.writerow([csv_cell(label) for label in header])
        writer.writerows(rows)
        for note in notes:
            writer.writerow([csv_cell(note)])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM: Excel then reads UTF-8, as in exports


def as_xlsx(shown) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    blocks = list(_blocks(shown)) or [(shown.title, [], [], [shown.empty or ""])]
    for number, (title, header, rows, notes) in enumerate(blocks, start=1):
        # Sheet names: at most 31 characters, none of []:*?/\ and unique.
        name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or f"Table {number}"
        while name in used:
            name = f"{name[:25]} {number}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append([defuse(title)])
        sheet.append([defuse(shown.filters_text)])
        if shown.missing_dates:
            sheet.append([defuse(shown.missing_dates)])
        sheet.append([defuse(label) for label in header])
        for row in rows:
            sheet.append(row)
        for note in notes:
            sheet.append([defuse(note)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
