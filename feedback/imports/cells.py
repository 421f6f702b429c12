"""What one cell of an imported file means for one instrument item. Pure Python.

The answer stored is exactly what the web form stores for the same answer (``survey/forms.py``:
a choice's code, a list of codes in the instrument's order, an int or float, an ISO date, text
cleaned by ``free_text.clean_free_text`` and trimmed), and the same rules refuse what the web form refuses: codes outside the item's choices and
missing codes, numbers out of range or not whole, dates before 1900, before the item's earliest
date or (for ``not_in_future`` items) after the form was completed, text over ``max_length``.
Cells are read strictly: a code, never a label or a menu number, because nobody sees an imported
answer before it is stored, so a guess would be stored unseen.
"""
from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from flask_babel import gettext as _, ngettext

from ..free_text import clean_free_text
from ..instruments import Item
from ..instruments.definition import CHOICE_TYPES, Choice

#: Between the codes of a multiple-choice answer: ``1;3``.
CODE_SEPARATOR = ";"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
#: The earliest year the web form accepts in a date answer.
EARLIEST_YEAR = 1900


class CellError(ValueError):
    """The cell cannot be an answer to its item; the message says why, for the person fixing the file,
    and ``kind`` what sort of problem it is, for grouping (``summary.KIND_TEXT``)."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind


def answer_in(item: Item, text: str, completed_on: date) -> Any:
    """The value to store for ``text`` (None for an empty cell), or ``CellError``.

    ``completed_on`` is the latest a ``not_in_future`` date may be: the day the form was filled
    in (the caller gives today when the row's own date is unusable).
    """
    text = text.strip()
    if not text:
        return None
    if item.type in CHOICE_TYPES:
        return _one_code(item, text)
    if item.type == "multiple_choice":
        return _codes(item, text)
    # Number, date and text items take a missing code ("-9") in place of an answer, as the web
    # form's "prefer not to say" choice beside them does.
    missing = _choice(item.missing_codes, text)
    if missing is not None:
        return missing.code
    if item.type == "number":
        return _number(item, text)
    if item.type == "date":
        return _date(item, text, completed_on)
    return _text(item, text)


def _choice(choices: tuple[Choice, ...], text: str) -> Choice | None:
    number = _as_number(text)
    for choice in choices:
        if isinstance(choice.code, str):
            if choice.code.casefold() == text.casefold():
                return choice
        elif number is not None and choice.code == number:
            return choice
    return None


def _codes_listed(choices: tuple[Choice, ...]) -> str:
    return ", ".join(str(choice.code) for choice in choices)


def _one_code(item: Item, text: str):
    chosen = _choice(item.all_choices, text)
    if chosen is None:
        raise CellError(_("‘%(text)s’ is not one of this question's codes (%(codes)s). Use the code, not the answer's "
                          "words.", text=text, codes=_codes_listed(item.all_choices)), "not_a_choice")
    return chosen.code


def _codes(item: Item, text: str) -> list:
    parts = [part.strip() for part in text.split(CODE_SEPARATOR) if part.strip()]
    picked, unknown = set(), []
    for part in parts:
        chosen = _choice(item.choices, part)
        if chosen is None:
            unknown.append(part)
        else:
            picked.add(chosen.code)
    if unknown:
        raise CellError(ngettext("%(unknown)s is not among this question's codes (%(codes)s). Separate several codes "
                                 "with “%(separator)s”.",
                                 "%(unknown)s are not among this question's codes (%(codes)s). Separate several "
                                 "codes with “%(separator)s”.", len(unknown),
                                 unknown=", ".join(f"‘{part}’" for part in unknown),
                                 codes=_codes_listed(item.choices), separator=CODE_SEPARATOR), "not_a_choice")
    # In the instrument's order, as the web form stores the ticked boxes.
    return [choice.code for choice in item.choices if choice.code in picked]


def _as_number(text: str) -> int | float | None:
    cleaned = text.replace(",", "").replace(" ", "")
    if not NUMBER.fullmatch(cleaned):
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def _plain(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _number(item: Item, text: str):
    number = _as_number(text)
    if number is None or (item.integer and not float(number).is_integer()):
        message = (_("‘%(text)s’ is not a whole number, like 3.", text=text) if item.integer
                   else _("‘%(text)s’ is not a number, like 3 or 2.5.", text=text))
        raise CellError(message + _missing_hint(item), "not_a_number")
    if not (item.minimum <= number <= item.maximum):
        raise CellError(_("%(number)s is outside this question's range, %(minimum)s to %(maximum)s.",
                          number=_plain(number), minimum=_plain(item.minimum), maximum=_plain(item.maximum))
                        + _missing_hint(item), "out_of_range")
    # Stored as the web form stores it: whole numbers as int, others as float.
    return int(number) if item.integer else float(number)


def _missing_hint(item: Item) -> str:
    if not item.missing_codes:
        return ""
    return " " + _("Its missing codes are %(codes)s.", codes=_codes_listed(item.missing_codes))


def _date(item: Item, text: str, completed_on: date):
    value = parse_date(text)
    if value is None:
        raise CellError(_("‘%(text)s’ is not a date written as year-month-day, like 2024-03-27.", text=text),
                        "not_a_date")
    if value.year < EARLIEST_YEAR:
        raise CellError(_("%(date)s is before %(year)s. Check the year.", date=value.isoformat(), year=EARLIEST_YEAR),
                        "too_early")
    if item.latest_today and value > completed_on:
        raise CellError(_("%(date)s is after the form was completed (%(completed)s).", date=value.isoformat(),
                          completed=completed_on.isoformat()), "after_completed")
    if item.earliest and value < item.earliest:
        raise CellError(_("%(date)s is before %(earliest)s, the earliest this question allows.",
                          date=value.isoformat(), earliest=item.earliest.isoformat()), "too_early")
    return value.isoformat()


def parse_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None (``date.fromisoformat`` alone would also take ``20240327``)."""
    text = text.strip()
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _text(item: Item, text: str) -> str | None:
    text = clean_free_text(text).strip()
    if not text:
        return None
    if item.max_length and len(text) > item.max_length:
        raise CellError(ngettext("The answer is %(num)s character long; this question takes at most %(max)s.",
                                 "The answer is %(num)s characters long; this question takes at most %(max)s.",
                                 len(text), max=item.max_length), "too_long")
    return text
