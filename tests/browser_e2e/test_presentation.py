"""How family pages look on small screens, in real headless Chromium: every kind of page a family
meets passes axe-core with no violation of any impact, nothing scrolls sideways, the Start
button shows without scrolling, and radios and checkboxes are drawn as GOV.UK draws them.

Three screens: a 375×812 phone, a 320×568 phone, and the 375×812 phone zoomed to 200%, which
lays pages out in 188×406 CSS pixels, exactly as the browser's zoom does. Scripts are on here
only so that axe can run on the real page; the pages themselves have none.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.survey.models import Response
from feedback.timeutil import utcnow

pytestmark = pytest.mark.browser

SCREENS = {
    "375x812": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2},
    "320x568": {"viewport": {"width": 320, "height": 568}, "device_scale_factor": 2},
    "375x812 at 200%": {"viewport": {"width": 188, "height": 406}, "device_scale_factor": 4},
}
FOCUS_YELLOW = "rgb(255, 221, 0)"


@pytest.fixture(params=list(SCREENS))
def screen(request, browser):
    context = browser.new_context(bypass_csp=True, is_mobile=True, has_touch=True, **SCREENS[request.param])
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page = context.new_page()
    page.screen_name = request.param
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(bypass_csp=True, is_mobile=True, has_touch=True, **SCREENS["375x812"])
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    yield context.new_page()
    context.close()


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            f"{[node['target'] for node in violation['nodes']][:3]}" for violation in results.response["violations"]]


def sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def answer(page) -> None:
    """The first answer offered to every question on the page (never a "Prefer not to say":
    those have negative codes), and something in every box."""
    form = page.locator("main form")
    for group in form.locator("fieldset").all():
        choice = group.locator("input[type=radio]:not([value^='-']), input[type=checkbox]").first
        if choice.count() and not group.locator("input:checked").count():
            page.locator(f"label[for='{choice.get_attribute('id')}']").click()
    for box in form.locator("input[type=text], input:not([type]), textarea").all():
        name = box.get_attribute("name") or ""
        value = {"day": "3", "month": "4", "year": "2021"}.get(name.rsplit("-", 1)[-1])
        if value is None:
            value = "2" if box.get_attribute("inputmode") else "Things are a bit better."
        box.fill(value)


def submit(page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def expire(app, response_id) -> None:
    with app.app_context():
        db.session.execute(sa.update(Response).where(Response.id == response_id)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()


def test_every_kind_of_family_page_passes_axe_and_never_scrolls_sideways(app, live_server, screen, make_link):
    """Welcome, a question, a question with errors, check your answers, thank you, already
    answered, expired and not found: at each screen size."""
    page = screen
    problems: list[str] = []
    seen: set[str] = set()

    def check(kind: str) -> None:
        page.wait_for_load_state("load")
        seen.add(kind)
        problems.extend(f"{page.screen_name} {kind} {page.url.rsplit('/', 1)[-1]}: {problem}"
                        for problem in violations(page))
        overflow = sideways_scroll(page)
        if overflow > 0:
            problems.append(f"{page.screen_name} {kind}: scrolls {overflow} px sideways")

    response_id, token = make_link("exit-interview")
    page.goto(f"{live_server}/s/{token}")
    check("welcome")
    with page.expect_navigation():
        page.locator("main a.button, main .govuk-button").first.click()
    check("question")
    submit(page)  # nothing chosen
    assert page.locator(".error-summary, .govuk-error-summary").count() == 1
    check("error")
    for _ in range(40):
        if "/done" in page.url:
            break
        answer(page)
        submit(page)
        check("check" if "/check" in page.url else "done" if "/done" in page.url else "question")
    assert "/done" in page.url, "the survey never reached its thank-you page"
    page.goto(f"{live_server}/s/{token}")
    check("closed")
    expired_id, expired_token = make_link("exit-interview")
    expire(app, expired_id)
    page.goto(f"{live_server}/s/{expired_token}")
    check("expired")
    page.goto(f"{live_server}/no-such-page")
    check("404")

    assert {"welcome", "question", "error", "check", "done", "closed", "expired", "404"} <= seen
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("size", ["375x812", "320x568"])
@pytest.mark.parametrize("language, label", [("en", "Start"), ("cy", "Dechrau")])
def test_start_shows_without_scrolling_on_a_phone_in_each_language(live_server, browser, make_link, size, language,
                                                                   label):
    context = browser.new_context(is_mobile=True, has_touch=True, **SCREENS[size])
    page = context.new_page()
    _, token = make_link("exit-interview")
    page.goto(f"{live_server}/s/{token}")
    if language != "en":
        page.locator(f"button[lang={language}]").click()
        page.wait_for_load_state("load")
    start = page.get_by_role("link", name=label).bounding_box()
    height = SCREENS[size]["viewport"]["height"]
    context.close()
    assert start["y"] >= 0 and start["y"] + start["height"] <= height, \
        f"{label} is at {start['y']}–{start['y'] + start['height']} px of {height}"


def test_radios_and_checkboxes_are_40px_with_a_thick_border_and_a_clear_focus_ring(live_server, phone, make_link):
    _, token = make_link("household")
    phone.goto(f"{live_server}/s/{token}/start")
    kinds: set[str] = set()
    for _ in range(20):
        phone.wait_for_load_state("load")
        for control in phone.locator("main input[type=radio], main input[type=checkbox]").all():
            kind = control.get_attribute("type")
            if kind in kinds:
                continue
            kinds.add(kind)
            box = control.bounding_box()
            assert box["width"] >= 40 and box["height"] >= 40, f"a {kind} is {box['width']}×{box['height']} px"
            assert control.evaluate("el => getComputedStyle(el).borderTopWidth") == "2px"
            control.focus()
            focused = control.evaluate("el => [getComputedStyle(el).borderTopWidth, getComputedStyle(el).boxShadow]")
            assert focused[0] == "4px" and FOCUS_YELLOW in focused[1], f"a focused {kind}: {focused}"
        if kinds == {"radio", "checkbox"} or "/done" in phone.url:
            break
        answer(phone)
        submit(phone)
    assert kinds == {"radio", "checkbox"}


def test_every_choice_has_its_own_line_on_a_phone_so_no_value_wraps_alone(live_server, make_link, browser):
    """At 320 px each group's choices, a scale's numbers too, stand one above another, the label
    beside its control."""
    context = browser.new_context(is_mobile=True, has_touch=True, **SCREENS["320x568"])
    page = context.new_page()
    _, token = make_link("exit-interview")
    page.goto(f"{live_server}/s/{token}/start")
    groups = 0
    for _ in range(40):
        page.wait_for_load_state("load")
        if "/done" in page.url:
            break
        for group in page.locator("main fieldset").all():
            controls = group.locator("input[type=radio], input[type=checkbox]").all()
            if not controls:
                continue
            groups += 1
            boxes = [control.bounding_box() for control in controls]
            assert len({round(box["x"]) for box in boxes}) == 1, "choices side by side on a phone"
            for control, box in zip(controls, boxes):
                label = page.locator(f"label[for='{control.get_attribute('id')}']").bounding_box()
                assert label["x"] > box["x"] + box["width"] - 1 and label["y"] < box["y"] + box["height"], \
                    "a label is not beside its control"
        answer(page)
        submit(page)
    context.close()
    assert groups >= 5
