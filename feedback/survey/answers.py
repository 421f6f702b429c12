"""The answers as "Check your answers" shows them: each question, its answer in words, and where
to change it, in sections that follow the instrument's pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping

from ..instruments import Instrument, Item
from ..instruments.definition import FREE_TEXT_TYPES
from . import navigation
from .bidi import date_words, number_words
from .navigation import Screen


@dataclass(frozen=True)
class AnswerRow:
    item: Item
    question: str
    #: The answer in words, a line each (several for a "tick all that apply"); empty if unanswered.
    answer: tuple[str, ...]
    change_url: str


@dataclass
class Section:
    title: str | None
    rows: list[AnswerRow] = field(default_factory=list)


def answer_sections(instrument: Instrument, answers: Mapping[str, Any], language: str,
                    change_url: Callable[[Screen], str]) -> list[Section]:
    """Every question the answers show, in order; pages in a row with the same title are one section."""
    effective = navigation.effective_answers(instrument, answers)
    sections: list[Section] = []
    for screen in navigation.screens(instrument):
        items = screen.visible_items(effective)
        if not items:
            continue
        title = screen.page.title.get(language) if screen.page.title else None
        if not sections or sections[-1].title != title:
            sections.append(Section(title))
        for item in items:
            url = change_url(screen) + (f"#q-{item.id}" if screen.together else "")
            sections[-1].rows.append(AnswerRow(item, item.text.get(language),
                                               answer_words(item, effective.get(item.id), language), url))
    return sections


def answer_words(item: Item, value: Any, language: str) -> tuple[str, ...]:
    """A stored answer as the respondent would say it: labels for codes, dates written out."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_choice_words(item, code, language) for code in value)
    if item.choice(value) is not None:  # a choice, a scale step, or a missing code such as "Prefer not to say"
        return (_choice_words(item, value, language),)
    if item.type == "date" and isinstance(value, str):
        try:
            # Day, month name, year ("3 April 2021", "3 Ebrill 2021", "3 kwietnia 2021").
            return (date_words(date.fromisoformat(value)),)
        except ValueError:
            return (value,)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (number_words(value),)  # "2,5" in Polish
    if item.type in FREE_TEXT_TYPES and isinstance(value, str):
        return tuple(value.splitlines()) or (value,)
    return (str(value),)


def _choice_words(item: Item, code: Any, language: str) -> str:
    choice = item.choice(code)
    if choice is None:
        return str(code)
    label = choice.label.get(language)
    if item.type == "scale" and not choice.missing:
        # A step with a word of its own ("5 – Very good") says it with the number.
        words = [anchor.get(language) for low, high, anchor in item.anchors if low == high == code]
        if words:
            return f"{label} – {words[0]}"
    return label
