"""Families answer every shipped instrument on a phone, in real headless Chromium (Debian's).

One question per screen, to the end through "Check your answers", in English and in Welsh, on a
375 × 812 phone; every screen must also fit a small 320 × 568 one (the same page laid out again at
that size: with JavaScript off, nothing on it depends on how it was reached, so one walk serves
both). JavaScript is switched off for the whole run (the pages must not need it), every page is
checked with axe-core, and no request may leave this machine.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from feedback.extensions import db
from feedback.instruments import Instrument, Item, load_catalogue
from feedback.survey.models import Response
from tests.browser_e2e.conftest import answer, focus_is_on_error_summary, serious_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted({instrument_id for instrument_id, _version in load_catalogue(ROOT / "questionnaires").instruments})
PHONE = {"width": 375, "height": 812}
#: Every screen is laid out at each of these sizes too (the phone's own last).
WIDTHS = ({"width": 320, "height": 568}, PHONE)

WORDS = {
    "en": {"start": "Start", "back": "Back", "continue": "Save and continue", "send": "Send my answers", "check": "Check your answers",
           "done": "Thank you", "change": "Change", "problem": "There is a problem", "text": "Things are a bit better.",
           "progress": re.compile(r"^Questions? (\d+)(?: to (\d+))? of (about )?(\d+)$")},
    "cy": {"start": "Dechrau", "back": "Yn ôl", "continue": "Cadw a pharhau", "send": "Anfon fy atebion", "check": "Gwiriwch eich atebion",
           "done": "Diolch", "change": "Newid", "problem": "Mae problem", "text": "Mae pethau ychydig yn well.",
           "progress": re.compile(r"^(?:Cwestiwn|Cwestiynau) (\d+)(?: i (\d+))? o (tua )?(\d+)$")},
}


@pytest.fixture
def phone(browser):
    """The respondent's phone, with JavaScript off: the survey must work without it."""
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page = context.new_page()
    yield page
    context.close()


def fits_the_screen(page) -> bool:
    """No sideways scrolling at any of ``WIDTHS``: the page is laid out at each in turn, ending
    at the phone's own size."""
    fits = True
    for size in WIDTHS:
        page.set_viewport_size(size)
        fits = fits and page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    return fits


def items_on(page, instrument: Instrument) -> list[Item]:
    ids = [element.get_attribute("id")[2:] for element in page.locator("main form [id^='q-']").all()]
    return [instrument.item(item_id) for item_id in ids]


@pytest.mark.parametrize("language", sorted(WORDS))
@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_a_family_answers_each_instrument_on_a_phone_one_question_per_screen(
        app, live_server, phone, axe_page, make_link, instrument_id, language):
    from feedback.publishing.startup import current_catalogue

    with app.app_context():
        instrument = current_catalogue().latest(instrument_id)
    response_id, token = make_link(instrument_id)
    words, page = WORDS[language], phone
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    problems: list[str] = []

    def accessibility_problems() -> list[str]:
        return serious_violations(page, axe_page)

    page.goto(f"{live_server}/s/{token}")
    if language == "cy":
        page.locator("form.language-switch button[value=cy]").click()
        assert page.locator("html").get_attribute("lang") == "cy"
    assert page.locator("h1").inner_text() == instrument.title.get(language)
    problems += accessibility_problems()
    page.get_by_role("link", name=words["start"], exact=True).click()

    # A first screen sent empty: a message from the question itself, in a summary that has the focus.
    first = items_on(page, instrument)
    if any(item.required for item in first):
        page.get_by_role("button", name=words["continue"]).click()
        summary = page.locator(".govuk-error-summary")
        assert summary.is_visible() and words["problem"] in summary.inner_text()
        assert focus_is_on_error_summary(page)
        for link in summary.locator("a").all():
            target = link.get_attribute("href")
            assert page.locator(f"main form {target}").count() == 1  # each link names its input
        assert page.locator(".govuk-error-message").count() >= 1
        assert fits_the_screen(page)
        problems += accessibility_problems()

    last_number, asked = 0, 0
    while "/check" not in page.url:
        page.wait_for_load_state("load")
        on_screen = items_on(page, instrument)
        assert len(on_screen) == 1, (page.url, [item.id for item in on_screen])
        [item] = on_screen
        assert page.locator("h1").inner_text().startswith(item.text.get(language))
        progress = words["progress"].match(page.locator(".progress").inner_text().strip())
        assert progress, page.locator(".progress").inner_text()
        number, total = int(progress.group(1)), int(progress.group(4))
        assert number == last_number + 1 and number <= total  # never backwards, never a jump
        last_number = number
        assert page.locator("main form button", has_text=words["send"]).count() == 0
        assert fits_the_screen(page), page.url
        problems += accessibility_problems()
        answer(page, item, WORDS[language]["text"])
        page.get_by_role("button", name=words["continue"]).click()
        asked += 1
        if asked == 1:
            # Back once to the first question, where the answer given is still there, then forward.
            page.get_by_role("link", name=words["back"], exact=True).click()
            if item.type in ("single_choice", "agreement", "scale", "yes_no", "multiple_choice"):
                assert page.locator(f"#f-{item.id}-0").is_checked()
            else:
                assert page.locator("main form input[type=text], main form textarea").first.input_value()
            page.get_by_role("button", name=words["continue"]).click()
        assert asked <= len(instrument.items), "the survey never reached the check page"

    # Check your answers: every question asked, each with a Change link that comes back here.
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith(words["check"])
    assert page.locator(".govuk-summary-list__row").count() == asked
    assert fits_the_screen(page)
    problems += accessibility_problems()
    change = page.locator(".govuk-summary-list__actions a").first
    assert change.inner_text().startswith(words["change"])
    change.click()
    assert page.url.endswith("?from=check")
    page.get_by_role("button", name=words["continue"]).click()
    assert urlparse(page.url).path.endswith("/check")
    page.get_by_role("button", name=words["send"]).click()

    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == words["done"]
    problems += accessibility_problems()
    assert problems == []
    assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed" and response.mode == "web"
        assert language == "en" or response.language == "cy"
        assert len(response.answer_values()) == asked  # every question asked was answered, and kept
