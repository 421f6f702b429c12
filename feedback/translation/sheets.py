"""Instrument wording in files a translator works in, and back: XLSX or PO.

An XLSX has one row per source text of the instrument (every version, newest first) and one
column per language, so a translator or reviewer sees all languages side by side; a PO file is
one language, for translators' tools (msgid the source text, msgstr the translation, the places
it is used as comments). Reading one back is all or nothing: every problem is reported by row
(or PO line) and no language file changes until there are none. The language files are then
rewritten whole (``language_files.language_file_text``), so what is in them is exactly what the
translator returned. Pure Python: openpyxl and Babel's PO reader/writer, no Flask.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from ..instruments.definition import Instrument
from ..instruments.language_files import (
    FOLDER, LANGUAGE_CODE, LanguageFile, _placeholder_mismatch, language_file_text, load_language_file, pairs_for,
)

SHEET = "texts"
FIXED = ("where", "source")


@dataclass(frozen=True)
class SheetProblem:
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def existing_files(instrument_folder: Path) -> dict[str, LanguageFile]:
    files = {}
    for path in sorted((instrument_folder / FOLDER).glob("*.yaml")):
        file, _ = load_language_file(path, str(path))
        if file is not None:
            files[file.language] = file
    return files


def source_language(versions: list[Instrument]) -> str:
    return versions[0].languages[0]


def write_sheet(versions: list[Instrument], languages: list[str], files: dict[str, LanguageFile]) -> bytes:
    """An XLSX workbook: where, source text, then a column per language (filled where known)."""
    source = source_language(versions)
    rows = {text: place for text, _, place in pairs_for(versions, source)}
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(["where", source, *languages])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for text, place in rows.items():
        sheet.append([place, text, *[files[language].texts.get(text, "") if language in files else ""
                                     for language in languages]])
    for column, width in zip("ABCDEFGHIJ", (34, 60, *[60] * len(languages))):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    notes = book.create_sheet("read me")
    for line in (
        f"Translations of {versions[0].id}: one row per text families read, in every version.",
        f"Column B is the source ({source}); write each language in its own column, one text per cell.",
        "Keep placeholders such as %(link)s exactly. Leave a cell empty if it is not translated yet:",
        "a version offers a language only when every one of its texts is translated.",
        "Do not change columns A and B or add rows. Return the file; `flask translations import` reads it.",
    ):
        notes.append([line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_sheet(data: bytes, versions: list[Instrument]) -> tuple[dict[str, dict[str, str]], list[SheetProblem]]:
    """language → {source text: translation} from an XLSX, and every problem by row and column."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        return {}, [SheetProblem("file", f"is not an XLSX workbook ({error.__class__.__name__})")]
    if SHEET not in book.sheetnames:
        return {}, [SheetProblem("file", f"has no sheet named '{SHEET}'")]
    rows = list(book[SHEET].iter_rows(values_only=True))
    if not rows:
        return {}, [SheetProblem("file", "the texts sheet is empty")]
    source = source_language(versions)
    header = [str(value).strip() if value is not None else "" for value in rows[0]]
    problems: list[SheetProblem] = []
    if header[:2] != ["where", source]:
        return {}, [SheetProblem("row 1", f"must start with the columns 'where' and '{source}'")]
    languages = header[2:]
    for column, language in enumerate(languages, start=3):
        if not LANGUAGE_CODE.match(language) or language == source or languages.count(language) > 1:
            problems.append(SheetProblem(f"row 1 column {column}", f"'{language}' must be a language code, once"))
    known = {text for text, _, _ in pairs_for(versions, source)}
    result: dict[str, dict[str, str]] = {language: {} for language in languages}
    for number, row in enumerate(rows[1:], start=2):
        cells = [("" if value is None else str(value)) for value in row] + [""] * len(header)
        text = cells[1].strip()
        if not text and not any(cell.strip() for cell in cells):
            continue
        if text not in known:
            problems.append(SheetProblem(f"row {number}", f"source text {_short(text)!r} is not in any version "
                                                          f"of {versions[0].id}: columns A and B must not change"))
            continue
        for column, language in enumerate(languages, start=3):
            translated = cells[column - 1].strip()
            if not translated:
                continue
            mismatch = _placeholder_mismatch(text, translated)
            if mismatch:
                problems.append(SheetProblem(f"row {number} column {column} ({language})", mismatch))
                continue
            result[language][text] = translated
    return result, problems


def write_po_file(versions: list[Instrument], language: str, file: LanguageFile | None) -> bytes:
    catalogue = Catalog(locale=language, project=versions[0].id, charset="utf-8")
    for text, translated, place in pairs_for(versions, language, file):
        catalogue.add(text, translated, auto_comments=[place])
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=100, omit_header=False)
    return buffer.getvalue()


def read_po_file(data: bytes, versions: list[Instrument]) -> tuple[str, dict[str, str], list[SheetProblem]]:
    try:
        catalogue = read_po(io.BytesIO(data))
    except Exception as error:  # Babel raises PoFileError and others for a malformed file
        return "", {}, [SheetProblem("file", f"is not a PO file ({error})")]
    language = str(catalogue.locale or "")
    if not LANGUAGE_CODE.match(language):
        return "", {}, [SheetProblem("header", f"Language '{language}' must be a language code such as pl")]
    known = {text for text, _, _ in pairs_for(versions, source_language(versions))}
    texts: dict[str, str] = {}
    problems: list[SheetProblem] = []
    for message in catalogue:
        if not message.id:
            continue
        where = f"line {message.lineno}"
        text = message.id if isinstance(message.id, str) else message.id[0]
        if text not in known:
            problems.append(SheetProblem(where, f"msgid {_short(text)!r} is not in any version of {versions[0].id}"))
            continue
        translated = (message.string or "").strip() if isinstance(message.string, str) else ""
        if not translated or message.fuzzy:
            continue
        mismatch = _placeholder_mismatch(text, translated)
        if mismatch:
            problems.append(SheetProblem(where, mismatch))
            continue
        texts[text] = translated
    return language, texts, problems


def merged_files(instrument_id: str, versions: list[Instrument], incoming: dict[str, dict[str, str]],
                 existing: dict[str, LanguageFile]) -> dict[str, str]:
    """language → the new content of its language file: the incoming texts over the file's own,
    texts no version has any more kept (an older file may serve a version not loaded here)."""
    source = source_language(versions)
    contents = {}
    for language, texts in incoming.items():
        before = existing.get(language)
        merged = dict(before.texts) if before else {}
        merged.update(texts)
        pairs = [(text, merged.get(text, ""), place) for text, _, place in pairs_for(versions, language)]
        listed = {text for text, _, _ in pairs}
        pairs += [(text, translated, "(not in the versions loaded)") for text, translated in merged.items()
                  if text not in listed]
        contents[language] = language_file_text(
            instrument_id, language, source, pairs,
            header=f"{language} wording of {instrument_id}, every version. Written by `flask translations import`;\n"
                   "its review status is in ../translations.yaml. Format: questionnaires/README.md.")
    return contents


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
