"""Files to import, built as a person would fill them in: a heading row, then one form per row."""
from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import date, datetime, time
from typing import Iterable, Iterator

import pandas as pd

from feedback.demo import random_answers
from feedback.instruments import Instrument

#: The test-only instrument: every item type, a condition, missing codes and a scale (tests/fixtures).
HOUSEHOLD = ["site", "case_ref", "member_ref", "completed_on", "role", "has_children", "adults", "children_count",
             "school", "f1", "f2", "f3", "rating", "moved_in", "postcode", "comments"]


def csv_bytes(rows: list[list], headings: list[str] = HOUSEHOLD, bom: bool = True) -> bytes:
    out = io.StringIO()
    pd.DataFrame(rows, columns=headings).to_csv(out, index=False)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], headings: list[str] = HOUSEHOLD) -> bytes:
    """A workbook whose numbers are number cells and whose dates are date cells, as Excel stores them."""
    out = io.BytesIO()
    pd.DataFrame([[_typed(value) for value in row] for row in rows], columns=headings).to_excel(out, index=False)
    return out.getvalue()


def _typed(value):
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.combine(date.fromisoformat(value), time())
    return value


def cell(value) -> str:
    """An answer as its cell: codes of a multiple-choice answer separated by “;”."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(code) for code in value)
    return str(value)


def answered_row(instrument: Instrument, seed: int) -> dict:
    """Random valid answers to the items they leave visible (short enough for every text item)."""
    answers = random_answers(instrument, random.Random(seed))
    for item in instrument.items:
        if item.id in answers and item.type in ("text", "long_text") and isinstance(answers[item.id], str):
            answers[item.id] = answers[item.id][:item.max_length]
    return answers


def instrument_rows(instrument: Instrument, keys: list[tuple], seed: int = 1) -> tuple[list, list[list], list[dict]]:
    """(headings, rows, answers) for rows of (site, case_ref, member_ref, completed_on, role)."""
    headings = ["site", "case_ref", "member_ref", "completed_on", "role"] + [item.id for item in instrument.items]
    rows, answer_sets = [], []
    for offset, key in enumerate(keys):
        answers = answered_row(instrument, seed + offset)
        rows.append(list(key) + [cell(answers.get(item.id)) for item in instrument.items])
        answer_sets.append(answers)
    return headings, rows, answer_sets


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def sheet_xml(rows: Iterable[bytes], dimension: str | None = None) -> Iterator[bytes]:
    """A worksheet part streamed from chunks of ``<row>`` elements, with a ``<dimension>`` if given."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData></worksheet>"


def numbered_rows(first: int, last: int, chunk: int = 10_000) -> Iterator[bytes]:
    """``<row>`` elements ``first``..``last``, each one number cell in column A, in chunks."""
    for start in range(first, last + 1, chunk):
        yield b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n)
                       for n in range(start, min(start + chunk, last + 1)))


def crafted_workbook(sheet: Iterable[bytes], shared_strings: Iterable[bytes] | None = None,
                     shared_strings_part: str = "xl/sharedStrings.xml") -> bytes:
    """A minimal XLSX written part by part, as a hand-made or hostile file would be; the sheet
    (and shared strings) streamed into the zip, so a part may unpack far larger than the file."""
    overrides = [("xl/workbook.xml", "sheet.main+xml"), ("xl/worksheets/sheet1.xml", "worksheet+xml")]
    relationships = [("worksheet", "worksheets/sheet1.xml")]
    if shared_strings is not None:
        overrides.append((shared_strings_part, "sharedStrings+xml"))
        relationships.append(("sharedStrings", shared_strings_part.removeprefix("xl/")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="/{name}" ContentType="{_TYPES}{kind}"/>' for name, kind in overrides)
            + "</Types>"))
        archive.writestr("_rels/.rels", _relationships([("officeDocument", "xl/workbook.xml")]))
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                                            f'xmlns:r="{_RELATIONSHIPS[:-1]}"><sheets>'
                                            '<sheet name="Forms" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", _relationships(relationships))
        for name, chunks in [("xl/worksheets/sheet1.xml", sheet), (shared_strings_part, shared_strings)]:
            if chunks is not None:
                with archive.open(name, "w") as part:
                    for chunk in chunks:
                        part.write(chunk)
    return out.getvalue()


def _relationships(targets: list[tuple[str, str]]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{number}" Type="{_RELATIONSHIPS}{kind}" Target="{target}"/>'
                      for number, (kind, target) in enumerate(targets, start=1))
            + "</Relationships>")
