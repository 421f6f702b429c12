"""An ODK/Kobo XLSForm workbook as the content of an instrument version file.

pyxform reads the sheets and validates the workbook; the rows are then mapped one by one, so
whatever the instrument format cannot state is named by sheet, row and column
(``Unsupported``) rather than dropped. The mapping is the reverse of ``xlsform_export``; a form
without groups gets one page per run of questions, and a page is split where a ``relevant``
tests a question on the same page (the survey works without JavaScript, so a condition must
test an earlier page).
"""
from __future__ import annotations

import re
from pathlib import Path

from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from ..loader import DEFAULT_MAX_LENGTH
from .common import ImportRefused, ImportResult, code_of, identifier, language_of_header
from .expressions import ExpressionError, parse_condition
from .shaping import InstrumentShaper

QUESTION_TYPES = {"integer", "decimal", "text", "date", "range"}
HANDLED = {"type", "name", "label", "hint", "required", "required_message", "relevant", "constraint",
           "appearance", "parameters"}
METADATA = {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit", "simserial",
            "subscriberid", "start-geopoint"}
TRUE = {"yes", "true", "true()", "1"}


def import_xlsform(path: Path | str, instrument_id: str) -> ImportResult:
    """Read ``path``; refuse (``ImportRefused``) a workbook pyxform rejects."""
    try:
        definition = get_xlsform(str(path))
        workbook_to_json(definition, warnings=[])
    except PyXFormError as error:
        raise ImportRefused([f"{Path(path).name} is not a valid XLSForm: {error}"])
    except (OSError, ValueError) as error:
        raise ImportRefused([f"{Path(path).name} cannot be read as a workbook: {error}"])
    return _Reader(definition, instrument_id).read()


