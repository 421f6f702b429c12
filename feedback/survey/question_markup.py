"""A question's markup, drawn by ``_items.html``'s ``question`` macro once and then reused.

Issue 24: drawing the macro was the largest part of a survey page's render (its sub-macros,
gettext lookups, filters and escaping). Everything it draws is fixed by the instrument's wording,
the item, the language and the page's layout, except three things that vary per respondent:

- which choice is ticked (a choice among the item's own codes, so a small set: part of the key);
- what was typed into a number, text or date box (free text, never a key: it is kept out of the
  cache entirely and escaped into the drawn markup per request, as the template escapes it);
- error messages, which only a refused post shows: an item with an error is drawn uncached.

Nothing per request, link, family or site is inside the macro (the CSRF token, the progress line,
the organisation and contact lines are drawn by ``page.html``/``base.html`` around it). The cache
lives on the app (each app has its own translations and filters) and is bounded.
"""
from __future__ import annotations

import re
import secrets
import threading
from typing import Any, Mapping

from flask import current_app, get_template_attribute
from flask_babel import get_locale, get_translations
from markupsafe import Markup, escape

from ..instruments import Instrument, Item
from .forms import MISSING_SUFFIX

CHOICE_TYPES = ("single_choice", "agreement", "scale", "yes_no")
TYPED_TYPES = ("number", "text", "long_text")
DATE_PARTS = ("day", "month", "year")
#: Entries per app (a question's markup is 1-3 kB, so at most a few MB per worker); a key is one
#: item in one language with one choice ticked, and the screens in use are far fewer.
MAX_ENTRIES = 2048
EXTENSION = "survey.question_markup"

# Stands in for a typed value while the reusable markup is drawn. Random per process, so no
# instrument text can contain it; each is checked to appear exactly once before anything is kept.
_MARK = secrets.token_hex(8)
_SLOT = re.compile(f"\x00{_MARK}:([a-z]+)\x00")


def _slot(name: str) -> str:
    return f"\x00{_MARK}:{name}\x00"


class _Field:
    """What the macro reads of a form field: its data and, for a date, its typed parts."""

    __slots__ = ("data", "parts")

    def __init__(self, data=None, parts=None):
        self.data, self.parts = data, parts


class _Cache:
    def __init__(self):
        self.entries: dict[tuple, tuple[str, ...]] = {}
        self.lock = threading.Lock()

    def put(self, key: tuple, segments: tuple[str, ...]) -> None:
        with self.lock:
            if len(self.entries) >= MAX_ENTRIES:
                # The oldest first (dicts keep insertion order): a simple bound, not an LRU.
                del self.entries[next(iter(self.entries))]
            self.entries[key] = segments


def _cache() -> _Cache:
    cache = current_app.extensions.get(EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(EXTENSION, _Cache())
    return cache


def draw_question(item: Item, form, errors: Mapping, language: str, heading: bool = False,
                  intro_id: str = "") -> Markup:
    """The ``question`` macro of ``survey/_items.html`` itself, drawn now (no cache)."""
    return get_template_attribute("survey/_items.html", "question")(
        item, form, errors, language, heading=heading, intro_id=intro_id)


def question_markup(instrument: Instrument, item: Item, form, errors: Mapping, language: str,
                    heading: bool = False, intro_id: str = "") -> Markup:
    """What ``draw_question`` draws, from the cache when it can be.

    Drawn uncached: an item with an error, an instrument without a content hash (built in code,
    so its texts have no name), and form data of a shape the macro was not written for.
    """
    state = _choice_state(item, form)
    if item.id in errors or not instrument.texts_key or state is _UNCACHEABLE:
        return draw_question(item, form, errors, language, heading, intro_id)
    # Whatever the macro's words depend on: the version's texts, the item, the language asked for,
    # the locale and catalogue gettext and the number filters use, and the page's layout.
    key = (instrument.id, instrument.version, instrument.texts_key, item.id, language, str(get_locale()),
           get_translations(), bool(heading), intro_id, state)
    cache = _cache()
    segments = cache.entries.get(key)
    if segments is None:
        segments = _draw_segments(item, language, heading, intro_id, state)
        if segments is None:
            return draw_question(item, form, errors, language, heading, intro_id)
        cache.put(key, segments)
    if len(segments) == 1:
        return Markup(segments[0])
    typed = _typed_values(item, form)
    # Odd segments name a slot; its value is escaped as the template's ``{{ value }}`` escapes it.
    return Markup("".join(segment if index % 2 == 0 else str(escape(typed[segment]))
                          for index, segment in enumerate(segments)))


_UNCACHEABLE = object()


def _choice_state(item: Item, form) -> Any:
    """What is ticked, as the macro sees it: a code (as a string) among the item's, or None."""
    if item.type in CHOICE_TYPES:
        return _ticked(form[item.id].data, item.all_choices)
    if item.type == "multiple_choice":
        data = form[item.id].data
        if data is None:
            return ()
        if not isinstance(data, (list, tuple)):
            return _UNCACHEABLE
        return tuple(str(choice.code) for choice in item.choices if str(choice.code) in data)
    if item.type in TYPED_TYPES or item.type == "date":
        if not item.missing_codes:
            return None
        return _ticked(form[item.id + MISSING_SUFFIX].data, item.missing_codes)
    return _UNCACHEABLE


def _ticked(data, choices) -> str | None:
    # The macro ticks the choice whose code, as a string, equals the field's data: anything else
    # (nothing, a forged code, a value of another type) ticks none, as None does.
    return data if isinstance(data, str) and data in {str(choice.code) for choice in choices} else None


def _typed_values(item: Item, form) -> dict[str, Any]:
    field = form[item.id]
    if item.type == "date":
        return {part: field.parts[part] for part in DATE_PARTS}
    return {"value": field.data if field.data is not None else ""}


def _draw_segments(item: Item, language: str, heading: bool, intro_id: str, state) -> tuple[str, ...] | None:
    """The macro's markup split around its typed values: text, slot name, text, ...; None if a
    slot does not appear exactly once (then the markup is not kept)."""
    stand_in: dict[str, _Field] = {}
    slots: tuple[str, ...] = ()
    if item.type in CHOICE_TYPES:
        stand_in[item.id] = _Field(state)
    elif item.type == "multiple_choice":
        stand_in[item.id] = _Field(list(state))
    else:
        if item.type == "date":
            slots = DATE_PARTS
            stand_in[item.id] = _Field(None, {part: _slot(part) for part in DATE_PARTS})
        else:
            slots = ("value",)
            stand_in[item.id] = _Field(_slot("value"))
        if item.missing_codes:
            stand_in[item.id + MISSING_SUFFIX] = _Field(state)
    drawn = str(draw_question(item, stand_in, {}, language, heading, intro_id))
    segments = tuple(_SLOT.split(drawn))
    if sorted(segments[1::2]) != sorted(slots):
        return None
    return segments
