"""Every report on the demo data, as each member of staff would open it: never a server error."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.reports.catalogue import REPORTS
from feedback.staff.access import REPORTS as REPORT_ROLES
from feedback.staff.models import Site, StaffUser
from tests.conftest import sign_in


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    with app.app_context():
        staff = [(user.email, user.role) for user in db.session.scalars(sa.select(StaffUser))]
        sites = [site.id for site in db.session.scalars(sa.select(Site))]
    return staff, sites, password


def test_follow_up_renders_on_the_demo_data_for_every_role_and_site(app, demo):
    staff, sites, password = demo
    assert {role for _, role in staff} >= {"admin", "manager", "researcher", "practitioner"}
    for email, role in staff:
        client = sign_in(app.test_client(), email, password)
        page = client.get("/staff/reports/follow-up")
        if role not in (*REPORT_ROLES, "admin"):
            assert page.status_code == 403, (email, role)
            continue
        assert page.status_code == 200, (email, role)
        html = page.get_data(as_text=True)
        assert "Did change last?" in html and ("<table" in html or "Not enough data" in html), email
        for site in sites:
            one = client.get(f"/staff/reports/follow-up?sites={site}")
            assert one.status_code == 200, (email, site)
        for fmt in ("csv", "xlsx"):
            assert client.get(f"/staff/reports/follow-up/download/{fmt}").status_code == 200, (email, fmt)


def test_every_report_renders_on_the_demo_data_for_an_admin_at_each_site(app, demo):
    staff, sites, password = demo
    admin = next(email for email, role in staff if role == "admin")
    client = sign_in(app.test_client(), admin, password)
    for name in REPORTS:
        for query in ["", *(f"?sites={site}" for site in sites)]:
            response = client.get(f"/staff/reports/{name}{query}")
            assert response.status_code == 200, (name, query)