class _Reader(InstrumentShaper):
    def __init__(self, definition, instrument_id: str):
        settings = (definition.settings or [{}])[0]
        default = language_of_header(settings.get("default_language", "")) or "en"
        headers = [header for row in (definition.survey_header or [{}]) for header in row]
        found = [language_of_header(header.split("::", 1)[1]) for header in headers
                 if header.startswith("label::")]
        languages = list(dict.fromkeys([default] + [code for code in found if code]))
        super().__init__(instrument_id, languages, sheet="survey")
        self.definition, self.settings = definition, settings
        for header in headers:
            if header.startswith("label::") and not language_of_header(header.split("::", 1)[1]):
                self.refuse(1, header, "", "give the language code in brackets, e.g. label::Welsh (cy)")
        self.lists = self._choice_lists(definition.choices or [])

    # -- sheets ------------------------------------------------------------------------------
    def _choice_lists(self, rows) -> dict[str, list[tuple[int, object, dict]]]:
        lists: dict[str, list] = {}
        for number, row in enumerate(rows, start=2):
            if row.get("list_name") and row.get("name") is not None:
                lists.setdefault(row["list_name"], []).append(
                    (number, code_of(row["name"]), self.texts_of(row, "label", "choices", number)))
        return lists

    def read(self) -> ImportResult:
        titles = {code: self.settings.get(f"form_title::{header}") for header, code in self._title_headers()}
        titles[self.languages[0]] = self.settings.get("form_title") or titles.get(self.languages[0]) or self.instrument_id
        self.set_title({code: text for code, text in titles.items() if text}, "settings", 2, "form_title")
        group, repeat_depth = None, 0
        for number, row in enumerate(self.definition.survey or [], start=2):
            kind = re.sub(r"\s+", " ", str(row.get("type") or "").strip()).lower()
            kind = re.sub(r"^(begin|end)_(group|repeat)$", r"\1 \2", kind)
            if not kind:
                continue
            if repeat_depth:
                repeat_depth += kind == "begin repeat"
                repeat_depth -= kind == "end repeat"
                continue
            if kind == "begin repeat":
                repeat_depth = 1
                self.refuse(number, "type", row.get("type"), "repeats are not supported: an instrument asks each "
                                                           "question once")
            elif kind == "begin group":
                if group is not None:
                    self.refuse(number, "type", f"begin group {row.get('name')}", "groups inside groups are not "
                                "supported; their questions join the outer page")
                    continue
                group = row.get("name")
                self.check_columns(row, number, {"relevant": "a condition on a whole page cannot be stated; "
                                                             "put it on each question"})
                self.start_page(identifier(group, "page"), self.texts_of(row, "label", "survey", number, optional=True),
                                together="field-list" in str(row.get("appearance") or ""))
            elif kind == "end group":
                group = None if row.get("name") in (None, group) or group else group
                self.end_page()
            elif kind == "note":
                self.note(self.texts_of(row, "label", "survey", number), number)
            elif kind in METADATA:
                self.refuse(number, "type", kind, "metadata questions are not supported; the app records times itself")
            elif kind == "calculate":
                self.refuse(number, "calculation", row.get("calculation", ""), "calculations are not supported")
            elif kind.split(" ")[0] in ("select_one", "select_multiple") and len(kind.split(" ")) == 2:
                self._select(row, number, kind.split(" ")[0], str(row["type"]).split()[-1])
            elif kind in QUESTION_TYPES:
                self._question(row, number, kind)
            else:
                self.refuse(number, "type", row.get("type"), "this question type is not supported")
        return self.result()

    def _title_headers(self):
        for header in self.settings:
            if header.startswith("form_title::"):
                code = language_of_header(header.split("::", 1)[1])
                if code:
                    yield header.split("::", 1)[1], code

    # -- questions ---------------------------------------------------------------------------
    def _common(self, row: dict, number: int, item_type: str) -> dict | None:
        self.check_columns(row, number, {})
        name = row.get("name")
        if not name or identifier(name, "item") != name:
            self.refuse(number, "name", name or "", "an item id must be lower-case letters, digits and underscores")
            name = identifier(name, f"item_{number}")
        item = {"id": name, "type": item_type, "text": self.texts_of(row, "label", "survey", number),
                "required": str(row.get("required") or "").strip().lower() in TRUE}
        hint = self.texts_of(row, "hint", "survey", number, optional=True)
        if hint:
            item["hint"] = hint
        error = self.texts_of(row, "required_message", "survey", number, optional=True)
        if error:
            item["error"] = error
        if row.get("relevant"):
            try:
                item["show_if"] = parse_condition(row["relevant"])
            except ExpressionError as problem:
                self.refuse(number, "relevant", row["relevant"], str(problem))
        return item

    def _select(self, row: dict, number: int, kind: str, list_name: str) -> None:
        entries = self.lists.get(list_name)
        if not entries:
            self.refuse(number, "type", row.get("type"), f"the choices sheet has no list '{list_name}'")
            return
        item = self._common(row, number, "multiple_choice" if kind == "select_multiple" else "single_choice")
        if "likert" in str(row.get("appearance") or "") and kind == "select_one":
            item["type"] = "agreement"
        self.add_choice_item(item, list_name, entries, number)
        self._constraint(row, number, item)

    def _question(self, row: dict, number: int, kind: str) -> None:
        item_type = {"integer": "number", "decimal": "number", "date": "date", "range": "scale"}.get(kind, "text")
        if kind == "text" and "multiline" in str(row.get("appearance") or ""):
            item_type = "long_text"
        item = self._common(row, number, item_type)
        if kind == "decimal":
            item["integer"] = False
        if kind == "range":
            parameters = dict(re.findall(r"(\w+)\s*=\s*(-?[\d.]+)", str(row.get("parameters") or "")))
            start, end, step = (code_of(parameters.get(key, default)) for key, default in
                                (("start", "1"), ("end", "10"), ("step", "1")))
            if step != 1 or not isinstance(start, int) or not isinstance(end, int):
                self.refuse(number, "parameters", row.get("parameters"), "a range must have whole-number start and "
                                                                          "end and step=1")
            else:
                item["min"], item["max"] = start, end
        self._constraint(row, number, item)
        if item_type == "number" and ("min" not in item or "max" not in item):
            self.refuse(number, "constraint", row.get("constraint") or "", "a number needs a range, e.g. "
                        ". >= 0 and . <= 120, so impossible answers are refused")
        self.add_item(item, number)

    def _constraint(self, row: dict, number: int, item: dict) -> None:
        text = str(row.get("constraint") or "").strip()
        if not text:
            return
        for part in re.split(r"\s+and\s+", text):
            part = part.strip()
            bound = re.fullmatch(r"\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)", part)
            earliest = re.fullmatch(r"\.\s*>=\s*date\(\s*'(\d{4}-\d\d-\d\d)'\s*\)", part)
            length = re.fullmatch(r"string-length\(\s*\.\s*\)\s*<=\s*(\d+)", part)
            if bound and item["type"] == "number":
                value = float(bound.group(2)) if "." in bound.group(2) else int(bound.group(2))
                item["min" if bound.group(1) == ">=" else "max"] = value
            elif earliest and item["type"] == "date":
                from datetime import date

                item["earliest"] = date.fromisoformat(earliest.group(1))
            elif re.fullmatch(r"\.\s*<=\s*today\(\)", part) and item["type"] == "date":
                item["not_in_future"] = True
            elif length and item["type"] in DEFAULT_MAX_LENGTH:
                item["max_length"] = int(length.group(1))
            else:
                self.refuse(number, "constraint", text, f"'{part}' cannot be stated; supported: . >= N and . <= N "
                            "for numbers, . >= date('YYYY-MM-DD') and . <= today() for dates, string-length(.) <= N")

    # -- cells -------------------------------------------------------------------------------
    def texts_of(self, row: dict, column: str, sheet: str, number: int, optional: bool = False) -> dict | None:
        """``{language: text}`` from ``column::Language (code)`` cells (or a plain ``column``)."""
        texts = {}
        for header, value in row.items():
            if value in (None, ""):
                continue
            if header == column:
                texts.setdefault(self.languages[0], str(value).strip())
            elif header.startswith(column + "::"):
                code = language_of_header(header.split("::", 1)[1])
                if code:
                    texts[code] = str(value).strip()
        if not texts:
            if not optional:
                self.refuse(number, column, "", "needs a text", sheet)
                return {language: "?" for language in self.languages}
            return None
        return self.complete(texts, sheet, number, column)

    def check_columns(self, row: dict, number: int, reasons: dict[str, str]) -> None:
        for header, value in row.items():
            if value in (None, ""):
                continue
            base = header.split("::", 1)[0]
            if base in reasons:
                self.refuse(number, header, value, reasons[base])
            elif base not in HANDLED:
                self.refuse(number, header, value, "this column is not carried over")
