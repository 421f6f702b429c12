"""The invitations list and “send a survey now”, in real Chromium on a desktop (1280×800) and a
phone (375×812), without JavaScript: a filter applied, a survey sent (the outbox has it) or, in
quiet hours, held with the time it will go; axe-core finds nothing serious or critical."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.waves.models import OutboxMessage
from tests.browser_e2e.conftest import serious_violations
from tests.browser_e2e.test_staff_pages import sign_in
from tests.staff.scene import build_scene
from tests.waves.seeding import sending_moment
from tests.waves.test_dispatcher import london

pytestmark = pytest.mark.browser

NOON = sending_moment(date.today() + timedelta(days=1))
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("device, quiet", [(DESKTOP, False), (PHONE, True)], ids=["desktop-sent", "phone-held"])
def test_filter_the_invitations_and_send_a_survey_now(app, world, live_server, browser, monkeypatch, device, quiet):
    scene = build_scene(app, world)
    moment = london(NOON.date(), 21) if quiet else NOON
    monkeypatch.setattr("feedback.waves.send_now.utcnow", lambda: moment)
    context = browser.new_context(java_script_enabled=False, **device)
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    checker = browser.new_context(bypass_csp=True, **device)
    checker.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page, axe_page = context.new_page(), checker.new_page()
    axe_page.goto(f"{live_server}/")
    problems = []
    try:
        sign_in(page, live_server, "practitioner_north@example.org")
        page.goto(f"{live_server}/staff/invitations")
        problems += serious_violations(page, axe_page)
        page.select_option("#filter-channel", "staff_task")
        page.click("form.invitation-filters button[type=submit]")
        page.wait_for_load_state("load")
        assert "channel=staff_task" in page.url
        cells = page.locator("table.invitations tbody tr").all_inner_texts()
        assert cells and all("Task for the key worker" in row for row in cells), cells
        assert "matches" in page.inner_text("p.invitation-count")
        problems += serious_violations(page, axe_page)

        page.goto(f"{live_server}/staff/families/{scene.family}/members/{scene.mother}/edit")
        page.select_option("form.send-now select[name=instrument]", "follow-up")
        page.check("form.send-now input[name=channel][value=sms_link]")
        problems += serious_violations(page, axe_page)
        page.click("form.send-now button[type=submit]")
        page.wait_for_load_state("load")
        result = page.inner_text("main")
        if quiet:
            assert "It is quiet hours: it will send at 09:00 on" in result, result
        else:
            assert "How are things now? was sent to Mother (mother)" in result, result
        problems += serious_violations(page, axe_page)
    finally:
        context.close()
        checker.close()
    with app.app_context():
        texts = db.session.scalars(sa.select(OutboxMessage)).all()
    assert len(texts) == (0 if quiet else 1)
    assert not problems, "\n".join(problems)
