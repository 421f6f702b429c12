"""An instrument version as an ODK/Kobo XLSForm workbook (survey, choices and settings sheets).

Pages become groups (``together`` pages ``field-list``), a page's intro a note at its top, the
description a note before the first page; ``agreement`` items are ``select_one`` with appearance
``likert``, ``yes_no`` items use the list ``yes_no``, ``scale`` items ``range`` (or a list of
their steps when they offer missing codes), ``long_text`` is ``text`` with appearance
``multiline``; ranges, earliest dates and lengths become constraints, ``show_if`` becomes
``relevant``. What XLSForm cannot hold is returned, one line each (``lost_on_export``).
"""
from __future__ import annotations

from openpyxl import Workbook

from ..definition import Instrument, Item, Text
from ..loader import DEFAULT_MAX_LENGTH
from .common import identifier, language_label, lost_on_export
from .expressions import XLSFORM, write_condition

SURVEY_TYPES = {"single_choice": "select_one", "agreement": "select_one", "yes_no": "select_one",
                "multiple_choice": "select_multiple", "date": "date", "text": "text", "long_text": "text"}


def export_xlsform(instrument: Instrument) -> tuple[Workbook, list[str]]:
    """The workbook for ``instrument`` in every language it has, and what it could not carry."""
    labels = [language_label(language) for language in instrument.languages]
    lists = _ChoiceLists(instrument)
    survey_rows: list[dict] = []
    if any(instrument.description.by_language.values()):
        survey_rows.append({"type": "note", "name": "description", **_texts("label", instrument.description, labels, instrument)})
    multiple = {item.id for item in instrument.items if item.type == "multiple_choice"}
    for page in instrument.pages:
        row = {"type": "begin group", "name": page.id}
        if page.title:
            row.update(_texts("label", page.title, labels, instrument))
        if page.together:
            row["appearance"] = "field-list"
        survey_rows.append(row)
        if page.intro:
            survey_rows.append({"type": "note", "name": f"{page.id}_intro", **_texts("label", page.intro, labels, instrument)})
        for item in page.items:
            survey_rows.append(_item_row(item, lists, labels, instrument, multiple))
        survey_rows.append({"type": "end group", "name": page.id})

    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    _write(survey, ["type", "name"] + [f"label::{l}" for l in labels] + [f"hint::{l}" for l in labels]
           + ["required"] + [f"required_message::{l}" for l in labels]
           + ["relevant", "constraint", "appearance", "parameters"], survey_rows)
    _write(workbook.create_sheet("choices"), ["list_name", "name"] + [f"label::{l}" for l in labels], lists.rows)
    settings = {"form_title": instrument.title.get(instrument.languages[0]), "form_id": instrument.id,
                "version": str(instrument.version), "default_language": labels[0]}
    for language, label in zip(instrument.languages[1:], labels[1:]):
        settings[f"form_title::{label}"] = instrument.title.get(language)
    _write(workbook.create_sheet("settings"), list(settings), [settings])
    return workbook, lost_on_export(instrument, "XLSForm")


def _item_row(item: Item, lists: "_ChoiceLists", labels, instrument, multiple: set[str]) -> dict:
    row = {"name": item.id, **_texts("label", item.text, labels, instrument),
           "required": "yes" if item.required else "no"}
    if item.hint:
        row.update(_texts("hint", item.hint, labels, instrument))
    if item.error:
        row.update(_texts("required_message", item.error, labels, instrument))
    if item.conditions:
        row["relevant"] = write_condition(item.conditions, multiple, XLSFORM)
    constraints = []
    if item.type == "scale" and not item.missing_codes:
        row["type"] = "range"
        row["parameters"] = f"start={int(item.minimum)} end={int(item.maximum)} step=1"
    elif item.type in SURVEY_TYPES:
        row["type"] = SURVEY_TYPES[item.type]
        if item.choices:
            row["type"] += " " + lists.name_for(item)
        if item.type == "agreement":
            row["appearance"] = "likert"
        if item.type == "long_text":
            row["appearance"] = "multiline"
    elif item.type == "scale":
        row["type"] = "select_one " + lists.name_for(item)
    elif item.type == "number":
        row["type"] = "integer" if item.integer else "decimal"
        constraints += [f". >= {_number(item.minimum)}", f". <= {_number(item.maximum)}"]
    if item.type == "date":
        if item.earliest:
            constraints.append(f". >= date('{item.earliest.isoformat()}')")
        if item.latest_today:
            constraints.append(". <= today()")
    if item.max_length is not None and item.max_length != DEFAULT_MAX_LENGTH.get(item.type):
        constraints.append(f"string-length(.) <= {item.max_length}")
    if constraints:
        row["constraint"] = " and ".join(constraints)
    return row


class _ChoiceLists:
    """One choices-sheet list per distinct set of choices and missing codes, named after the
    instrument's choice set (``yes_no`` for yes/no items, so an import knows them)."""

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        self.labels = [language_label(language) for language in instrument.languages]
        self.names: dict[tuple, str] = {}
        self.rows: list[dict] = []
        self.set_names = {}
        for page in instrument.raw.get("pages", []):
            for raw_item in page.get("items", []):
                if isinstance(raw_item.get("choices"), str):
                    self.set_names[raw_item["id"]] = raw_item["choices"]

    def name_for(self, item: Item) -> str:
        key = tuple((choice.code, tuple(sorted(choice.label.by_language.items()))) for choice in item.all_choices)
        if key in self.names:
            return self.names[key]
        base = "yes_no" if item.type == "yes_no" else self.set_names.get(item.id) or (
            "steps" if item.type == "scale" else item.id)
        if item.missing_codes:
            base += "_" + "_".join(f"m{abs(choice.code)}" for choice in item.missing_codes)
        name, counter = identifier(base, "list"), 2
        while name in self.names.values():
            name, counter = f"{identifier(base, 'list')}_{counter}", counter + 1
        self.names[key] = name
        for choice in item.all_choices:
            self.rows.append({"list_name": name, "name": str(choice.code),
                              **_texts("label", choice.label, self.labels, self.instrument)})
        return name


def _texts(column: str, text: Text, labels, instrument: Instrument) -> dict:
    return {f"{column}::{label}": text.get(language) for language, label in zip(instrument.languages, labels)}


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _write(sheet, headers: list[str], rows: list[dict]) -> None:
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
