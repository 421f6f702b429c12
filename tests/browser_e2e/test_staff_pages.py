"""Staff pages a manager or researcher opens on a phone: reports (with a chart and hidden small
numbers), datasets and imports — working without JavaScript and passing axe-core."""
from __future__ import annotations

import pytest

from tests.browser_e2e.conftest import serious_violations
from tests.conftest import PASSWORD
from tests.reports.seeding import north_need_flow

pytestmark = pytest.mark.browser


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/staff/login" not in page.url, page.content()[:500]


def test_reports_datasets_and_imports_pass_axe_on_a_phone(app, world, live_server, browser_page, axe_page):
    with app.app_context():
        north_need_flow(world)
    page = browser_page
    problems = []
    sign_in(page, live_server, "researcher_north@example.org")
    for path in ("/staff/reports", "/staff/reports/need-flow", "/staff/reports/cost-benefit", "/staff/exports",
                 "/staff/imports"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        problems += serious_violations(page, axe_page)
    # The filter works without JavaScript: a GET form.
    page.goto(f"{live_server}/staff/reports/need-flow")
    page.fill("input[name=start-day]", "1")
    page.fill("input[name=start-month]", "1")
    page.fill("input[name=start-year]", "2026")
    page.click("form.report-filters button[type=submit]")
    page.wait_for_load_state("load")
    assert "start-day=1&start-month=1&start-year=2026" in page.url
    # The north manager's need-flow chart would be all hidden: a sentence says so instead.
    assert page.locator("svg[role=img]").count() == 0 and "<10" in page.inner_text("main")
    assert "too small to show as a chart" in page.locator("p.chart-too-small").inner_text()
    problems += serious_violations(page, axe_page)
    assert not problems, "\n".join(problems)
