"""How an instrument's screens will look on a phone: warnings for ``flask instruments check``.

A warning is not a problem: the file is valid and the survey works, but a respondent on a small
phone, often in a hurry, would have a harder time. Each says what to change in the file.
"""
from __future__ import annotations

import re

from .catalogue import Catalogue
from .checks import Problem
from .definition import CHOICE_TYPES, Instrument, Item

#: Radio buttons and checkboxes that fit one phone screen (a 320 × 568 screen shows about eight).
PHONE_SCREEN_OPTIONS = 8

#: "(1 of 3)", "(1 o 3)": a page title counting its pages, which the survey's progress now does.
PAGE_COUNT = re.compile(r"\(\s*\d+\s+(of|o)\s+\d+\s*\)")
#: "It takes about 5 minutes", "tua 5 munud": a duration the welcome page already gives.
DURATION = re.compile(r"\b\d+\s*(minutes?|mins?|munud)\b", re.IGNORECASE)


def options_on_screen(items: tuple[Item, ...]) -> int:
    """The radio buttons and checkboxes a screen of these items shows."""
    count = 0
    for item in items:
        if item.type in CHOICE_TYPES or item.type == "multiple_choice":
            count += len(item.all_choices)
        else:
            count += len(item.missing_codes)  # "Prefer not to say" under a typed answer
    return count


def layout_warnings(instrument: Instrument) -> list[Problem]:
    """What would make the instrument's screens hard to use on a phone, worded for its author."""
    warnings = []
    counted = []
    for page in instrument.pages:
        where = f"page '{page.id}'"
        if page.together and len(page.items) > 1:
            options = options_on_screen(page.items)
            if options > PHONE_SCREEN_OPTIONS:
                warnings.append(Problem(instrument.path, where, (
                    f"together: true puts {options} radio buttons and checkboxes on one screen; more than "
                    f"{PHONE_SCREEN_OPTIONS} do not fit a phone screen. Leave out together (one question per "
                    "screen) or split the page")))
        if page.title and any(PAGE_COUNT.search(text) for text in page.title.by_language.values()):
            counted.append(page.id)
    if counted:
        warnings.append(Problem(instrument.path, "pages " + ", ".join(f"'{page_id}'" for page_id in counted), (
            "titles count the pages, e.g. '(1 of 3)'; the survey shows its own progress "
            "('Question 3 of about 12'), so leave the count out of the titles")))
    if any(DURATION.search(text) for text in instrument.description.by_language.values()):
        warnings.append(Problem(instrument.path, "description", (
            "says how long the survey takes; the first page already says so from estimated_minutes, "
            "so respondents would read it twice. Leave it out of the description")))
    if isinstance(instrument.raw, dict) and "one_question_per_page" in instrument.raw:
        warnings.append(Problem(instrument.path, "one_question_per_page", (
            "is no longer needed: every item is a screen of its own unless its page says together: true")))
    return warnings


def catalogue_warnings(catalogue: Catalogue) -> list[Problem]:
    """Warnings for the latest version of each instrument: the one an author can still change
    (a published version never changes, so warning about it would only be noise)."""
    latest = {instrument.id: instrument for instrument in catalogue}  # in version order: the last wins
    return [warning for instrument in latest.values() for warning in layout_warnings(instrument)]
