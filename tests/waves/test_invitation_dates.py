"""The invitations list's dates are typed as day, month and year (GOV.UK date input); old links with
ISO dates still work, a date with a problem says so beside it, and paging keeps the dates."""
from __future__ import annotations

import html as markup
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.waves.models import Invitation
from tests.staff.scene import build_scene, client_as
from tests.waves.test_invitations_list import count_of, listed


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


def first_due(app, family_id):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.min(Invitation.due_on)).where(Invitation.family_id == family_id))


def boxes(html: str, name: str) -> dict[str, str]:
    return {part: re.search(rf'name="{name}-{part}"[^>]*value="([^"]*)"', html).group(1)
            for part in ("day", "month", "year")}


def test_dates_are_typed_in_three_boxes_and_filter_the_list(app, world, scene):
    client = client_as(app, "practitioner_north")
    html, _everything = listed(client)
    assert 'type="date"' not in html
    assert 'name="from-day"' in html and 'name="to-year"' in html and 'inputmode="numeric"' in html
    first = first_due(app, scene.family)
    query = (f"?date_on=due&from-day={first.day}&from-month={first.month}&from-year={first.year}"
             f"&to-day={first.day}&to-month={first.month}&to-year={first.year}")
    html, found = listed(client, query)
    assert found and len(found) == count_of(app, family_id=scene.family, due_on=first)
    assert boxes(html, "to") == {"day": str(first.day), "month": str(first.month), "year": str(first.year)}


def test_an_old_link_with_iso_dates_still_filters_and_fills_the_boxes(app, world, scene):
    client = client_as(app, "practitioner_north")
    first = first_due(app, scene.family)
    html, found = listed(client, f"?date_on=due&from={first}&to={first}")
    assert len(found) == count_of(app, family_id=scene.family, due_on=first)
    assert boxes(html, "from") == {"day": str(first.day), "month": str(first.month), "year": str(first.year)}


def test_a_to_date_before_the_from_date_is_shown_beside_it_and_left_out(app, world, scene):
    client = client_as(app, "practitioner_north")
    first = first_due(app, scene.family)
    before = first - timedelta(days=1)
    html, found = listed(client, f"?date_on=due&from={first}&to={before}")
    text = markup.unescape(html)
    assert re.search(r'id="to-error"><span class="visually-hidden">Error:</span> '
                     r"The ‘to’ date must be the same as or after the ‘from’ date\.", text)
    assert 'href="#to-day"' in html  # the error summary links to the day box
    assert len(found) == len([i for i in _dues(app, scene.family) if i >= first])  # "from" still applies


def test_a_date_that_is_not_a_date_says_so_and_the_list_is_not_filtered_by_it(app, world, scene):
    client = client_as(app, "practitioner_north")
    _html, everything = listed(client)
    html, found = listed(client, "?from-day=31&from-month=2&from-year=2026")
    assert "The ‘from’ date must be a real date" in markup.unescape(html) and len(found) == len(everything)
    html, found = listed(client, "?to-day=3&to-year=2026")
    assert "The ‘to’ date must include a month" in markup.unescape(html) and len(found) == len(everything)


def test_paging_keeps_the_dates(app, world, scene, monkeypatch):
    monkeypatch.setattr("feedback.waves.views.INVITATIONS_PER_PAGE", 1)
    client = client_as(app, "practitioner_north")
    first = first_due(app, scene.family)
    html, _found = listed(client, f"?from-day={first.day}&from-month={first.month}&from-year={first.year}")
    link = re.search(r'href="(/staff/invitations\?[^"]*page=2[^"]*)"', html).group(1)
    assert f"from={first.isoformat()}" in markup.unescape(link)
    _html, second = listed(client, markup.unescape(link)[len("/staff/invitations"):])
    assert len(second) == 1


def _dues(app, family_id):
    with app.app_context():
        return list(db.session.scalars(sa.select(Invitation.due_on).where(Invitation.family_id == family_id)))
