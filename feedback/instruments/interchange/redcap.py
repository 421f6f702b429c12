"""An instrument version to and from a REDCap data dictionary (CSV).

A section header starts a page (its title), a matrix group is one page shown together, a
descriptive field at the top of a page is its intro. radio/dropdown are single choices, checkbox
multiple choice, yesno/truefalse yes/no and a true/false choice, text with integer/number/date
validation a number or date, notes long text; branching logic becomes ``show_if``. A data
dictionary holds one language (each translation is exported as a dictionary of its own, with
the same variables and codes) and no scoring: the export says so, and keeps what REDCap has no
column for (a page's id, agreement and yes/no with missing codes) in the field annotation as
``feedback-page=<id>`` and ``feedback-type=<type>``.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from ..definition import Instrument, Item
from .common import ImportRefused, ImportResult, code_of, identifier, lost_on_export
from .expressions import REDCAP, ExpressionError, parse_condition, write_condition
from .shaping import InstrumentShaper

HEADERS = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
           "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
           "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
           "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
           "Matrix Ranking?", "Field Annotation"]
NAME, FORM, SECTION, TYPE, LABEL, CHOICES, NOTE, VALIDATION, VMIN, VMAX, IDENTIFIER, BRANCHING, REQUIRED, \
    ALIGNMENT, NUMBER, MATRIX, RANKING, ANNOTATION = HEADERS
NUMBER_VALIDATIONS = {"integer": True, "number": False, "number_1dp": False, "number_2dp": False}
DATE_VALIDATIONS = ("date_ymd", "date_dmy", "date_mdy")
MARK = re.compile(r"feedback-(type|page)=([a-z_0-9]+)")


# -- export ---------------------------------------------------------------------------------------

def export_redcap(instrument: Instrument, language: str | None = None) -> tuple[str, list[str]]:
    """The data dictionary (CSV text) in one of the instrument's languages (None: its first), and
    what it lost. A data dictionary holds one language: each translation is a dictionary of its
    own, with the same variables and codes."""
    language = language or instrument.languages[0]
    if language not in instrument.languages:
        raise ValueError(f"{instrument.id} v{instrument.version} has no '{language}' texts; its languages are "
                         f"{', '.join(instrument.languages)}")
    form = identifier(instrument.id, "form")
    multiple = {item.id for item in instrument.items if item.type == "multiple_choice"}
    lost = lost_on_export(instrument, "REDCap")
    others = [other for other in instrument.languages if other != language]
    if others:
        lost.insert(0, f"translations ({', '.join(others)}): a data dictionary holds one language, here "
                       f"'{language}'; export each with --language")
    lost.insert(0, "the title and description: a data dictionary has no place for them")
    rows = []
    for page in instrument.pages:
        section = page.title.get(language) if page.title else page.id
        matrix = page.id if page.together and _matrix_ready(page.items) else ""
        if page.together and not matrix:
            lost.append(f"page '{page.id}': together (its questions do not share one set of choices)")
        first = {SECTION: section, ANNOTATION: f"feedback-page={page.id}"}
        if page.intro:
            rows.append({NAME: f"{page.id}_intro", FORM: form, TYPE: "descriptive",
                         LABEL: page.intro.get(language), **first})
            first = {}
        for item in page.items:
            row = {NAME: item.id, FORM: form, LABEL: item.text.get(language), MATRIX: matrix,
                   REQUIRED: "y" if item.required else "", IDENTIFIER: "y" if item.identifying else ""}
            row.update(_field(item, language, lost))
            if item.hint:
                row[NOTE] = item.hint.get(language)
            if item.conditions:
                row[BRANCHING] = write_condition(item.conditions, multiple, REDCAP)
            if item.error:
                lost.append(f"item '{item.id}': its own error message")
            for key, value in first.items():
                row[key] = " ".join(filter(None, [value, row.get(key, "")])) if key == ANNOTATION else value
            first = {}
            rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADERS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), lost


def _matrix_ready(items) -> bool:
    kinds = {(item.type in ("multiple_choice",), item.all_choices) for item in items}
    return len(kinds) == 1 and all(item.all_choices and item.type != "scale" for item in items)


def _field(item: Item, language: str, lost: list[str]) -> dict:
    choices = " | ".join(f"{choice.code}, {choice.label.get(language)}" for choice in item.all_choices)
    if item.type == "yes_no" and not item.missing_codes:
        return {TYPE: "yesno"}
    if item.type in ("single_choice", "scale", "yes_no", "agreement"):
        mark = {"agreement": "feedback-type=agreement", "yes_no": "feedback-type=yes_no"}.get(item.type, "")
        return {TYPE: "radio", CHOICES: choices, ANNOTATION: mark}
    if item.type == "multiple_choice":
        return {TYPE: "checkbox", CHOICES: choices}
    if item.type == "number":
        return {TYPE: "text", VALIDATION: "integer" if item.integer else "number",
                VMIN: _plain(item.minimum), VMAX: _plain(item.maximum)}
    if item.type == "date":
        return {TYPE: "text", VALIDATION: "date_ymd", VMIN: item.earliest.isoformat() if item.earliest else "",
                VMAX: "today" if item.latest_today else ""}
    if item.max_length not in (None, 200, 2000):
        lost.append(f"item '{item.id}': max_length {item.max_length}")
    return {TYPE: "notes" if item.type == "long_text" else "text"}


def _plain(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- import ---------------------------------------------------------------------------------------

def import_redcap(path: Path | str, instrument_id: str, language: str = "en") -> ImportResult:
    """Read a data dictionary; refuse (``ImportRefused``) a file that is not one."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportRefused([f"{Path(path).name} cannot be read: {error}"])
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or len(rows[0]) < 5 or not rows[0][0].lower().startswith("variable"):
        raise ImportRefused([f"{Path(path).name} is not a REDCap data dictionary: its first row must be the "
                             f"headers ({', '.join(HEADERS[:5])}, …)"])
    records = [dict(zip(HEADERS, (cell.strip() for cell in row + [""] * (len(HEADERS) - len(row)))))
               for row in rows[1:]]
    return _Reader(instrument_id, language).read(records)


