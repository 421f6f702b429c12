"""Which screens and questions a respondent sees, given their answers so far. Pure Python.

A *screen* is one page of the survey as the respondent sees it: one question, or a whole page of
the instrument when its file says ``together: true``. Screens follow the instrument's order.

Visibility is worked out in order with only the answers of *visible* items, so a chain of
conditions collapses properly: if A hides B, an old answer to B cannot still show C.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping

from ..instruments import Instrument, Item, Page


@dataclass(frozen=True)
class Screen:
    """One question on a screen of its own, or a ``together`` page with all its questions."""

    page: Page
    items: tuple[Item, ...]
    #: Where the screen is within a response's address: ``q/<item id>`` or ``p/<page id>``.
    address: str
    #: The positions in the instrument of the screen's first and last questions.
    start: int
    end: int

    @property
    def together(self) -> bool:
        """A page of questions (headed by the page's title) rather than one question."""
        return self.address.startswith("p/")

    def visible_items(self, effective: Mapping[str, Any]) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_visible(effective))


_SCREENS: dict[str, tuple[Screen, ...]] = {}


def screens(instrument: Instrument) -> tuple[Screen, ...]:
    """Every screen of the instrument in order, whatever the answers."""
    cached = _SCREENS.get(instrument.content_hash)
    if cached is None:
        if len(_SCREENS) > 256:
            _SCREENS.clear()
        cached = _SCREENS[instrument.content_hash] = _build_screens(instrument)
    return cached


def _build_screens(instrument: Instrument) -> tuple[Screen, ...]:
    result, position = [], 0
    for page in instrument.pages:
        if page.together:
            result.append(Screen(page, page.items, f"p/{page.id}", position, position + len(page.items) - 1))
        else:
            result.extend(Screen(page, (item,), f"q/{item.id}", position + offset, position + offset)
                          for offset, item in enumerate(page.items))
        position += len(page.items)
    return tuple(result)


def screen_at(instrument: Instrument, address: str) -> Screen | None:
    """The screen at ``q/<item id>`` or ``p/<page id>`` (a ``together`` page), or None."""
    return next((screen for screen in screens(instrument) if screen.address == address), None)


def screen_of_item(instrument: Instrument, item_id: str) -> Screen:
    return next(screen for screen in screens(instrument) if any(item.id == item_id for item in screen.items))


def whole_page(instrument: Instrument, page_id: str) -> Screen | None:
    """A page shown as one screen, even one whose questions have screens of their own.

    Only for a page posted whole from a tab opened before questions had screens of their own:
    its answers are still saved rather than lost.
    """
    position = 0
    for page in instrument.pages:
        if page.id == page_id:
            return Screen(page, page.items, f"p/{page.id}", position, position + len(page.items) - 1)
        position += len(page.items)
    return None


