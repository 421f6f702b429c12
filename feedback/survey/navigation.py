"""Which pages and items a respondent sees, given their answers so far. Pure Python.

Visibility is worked out in page order with only the answers of *visible* items, so a chain of
conditions collapses properly: if A hides B, an old answer to B cannot still show C.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..instruments import Instrument, Item, Page


def effective_answers(instrument: Instrument, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of items that are visible; answers left behind by hidden items drop out."""
    effective: dict[str, Any] = {}
    for page in instrument.pages:
        for item in page.items:
            if item.is_visible(effective) and item.id in answers:
                effective[item.id] = answers[item.id]
    return effective


def visible_items(instrument: Instrument, page: Page, answers: Mapping[str, Any]) -> tuple[Item, ...]:
    return page.visible_items(effective_answers(instrument, answers))


def visible_pages(instrument: Instrument, answers: Mapping[str, Any]) -> list[Page]:
    effective = effective_answers(instrument, answers)
    return [page for page in instrument.pages if page.visible_items(effective)]


def next_page(instrument: Instrument, answers: Mapping[str, Any], page_id: str) -> Page | None:
    pages = visible_pages(instrument, answers)
    after = [page for page in pages if instrument.page_index(page.id) > instrument.page_index(page_id)]
    return after[0] if after else None


def unanswered_required(instrument: Instrument, answers: Mapping[str, Any]) -> list[tuple[Page, Item]]:
    effective = effective_answers(instrument, answers)
    return [(page, item) for page in instrument.pages for item in page.visible_items(effective)
            if item.required and item.id not in effective]


def resume_page(instrument: Instrument, answers: Mapping[str, Any]) -> Page:
    """Where someone coming back should land: the first page with a visible unanswered item."""
    effective = effective_answers(instrument, answers)
    pages = visible_pages(instrument, answers)
    for page in pages:
        if any(item.id not in effective for item in page.visible_items(effective)):
            return page
    return pages[-1]
