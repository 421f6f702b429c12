"""A family answers in each of the app's languages on a 375 × 812 phone, in real headless Chromium
(issue 20): English, Welsh, Polish, Romanian, Urdu, Arabic, Bengali and Somali.

Each walk chooses the language with the page's own switch, answers every screen of the exit
interview, sends the check page and reaches the thank-you page, with JavaScript off. Every page is
marked with its language; Urdu and Arabic pages are right to left and their layout is mirrored,
read from where things are drawn and from computed styles rather than from screenshots: the back
link and its chevron, radios and the error bars sit on the right. axe-core checks the first
question and the error state in every language.

One app and one browser for the module, so eight walks stay well under two minutes.
"""
from __future__ import annotations


import pytest
from flask_babel import force_locale, gettext

from feedback.extensions import db
from feedback.instruments import Item
from feedback.survey.models import Response
from tests.browser_e2e.conftest import answer, chromium, serious_violations
from tests.conftest import app_under_test

pytestmark = pytest.mark.browser

#: Every language the app ships a catalogue for, English (the source) first.
LANGUAGES = ("en", "cy", "pl", "ro", "ur", "ar", "bn", "so")
RIGHT_TO_LEFT = {"ur", "ar"}
#: Offered in every language (its language files add the six beside English and Welsh).
INSTRUMENT = "exit-interview"
WIDTH = 375
TYPED = "Things are a bit better."
#: The back link's chevron, as computed: rotate(225deg) and rotate(135deg).
POINTS_LEFT = "matrix(-0.707107, -0.707107, 0.707107, -0.707107, 0, 0)"
POINTS_RIGHT = "matrix(-0.707107, 0.707107, -0.707107, -0.707107, 0, 0)"
WORDS = {"continue": "Save and continue", "check": "Check your answers before sending them",
         "done": "Thank you", "problem": "There is a problem"}


@pytest.fixture(scope="module")
def app(schema, database_url, questionnaires_dir):
    """One app for the module's walks (each walk has a link of its own)."""
    with app_under_test(database_url, questionnaires_dir) as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    """Launched once for the module's eight walks."""
    with chromium() as launched:
        yield launched


def words_in(app, language: str) -> dict[str, str]:
    """The interface words a walk looks for, from the shipped catalogue."""
    with app.test_request_context(), force_locale(language):
        return {key: gettext(english) for key, english in WORDS.items()}


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def sides(page, selector: str, pseudo: str = "") -> dict:
    """Computed left and right of an element (or its ::before): border widths and offsets."""
    return page.locator(selector).first.evaluate(
        """(element, pseudo) => { const style = getComputedStyle(element, pseudo || null);
             return {borderLeft: parseFloat(style.borderLeftWidth), borderRight: parseFloat(style.borderRightWidth),
                     left: style.left, right: style.right, transform: style.transform}; }""", pseudo)


def assert_reads_from(page, start: str, item: Item) -> None:
    """The question page is laid out from ``start`` ("left" or "right"): the back link and its
    chevron, each radio before its label, and the progress line."""
    back = box(page, "a.govuk-back-link")
    radio, label = box(page, f"#f-{item.id}-0"), box(page, f"label[for='f-{item.id}-0']")
    chevron = sides(page, "a.govuk-back-link", "::before")
    if start == "right":
        assert back["x"] > WIDTH / 2 and back["x"] + back["width"] > WIDTH - 20, back
        # Drawn from its inline end (now the left border) and turned to point right, the way back.
        assert chevron["right"] == "3px" and chevron["borderLeft"] > 0 == chevron["borderRight"], chevron
        assert chevron["transform"] == POINTS_RIGHT, chevron
        assert radio["x"] > label["x"] and radio["x"] + radio["width"] > WIDTH - 20, (radio, label)
        assert page.locator(".progress bdi").count() >= 2  # the numbers keep their order in the words
    else:
        assert back["x"] < WIDTH / 2, back
        assert chevron["left"] == "3px" and chevron["borderRight"] > 0 == chevron["borderLeft"], chevron
        assert chevron["transform"] == POINTS_LEFT, chevron
        assert radio["x"] < label["x"] and radio["x"] < 20, (radio, label)


def assert_error_bars_on(page, start: str) -> None:
    summary, group = sides(page, ".govuk-error-summary"), sides(page, ".govuk-form-group--error")
    near, far = ("borderRight", "borderLeft") if start == "right" else ("borderLeft", "borderRight")
    assert summary[near] > summary[far], summary
    assert group[near] > 0 and group[far] == 0, group


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_family_answers_in_their_own_language_on_a_phone(app, live_server, browser_page, axe_page, make_link, language):
    from feedback.languages import ui_languages
    from feedback.publishing.startup import current_catalogue

    with app.app_context():
        assert language in ui_languages(), f"translations/{language} has no compiled catalogue"
        instrument = current_catalogue().latest(INSTRUMENT)
        assert language in instrument.languages, f"{INSTRUMENT} has no {language} language file"
    words = words_in(app, language)
    if language != "en":
        assert words["continue"] != WORDS["continue"], f"the {language} catalogue does not translate the pages"
    direction, start = ("rtl", "right") if language in RIGHT_TO_LEFT else ("ltr", "left")
    response_id, token = make_link(INSTRUMENT)
    page, problems = browser_page, []

    page.goto(f"{live_server}/s/{token}")
    if language != "en":
        page.locator(f"form.language-switch button[value={language}]").click()
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    assert page.locator("h1").inner_text() == instrument.title.get(language)
    assert fits_the_screen(page)  # the switch naming seven languages wraps rather than widening the page
    page.locator("a.govuk-button--start").click()

    # The first question, then sent empty: mirrored in Urdu and Arabic, accessible in every language.
    page.wait_for_load_state("load")
    first = instrument.item(page.locator("main form [id^='q-']").first.get_attribute("id")[2:])
    assert page.locator("h1").inner_text().startswith(first.text.get(language))
    assert_reads_from(page, start, first)
    problems += serious_violations(page, axe_page)
    page.locator("main form button[type=submit]").click()
    assert words["problem"] in page.locator(".govuk-error-summary").inner_text()
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    assert_error_bars_on(page, start)
    assert fits_the_screen(page)
    problems += serious_violations(page, axe_page)

    asked = 0
    while "/check" not in page.url:
        page.wait_for_load_state("load")
        assert html.get_attribute("lang") == language
        for question in page.locator("main form [id^='q-']").all():
            answer(page, instrument.item(question.get_attribute("id")[2:]), TYPED)
            asked += 1
        page.locator("main form button[type=submit]").click()
        assert asked <= len(instrument.items), f"never reached the check page: {page.url}"

    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == words["check"]
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    assert page.locator(".govuk-summary-list__row").count() == asked
    if language in RIGHT_TO_LEFT:
        # An answer typed in English keeps its full stop at its end inside right-to-left words.
        assert page.locator(".govuk-summary-list__value bdi", has_text=TYPED).count() >= 1
    page.locator("main form button[type=submit]").click()

    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == words["done"]
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    # A page drawn without a link (a mistyped address) stays in the language this browser chose.
    page.goto(f"{live_server}/s/no-such-link")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    assert problems == []
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed" and response.mode == "web"
        assert response.language in ((language, None) if language == "en" else (language,))
        assert len(response.answer_values()) == asked