# -- visibility ---------------------------------------------------------------------------------
def effective_answers(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of items that are visible; answers left behind by hidden items drop out."""
    effective: dict[str, Any] = {}
    for item in instrument.items:
        if item.is_visible(effective) and item.id in answers:
            effective[item.id] = answers[item.id]
    return effective


def visible_items(instrument: Instrument, page: Page, answers: Mapping[str, Any]) -> tuple[Item, ...]:
    return page.visible_items(effective_answers(instrument, answers))


def visible_pages(instrument: Instrument, answers: Mapping[str, Any]) -> list[Page]:
    effective = effective_answers(instrument, answers)
    return [page for page in instrument.pages if page.visible_items(effective)]


def visible_screens(instrument: Instrument, answers: Mapping[str, Any],
                    effective: Mapping[str, Any] | None = None) -> list[Screen]:
    """``effective``: the answers' ``effective_answers``, when the caller has worked them out."""
    if effective is None:
        effective = effective_answers(instrument, answers)
    return [screen for screen in screens(instrument) if screen.visible_items(effective)]


def next_screen(instrument: Instrument, answers: Mapping[str, Any], current: Screen) -> Screen | None:
    """The next screen the answers show after ``current``; None after the last (time to check)."""
    return next((screen for screen in visible_screens(instrument, answers) if screen.start > current.end), None)


def previous_screen(instrument: Instrument, answers: Mapping[str, Any], current: Screen,
                    effective: Mapping[str, Any] | None = None) -> Screen | None:
    before = [screen for screen in visible_screens(instrument, answers, effective) if screen.end < current.start]
    return before[-1] if before else None


def unanswered_required(instrument: Instrument, answers: Mapping[str, Any]) -> list[tuple[Page, Item]]:
    effective = effective_answers(instrument, answers)
    return [(page, item) for page in instrument.pages for item in page.visible_items(effective)
            if item.required and item.id not in effective]


def resume_screen(instrument: Instrument, answers: Mapping[str, Any]) -> Screen | None:
    """Where someone coming back should land: the screen after the last one they answered.

    None when they had answered the last screen: they were about to check their answers. A
    question skipped on the way stays skipped (the check page lists it, with a link to answer it).
    """
    effective = effective_answers(instrument, answers)
    shown = [screen for screen in screens(instrument) if screen.visible_items(effective)]
    answered = [index for index, screen in enumerate(shown)
                if any(item.id in effective for item in screen.visible_items(effective))]
    if not answered:
        return shown[0] if shown else None
    return shown[answered[-1] + 1] if answered[-1] + 1 < len(shown) else None


def next_opened_screen(instrument: Instrument, answers: Mapping[str, Any], current: Screen) -> Screen | None:
    """After changing an answer from the check page: the next screen with a question the change
    opened (a conditional question now shown and not yet answered); None to go back to checking."""
    effective = effective_answers(instrument, answers)
    for screen in screens(instrument):
        if screen.start > current.end and any(
                item.conditions and item.id not in effective for item in screen.visible_items(effective)):
            return screen
    return None


# -- progress -----------------------------------------------------------------------------------
class Shown(Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"  # depends on a question not reached yet


def shown_from(instrument: Instrument, answers: Mapping[str, Any], current: Screen,
               effective: Mapping[str, Any] | None = None) -> dict[str, Shown]:
    """Whether each item will be asked, seen from the screen ``current``.

    An item whose condition tests a question not reached yet (on this screen or later) may or
    may not be asked; one that tests a question passed without an answer will not be.
    """
    if effective is None:
        effective = effective_answers(instrument, answers)
    positions = {item.id: index for index, item in enumerate(instrument.items)}
    shown: dict[str, Shown] = {}
    for item in instrument.items:
        state = Shown.YES
        for condition in item.conditions:
            target = condition.item_id
            if shown[target] is Shown.NO:
                result = Shown.NO
            elif target in effective:
                result = Shown.YES if condition.holds(effective) else Shown.NO
            elif positions[target] < current.start:
                result = Shown.NO
            else:
                result = Shown.MAYBE
            if result is Shown.NO:
                state = Shown.NO
                break
            if result is Shown.MAYBE:
                state = Shown.MAYBE
        shown[item.id] = state
    return shown


@dataclass(frozen=True)
class Progress:
    """"Question 3 of about 12": where a screen is among the questions the respondent is asked.

    ``number`` (and ``last``, for a screen of several questions) count the questions asked before
    and on this screen, so going forward they only grow, one screen's questions at a time.
    ``total`` also counts every later question that can still apply; a branch that opens was
    already counted, so the total never grows going forward, and shrinks by exactly the questions
    a closed branch removes. ``approximate`` while some of those may yet drop out.
    """

    number: int
    last: int
    total: int
    approximate: bool


def progress(instrument: Instrument, answers: Mapping[str, Any], current: Screen,
             effective: Mapping[str, Any] | None = None) -> Progress:
    shown = shown_from(instrument, answers, current, effective)
    asked_before = here = after = 0
    approximate = False
    for position, item in enumerate(instrument.items):
        state = shown[item.id]
        if state is Shown.NO:
            continue
        if position < current.start:
            asked_before += 1
        elif position <= current.end:
            here += 1
        else:
            after += 1
            approximate = approximate or state is Shown.MAYBE
    return Progress(asked_before + 1, asked_before + here, asked_before + here + after, approximate)
