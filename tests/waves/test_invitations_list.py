"""The invitations list (/staff/invitations): filters, paging, names and titles not codes, and only
the user's sites; who may open it."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation
from tests.staff.scene import build_scene, client_as
from tests.conftest import page_text

TODAY = date.today()


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


def rows(html: str) -> list[str]:
    """Each row of the invitations table, as its text."""
    body = html[html.index('<table class="invitations">'):html.index("</table>")]
    body = body[body.index("<tbody>"):]
    found = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return [] if found == ["No invitations match."] else found


def listed(client, query: str = "") -> tuple[str, list[str]]:
    response = client.get(f"/staff/invitations{query}")
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return html, rows(html)


def count_of(app, **filters) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(Invitation)
        for name, value in filters.items():
            query = query.where(getattr(Invitation, name) == value)
        return db.session.scalar(query)


def test_the_list_shows_names_and_titles_not_codes_and_only_the_users_sites(app, world, scene):
    html, found = listed(client_as(app, "practitioner_north"))
    north = count_of(app, family_id=scene.family)
    assert north and len(found) == north
    assert f"{north} invitations match." in html
    assert all(row.startswith("N-1") for row in found)
    assert "S-1" not in page_text(html) and "South Family Support" not in html
    assert any("Mother (mother)" in row and "How our family gets on" in row and "Start of support" in row
               and "Link by text" in row for row in found)
    table = html[html.index('<table class="invitations">'):html.index("</table>")]
    for code in ("family-functioning", "sms_link", ">entry<", "practitioner-assessment", "staff_task"):
        assert code not in table
    assert f'href="/staff/families/{scene.family}"' in html


def test_the_south_practitioner_and_a_forged_site_filter_never_show_the_other_site(app, world, scene):
    _html, south = listed(client_as(app, "practitioner_south"))
    assert south and all(row.startswith("S-1") for row in south)
    html, north = listed(client_as(app, "practitioner_north"), f"?site={world['south']}")
    assert north and all(row.startswith("N-1") for row in north) and "S-1" not in page_text(html)


def test_an_admin_filters_by_site(app, world, scene):
    html, everyone = listed(client_as(app, "admin"))
    assert {row.split()[0] for row in everyone} == {"N-1", "S-1"}
    assert '<select id="filter-site" name="site">' in html
    _html, south = listed(client_as(app, "admin"), f"?site={world['south']}")
    assert south and all(row.startswith("S-1") for row in south)


def test_each_filter_narrows_the_list(app, world, scene):
    client = client_as(app, "practitioner_north")
    _html, everything = listed(client)

    _html, functioning = listed(client, "?instrument=family-functioning")
    assert functioning and len(functioning) == count_of(app, family_id=scene.family, instrument_id="family-functioning")
    assert all("How our family gets on" in row for row in functioning) and len(functioning) < len(everything)

    _html, entry = listed(client, "?wave=family-support:entry")
    assert entry and all("Start of support" in row for row in entry)
    _html, exit_wave = listed(client, "?wave=family-support:exit")
    assert len(exit_wave) == count_of(app, family_id=scene.family, wave="exit")

    _html, cancelled = listed(client, "?state=cancelled")  # the father's, cancelled by his pause
    assert cancelled and len(cancelled) == count_of(app, family_id=scene.family, state="cancelled")
    assert all("cancelled" in row and "Father (father)" in row for row in cancelled)

    _html, tasks = listed(client, "?channel=staff_task")
    assert tasks and all("Task for the key worker" in row for row in tasks)
    assert len(tasks) == count_of(app, family_id=scene.family, channel="staff_task")

    with app.app_context():
        dues = sorted({i.due_on for i in db.session.scalars(sa.select(Invitation).filter_by(family_id=scene.family))})
    first = dues[0]
    _html, on_first = listed(client, f"?date_on=due&from={first}&to={first}")
    assert on_first and len(on_first) == count_of(app, family_id=scene.family, due_on=first)
    _html, none_yet = listed(client, f"?date_on=sent&from={TODAY - timedelta(days=3)}")
    assert none_yet == []
    with app.app_context():
        db.session.get(Invitation, scene.invitation).sent_at = utcnow()
        db.session.commit()
    _html, sent_today = listed(client, f"?date_on=sent&from={TODAY - timedelta(days=1)}&to={TODAY + timedelta(days=1)}")
    assert len(sent_today) == 1 and "Mother (mother)" in sent_today[0]

    # Two filters together, and values that are not choices are ignored rather than an error.
    _html, both = listed(client, "?instrument=family-functioning&state=cancelled")
    assert len(both) == len([row for row in cancelled if "How our family gets on" in row])
    _html, ignored = listed(client, "?instrument=nope&state=gone&channel=pigeon&wave=x:y&from=soon")
    assert len(ignored) == len(everything)


def test_the_list_is_paged_and_the_pages_keep_the_filters(app, world, scene, monkeypatch):
    monkeypatch.setattr("feedback.waves.views.INVITATIONS_PER_PAGE", 2)
    client = client_as(app, "practitioner_north")
    total = count_of(app, family_id=scene.family)
    assert total > 2
    html, first = listed(client)
    assert len(first) == 2 and f"{total} invitations match." in html
    assert re.search(r'href="/staff/invitations\?page=2"', html)
    _html, second = listed(client, "?page=2")
    assert len(second) == min(2, total - 2) and set(first).isdisjoint(second)
    html, filtered = listed(client, "?channel=sms_link")
    if count_of(app, family_id=scene.family, channel="sms_link") > 2:
        assert re.search(r'href="/staff/invitations\?[^"]*channel=sms_link', html)
        assert re.search(r'href="/staff/invitations\?[^"]*page=2', html)
    _html, beyond = listed(client, "?page=999")
    assert beyond == []


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("manager_north", 403), ("researcher_north", 403),
                                          ("manager_south", 403), ("researcher_south", 403),
                                          ("practitioner_north", 200), ("admin", 200)])
def test_who_may_open_the_list(app, world, scene, role, status):
    response = client_as(app, role).get("/staff/invitations")
    assert response.status_code == status
    if status == 302:
        assert "/staff/login" in response.location
