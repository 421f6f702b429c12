"""A key worker's home page (issue 22) in real Chromium on a desktop (1280×800) and a phone
(375×812), without JavaScript: each list with its count, each row's link opening its page; axe-core
finds nothing serious or critical; a manager sees counts only and is refused the rows' pages, and a
key worker of another site gets "not found"."""
from __future__ import annotations

import pytest

from tests.browser_e2e.conftest import serious_violations
from tests.browser_e2e.test_staff_pages import sign_in
from tests.staff.test_key_worker_day import seeded  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
HEADINGS = ("Assessments due (3)", "Telephone interviews due (1)", "Texts that failed in the last 14 days (2)",
            "Families with no consent recorded (2)", "Contact pauses ending (1)")
LISTS = ("assessments", "interviews", "failed-texts", "no-consent", "pauses")


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1280x800", "375x812"])
def pages(request, browser, live_server):
    """A page without JavaScript (what staff use) and one where axe-core runs on a copy of it."""
    context = browser.new_context(java_script_enabled=False, **request.param)
    checker = browser.new_context(bypass_csp=True, **request.param)
    for each in (context, checker):
        each.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page, axe_page = context.new_page(), checker.new_page()
    axe_page.goto(f"{live_server}/")
    yield page, axe_page
    context.close()
    checker.close()


def sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_key_worker_sees_their_day_and_opens_each_rows_page(live_server, seeded, pages):  # noqa: F811
    page, axe_page = pages
    sign_in(page, live_server, "kw_north@example.org")
    page.goto(f"{live_server}/staff/")
    main = page.inner_text("main")
    for heading in HEADINGS:
        assert heading in main, heading
    assert "Gran (other carer)" in main and "S-1" not in main and "S-2" not in main
    problems = serious_violations(page, axe_page)
    assert not problems, "\n".join(problems)
    # JavaScript is off in this page, so measure the layout on axe's copy (same viewport, same CSS).
    assert sideways_scroll(axe_page) <= 0
    links = {name: page.locator(f"#{name} .govuk-summary-list__actions a").first.get_attribute("href")
             for name in LISTS}
    for name, href in links.items():
        response = page.goto(f"{live_server}{href}")
        assert response.status == 200, (name, href)
        problems += serious_violations(page, axe_page) if name in ("no-consent", "failed-texts") else []
    assert not problems, "\n".join(problems)


def test_a_manager_sees_counts_only_and_is_refused_the_rows(live_server, seeded, pages):  # noqa: F811
    page, axe_page = pages
    sign_in(page, live_server, "manager_north@example.org")
    page.goto(f"{live_server}/staff/")
    main = page.inner_text("main")
    assert "At your sites today" in main and "Your tasks" not in main and "N-1" not in main
    problems = serious_violations(page, axe_page)
    assert not problems, "\n".join(problems)
    assert page.goto(f"{live_server}/staff/families/{seeded.family}").status == 403


def test_a_key_worker_of_another_site_finds_nothing(live_server, seeded, pages):  # noqa: F811
    page, _axe_page = pages
    sign_in(page, live_server, "practitioner_south@example.org")
    page.goto(f"{live_server}/staff/")
    main = page.inner_text("main")
    assert "N-1" not in main and "Gran" not in main and "Contact pauses ending (1)" in main
    assert page.goto(f"{live_server}/staff/families/{seeded.family}").status == 404
    assert page.goto(f"{live_server}/staff/invitations/{seeded.failed}").status == 404
