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


def test_risk_change_and_cost_benefit_downloaded_from_the_demo_give_nothing_away_read_together(app, demo):
    """The two reports as a manager downloads them (JSON), attacked side by
    side by tests/reports/attacker.py: each names the other as protected with it."""
    import json

    from feedback.publishing.startup import current_catalogue
    from feedback.reports import cost_benefit, risk_change
    from tests.reports.attacker import attack_risk_and_cost

    _staff, sites, _password = demo
    with app.app_context():
        catalogue = current_catalogue()
        factor = {}
        for who, instrument in (("Families", risk_change.FAMILY_INSTRUMENT), ("Members", risk_change.MEMBER_INSTRUMENT)):
            for item in catalogue.latest(instrument).items:
                factor[(who, item.id)] = item.text.get("en")
        site_codes = [code for (code,) in db.session.execute(sa.select(Site.code))]
    outcomes = {o.label: (who, factor[(who, o.item)], o.who) for o in cost_benefit.OUTCOMES
                for who in ["Families" if o.level == "family" else "Members"]}
    runner = app.test_cli_runner()
    # Every site together (where protecting the two apart gave a child's drug misuse away, 7) and
    # one site alone; the other sites are alike and would only add a minute.
    for choice in [[], ["--site", min(site_codes)]]:
        shown = {}
        for name in ("risk-change", "cost-benefit"):
            result = runner.invoke(args=["report", name, *choice, "--format", "json"])
            assert result.exit_code == 0, result.output
            shown[name] = json.loads(result.stdout)
        assert "Cost and benefit" in shown["risk-change"]["method"] and "Risk factors" in shown["cost-benefit"]["method"]
        attacked = attack_risk_and_cost(shown["risk-change"], shown["cost-benefit"], outcomes, threshold=10)
        assert attacked.examined and not attacked.unknown_tables, (choice, attacked.unknown_tables)
        assert not attacked.disclosed and not attacked.shown_small, (choice, [str(d) for d in attacked.disclosed])
