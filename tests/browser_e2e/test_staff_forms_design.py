"""A staff form sent wrongly, in real Chromium on a phone and on a desktop: the GOV.UK error summary
is at the top and has the focus, its link takes the focus to the field, and axe-core finds nothing
serious (issue 22, item 7: the staff pages follow the respondent pages' patterns)."""
from __future__ import annotations

import contextlib

import pytest

from tests.browser_e2e.conftest import focus_is_on_error_summary, serious_violations
from tests.browser_e2e.test_staff_pages import sign_in

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800}}


@contextlib.contextmanager
def page_without_javascript(browser, size="phone"):
    """A page in a new context of that size with JavaScript off, closed afterwards."""
    context = browser.new_context(viewport=SIZES[size], java_script_enabled=False)
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_family_import_sent_without_a_file_says_so_at_the_top_and_links_to_the_file(
        app, world, live_server, browser, axe_page, size):
    with page_without_javascript(browser, size) as page:
        sign_in(page, live_server, "practitioner_north@example.org")
        page.goto(f"{live_server}/staff/families/import")
        assert page.locator(".govuk-error-summary").count() == 0
        page.get_by_role("button", name="Check and import").click()
        page.wait_for_load_state("load")

        summary = page.locator(".govuk-error-summary")
        assert summary.count() == 1 and summary.is_visible()
        assert summary.get_attribute("role") == "alert" and "There is a problem" in summary.inner_text()
        # At the top: before the form, and on the first screen without scrolling.
        box = summary.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= SIZES[size]["height"], box
        assert summary.evaluate("(el) => !!(el.compareDocumentPosition(document.querySelector('main form'))"
                                " & Node.DOCUMENT_POSITION_FOLLOWING)")
        assert focus_is_on_error_summary(page)

        # The error beside the field too, and the summary's link takes the focus to the file input.
        assert "Choose the file to import." in page.locator("#file-error").inner_text()
        assert page.locator("#file").get_attribute("aria-describedby").split()[-1] == "file-error"
        link = summary.get_by_role("link", name="Choose the file to import.")
        assert link.get_attribute("href") == "#file"
        link.click()
        page.wait_for_function("document.activeElement && document.activeElement.id === 'file'")
        assert page.evaluate("document.activeElement.type") == "file"

        problems = serious_violations(page, axe_page)
        assert not problems, "\n".join(problems)


def test_the_erase_button_is_a_red_warning_button_with_the_usual_focus(app, world, live_server, browser, axe_page):
    from tests.staff.scene import build_scene

    scene = build_scene(app, world)
    with page_without_javascript(browser, "phone") as page:
        sign_in(page, live_server, "admin@example.org")
        page.goto(f"{live_server}/staff/families/{scene.family}/erase")
        page.get_by_role("button", name="Erase the family").click()  # nothing typed
        page.wait_for_load_state("load")
        assert page.locator(".govuk-error-summary a[href='#case_ref']").count() == 1
        button = page.get_by_role("button", name="Erase the family")
        style = "(el) => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.borderInlineStartWidth]; }"
        assert button.evaluate(style) == ["rgb(176, 0, 32)", "rgb(255, 255, 255)", "2px"]  # not the panel's bar
        button.focus()
        assert button.evaluate(style)[:2] == ["rgb(255, 221, 0)", "rgb(11, 12, 12)"]  # every button's focus
        problems = serious_violations(page, axe_page)
        assert not problems, "\n".join(problems)


def test_a_refused_unit_saving_is_shown_beside_its_box_with_the_typed_words_kept(
        app, world, live_server, browser, axe_page):
    """The cost-benefit page's unit savings: a wrong amount comes back on the same page (no
    redirect, nothing lost), the summary on top and focused, its link taking the focus to the box."""
    with page_without_javascript(browser, "phone") as page:
        sign_in(page, live_server, "manager_north@example.org")
        page.goto(f"{live_server}/staff/reports/cost-benefit?cohort=entry")
        page.fill("#amount-truancy", "about forty thousand")
        page.fill("#source-truancy", "Our finance team, 2026")
        page.locator("form", has=page.locator("#amount-truancy")).get_by_role("button", name="Save").click()
        page.wait_for_load_state("load")

        assert page.url.endswith("/staff/reports/cost-benefit/savings/truancy?cohort=entry")
        summary = page.locator(".govuk-error-summary")
        assert summary.count() == 1 and focus_is_on_error_summary(page)
        assert "not an amount of money" in page.locator("#amount-truancy-error").inner_text()
        assert page.input_value("#amount-truancy") == "about forty thousand"
        assert page.input_value("#source-truancy") == "Our finance team, 2026"
        assert page.locator("input[name=cohort][value=entry]").is_checked()
        summary.get_by_role("link").first.click()
        page.wait_for_function("document.activeElement && document.activeElement.id === 'amount-truancy'")
        problems = serious_violations(page, axe_page)
        assert not problems, "\n".join(problems)
