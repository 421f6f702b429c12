"""A parent answers the follow-up survey on a phone-sized screen, in real headless Chromium.

JavaScript is switched off for the whole run (the pages must not need it), every page is checked
with axe-core, and no request may leave this machine.
"""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from feedback.extensions import db
from feedback.survey.models import Response
from tests.browser_e2e.conftest import serious_violations

pytestmark = pytest.mark.browser


def answer_visible_questions(page) -> None:
    """Answer whatever the page asks: the first choice of each group, something in each box."""
    for fieldset in page.locator("fieldset.question").all():
        choice = fieldset.locator("input[type=radio], input[type=checkbox]").first
        if choice.count():
            page.locator(f"label[for='{choice.get_attribute('id')}']").click()
    for box in page.locator("input[inputmode=numeric]").all():
        box.fill("2")
    for box in page.locator("main input[type=text]:not([inputmode]), main textarea").all():
        box.fill("Things are a bit better.")


def test_a_parent_answers_the_follow_up_on_a_phone(app, live_server, browser_page, axe_page, make_link):
    response_id, token = make_link("follow-up")
    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    problems: list[str] = []

    page.goto(f"{live_server}/s/{token}")
    assert page.locator("h1").inner_text()
    problems += serious_violations(page, axe_page)
    page.get_by_role("link", name="Start").click()

    # One validation error: send the first page empty, see the message, then answer it.
    first_page = page.url
    page.get_by_role("button").filter(has_text="Save and continue").click()
    assert page.locator(".error-summary").is_visible()
    assert page.locator(".error-message").count() >= 1
    problems += serious_violations(page, axe_page)

    visited = 0
    while "/done" not in page.url:
        # Under load the next page may still be arriving after the click: check it once it has.
        page.wait_for_load_state("load")
        problems += serious_violations(page, axe_page)
        answer_visible_questions(page)
        page.locator("main form button[type=submit]").click()
        visited += 1
        if visited == 1:
            # Back once to the first page, where the saved answer is still ticked, then forward.
            page.get_by_role("link", name="Back").click()
            assert page.url == first_page
            assert page.locator("input[type=radio]:checked").count() >= 1
            page.locator("main form button[type=submit]").click()
        assert visited < 30, "the survey never reached the thank-you page"

    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Thank you"
    problems += serious_violations(page, axe_page)
    assert problems == []
    assert {urlparse(url).hostname for url in requests} == {"127.0.0.1"}
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed" and response.mode == "web"
        assert response.answer_values()["outcome_behaviour"] == 1
