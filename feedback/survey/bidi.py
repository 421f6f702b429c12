"""Values inside translated sentences, kept in their own direction and written the reader's way.

In a right-to-left sentence (Urdu, Arabic) the Unicode bidi algorithm reorders the neutral
characters around numbers: "01234 567890" shows as "567890 01234", "1–2" as "2–1", and an English
answer's full stop jumps to its start. Each value inserted into translated words is therefore
wrapped in ``<bdi>`` (its direction taken from its own first letter), and phone numbers and
ranges in ``<bdi dir="ltr">``, on right-to-left pages. Numbers and dates are written in the respondent's locale (Babel):
"1 234,5" in Polish, "27 marca 2024" rather than "27 03 2024".
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from numbers import Number

from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import get_locale
from markupsafe import Markup, escape

#: Day, month in words, year ("3 April 2021", "3 Ebrill 2021", "3 kwietnia 2021"): the UK order,
#: with the month in the form each language uses inside a date (Polish and Romanian genitives).
DATE_IN_WORDS = "d MMMM y"

#: A phone number or a run of figures with spaces, dashes or dots between them ("+44 1234 567890",
#: "0300-123-4567"); a lone number is matched too, which is harmless.
PHONE_OR_NUMBER = re.compile(r"\+?\(?\d[\d\s().-]*\d|\d")


def _locale():
    return get_locale() or "en"


def number_words(value: Number) -> str:
    """A number as the respondent's locale writes it ("2,5" in Polish), without thousands
    separators so a typed year or code does not read "2,021"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _decimal(value, str(_locale()), False)


def count_words(value: int) -> str:
    """A count in running text, grouped as the locale groups thousands ("1 234" in Polish)."""
    return _decimal(value, str(_locale()), True)


@lru_cache(maxsize=2048, typed=True)
def _decimal(value: Number, locale: str, grouped: bool) -> str:
    # Babel reads the locale's number pattern on every call (about 15-20 µs); a survey page writes
    # the same few numbers (its progress, its scale's ends) for every respondent. ``typed``: equal
    # numbers of different types (2, 2.0, Decimal) are kept apart, so what Babel makes of each type
    # is never mixed up.
    return format_decimal(value, locale=locale, group_separator=grouped)


def date_words(value: date) -> str:
    """A date in words in the respondent's language (``DATE_IN_WORDS``)."""
    return format_date(value, format=DATE_IN_WORDS, locale=_locale())


#: (language, territory, script, variant, modifier) -> (identifier, written right to left?).
_LOCALE_FACTS: dict[tuple, tuple[str, bool]] = {}


def _locale_facts(locale) -> tuple[str, bool]:
    """A Babel locale's identifier ("en", "ur") and whether it is written right to left.

    Babel works both out again on every call (``str(locale)``, ``text_direction``: about 30
    Python calls for each number on a page, issue 24); both follow from the locale's five parts
    and Babel's locale data, which never change while the app runs, so they are kept by those
    parts. Bounded: a locale may come from a request.
    """
    key = (locale.language, locale.territory, locale.script, locale.variant, locale.modifier)
    facts = _LOCALE_FACTS.get(key)
    if facts is None:
        if len(_LOCALE_FACTS) >= 256:
            _LOCALE_FACTS.clear()
        facts = _LOCALE_FACTS[key] = (str(locale), locale.text_direction == "rtl")
    return facts


def right_to_left() -> bool:
    """Whether the page being drawn is in a right-to-left language."""
    locale = get_locale()
    return bool(locale) and _locale_facts(locale)[1]


def bdi(value, direction: str | None = None) -> Markup:
    """``value`` (numbers written the locale's way) isolated from the words around it.

    Only on right-to-left pages: in left-to-right words a number or an answer already reads in
    order, and pages in English and Welsh stay as plain as they were.
    """
    locale = get_locale()  # asked once: the number's locale and the direction are the same one
    identifier, rtl = _locale_facts(locale) if locale else ("en", False)
    if isinstance(value, Number) and not isinstance(value, bool):
        value = _decimal(value, identifier, True)  # ``count_words``
    if type(value) is str:
        # What ``Markup("{}").format`` makes of a plain string: the string, escaped.
        value = escape(value)
        if not rtl:
            return value
        attribute = f' dir="{direction}"' if direction in ("ltr", "rtl") else ""
        return Markup(f"<bdi{attribute}>{value}</bdi>")
    if not rtl:
        return Markup("{}").format(value)
    attribute = Markup(' dir="{}"').format(direction) if direction in ("ltr", "rtl") else ""
    return Markup("<bdi{}>{}</bdi>").format(attribute, value)


def isolated(template: str, **values) -> Markup:
    """An already translated ``template`` with each ``%(name)s`` filled by an isolated value.

    The template's own words are escaped, so a catalogue cannot add markup.
    """
    return Markup(escape(template)) % {name: bdi(value) for name, value in values.items()}


def isolate_numbers(text: str) -> Markup:
    """Free text (a contact line such as "call 01234 567890") with each phone number or run of
    figures kept left to right, so its groups stay in order inside right-to-left words."""
    if not right_to_left():
        return Markup("{}").format(text or "")
    parts, last = [], 0
    for match in PHONE_OR_NUMBER.finditer(text or ""):
        parts += [escape(text[last:match.start()]), bdi(match.group(0), "ltr")]
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return Markup("").join(parts)