class _Reader(InstrumentShaper):
    condition_column = BRANCHING
    choices_sheet = "data dictionary"

    def __init__(self, instrument_id: str, language: str):
        super().__init__(instrument_id, [language], sheet="data dictionary")
        self.language = language

    def text(self, value: str) -> dict:
        return {self.language: value}

    def read(self, records: list[dict]) -> ImportResult:
        form = matrix = None
        for number, row in enumerate(records, start=2):
            if not any(row.values()):
                continue
            marks = dict(MARK.findall(row[ANNOTATION]))
            rest = MARK.sub("", row[ANNOTATION]).strip()
            if rest:
                self.refuse(number, ANNOTATION, rest, "annotations and action tags are not carried over")
            for column in (ALIGNMENT, NUMBER, RANKING):
                if row[column]:
                    self.refuse(number, column, row[column], "this column is not carried over")
            new_form = form is not None and row[FORM] != form
            if new_form:
                self.notes.append(f"row {number}: form '{row[FORM]}' starts a new page")
            form = row[FORM]
            group = row[MATRIX]
            if row[SECTION] or new_form or "page" in marks or (group and group != matrix):
                self.end_page()
                title = re.sub(r"<[^>]+>", "", row[SECTION]).strip()
                page_id = marks.get("page") or identifier(title or group or row[FORM], "page")
                self.start_page(page_id, self.text(title) if title and title != page_id else None, together=bool(group))
            matrix = group
            self._field(row, number, marks.get("type"))
        return self.result()

    def _field(self, row: dict, number: int, marked: str | None) -> None:
        kind, name = row[TYPE].lower(), row[NAME]
        if kind == "descriptive":
            self.note(self.text(row[LABEL]), number)
            return
        if kind in ("calc", "file", "slider", "sql", "signature") or kind not in (
                "radio", "dropdown", "checkbox", "yesno", "truefalse", "text", "notes"):
            self.refuse(number, TYPE, kind, "calculated fields are not supported" if kind == "calc"
                        else f"the field type '{kind}' is not supported")
            return
        item = {"id": name, "type": "single_choice", "text": self.text(row[LABEL] or name),
                "required": row[REQUIRED].lower() in ("y", "yes", "1")}
        if identifier(name, "item") != name:
            self.refuse(number, NAME, name, "a field name must be lower-case letters, digits and underscores")
            item["id"] = identifier(name, f"item_{number}")
        if row[NOTE]:
            item["hint"] = self.text(row[NOTE])
        if row[IDENTIFIER].lower() in ("y", "yes", "1"):
            item["identifying"] = True
        if row[BRANCHING]:
            try:
                item["show_if"] = parse_condition(row[BRANCHING])
            except ExpressionError as problem:
                self.refuse(number, BRANCHING, row[BRANCHING], str(problem))
        if kind in ("radio", "dropdown", "checkbox", "truefalse"):
            if kind == "checkbox":
                item["type"] = "multiple_choice"
            elif marked == "agreement":
                item["type"] = "agreement"
            entries = ([(number, 1, self.text("True")), (number, 0, self.text("False"))] if kind == "truefalse"
                       else self._choices(row, number))
            if entries:
                self.add_choice_item(item, "yes_no" if marked == "yes_no" else identifier(name, "choices"),
                                     entries, number)
            return
        if kind == "yesno":
            item["type"] = "yes_no"
        elif kind == "notes":
            item["type"] = "long_text"
        elif not self._validated(row, number, item):
            return
        self.add_item(item, number)

    def _choices(self, row: dict, number: int) -> list:
        entries = []
        for part in filter(None, (part.strip() for part in row[CHOICES].split("|"))):
            code, _, label = part.partition(",")
            if not label.strip():
                self.refuse(number, CHOICES, part, "each choice must be 'code, label'")
                continue
            entries.append((number, code_of(code), self.text(label.strip())))
        if not entries:
            self.refuse(number, CHOICES, row[CHOICES], "a choice field needs choices like '1, Yes | 0, No'")
        return entries

    def _validated(self, row: dict, number: int, item: dict) -> bool:
        validation = row[VALIDATION].lower()
        if not validation:
            item["type"] = "text"
        elif validation in NUMBER_VALIDATIONS:
            item.update(type="number", integer=NUMBER_VALIDATIONS[validation])
            try:
                item["min"], item["max"] = (code_of(row[VMIN]) if validation == "integer" else float(row[VMIN]),
                                            code_of(row[VMAX]) if validation == "integer" else float(row[VMAX]))
                assert all(isinstance(value, (int, float)) for value in (item["min"], item["max"]))
            except (ValueError, AssertionError):
                self.refuse(number, VMIN, f"{row[VMIN]}–{row[VMAX]}", "a number needs a minimum and maximum, so "
                                                                     "impossible answers are refused")
                return False
        elif validation in DATE_VALIDATIONS:
            item["type"] = "date"
            if row[VMIN]:
                try:
                    item["earliest"] = date.fromisoformat(row[VMIN])
                except ValueError:
                    self.refuse(number, VMIN, row[VMIN], "the earliest date must be written like 2020-01-31")
            if row[VMAX] == "today":
                item["not_in_future"] = True
            elif row[VMAX]:
                self.refuse(number, VMAX, row[VMAX], "a latest date other than 'today' cannot be stated")
        else:
            self.refuse(number, VALIDATION, validation, "this validation type is not supported")
            return False
        return True
