"""A family's status is derived from its dates (and its follow-up invitations), not kept by hand."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.status import (FAMILY_STATUSES, FINAL_STATES, family_status, follow_up_complete,
                                      follow_up_waves, statuses_for)
from feedback.staff.words import FAMILY_STATUS_LABELS
from feedback.waves.models import OPEN_STATES, STATES, Invitation
from tests.families.helpers import family_with_members
from tests.staff.scene import client_as

TODAY = date(2026, 6, 15)
DAY = timedelta(days=1)


@pytest.mark.parametrize("dates, expected", [
    (dict(entry_date=None, exit_date=None), "referred"),
    (dict(entry_date=None, exit_date=None, referral_date=TODAY - 30 * DAY), "referred"),
    (dict(entry_date=TODAY + DAY, exit_date=None, referral_date=TODAY - DAY), "referred"),  # starts tomorrow
    (dict(entry_date=TODAY, exit_date=None), "in_support"),  # starts today
    (dict(entry_date=TODAY - 100 * DAY, exit_date=None), "in_support"),
    (dict(entry_date=TODAY - 100 * DAY, exit_date=TODAY + DAY), "in_support"),  # ends tomorrow
    (dict(entry_date=TODAY - 100 * DAY, exit_date=TODAY), "support_ended"),  # ends today
    (dict(entry_date=TODAY - 300 * DAY, exit_date=TODAY - 200 * DAY), "support_ended"),
    (dict(entry_date=None, exit_date=TODAY - DAY), "support_ended"),  # an exit date alone still ended
])
def test_each_status_from_the_dates(dates, expected):
    assert family_status(today=TODAY, **dates) == expected


def test_follow_up_complete_needs_support_to_have_ended():
    ended = dict(entry_date=TODAY - 300 * DAY, exit_date=TODAY - 200 * DAY, today=TODAY)
    assert family_status(**ended, follow_up_complete=True) == "follow_up_complete"
    assert family_status(**ended, follow_up_complete=False) == "support_ended"
    assert family_status(entry_date=TODAY - DAY, exit_date=TODAY + DAY, today=TODAY,
                         follow_up_complete=True) == "in_support"
    assert family_status(entry_date=TODAY - DAY, exit_date=TODAY, today=TODAY,
                         follow_up_complete=True) == "follow_up_complete"


@pytest.mark.parametrize("follow_up", [False, True])
def test_a_closed_case_is_closed_whatever_its_dates(follow_up):
    for entry, exit_ in ((None, None), (TODAY - DAY, None), (TODAY - 9 * DAY, TODAY - DAY)):
        assert family_status(entry_date=entry, exit_date=exit_, today=TODAY, closed=True,
                             follow_up_complete=follow_up) == "closed"


def test_follow_up_is_complete_only_when_every_follow_up_invitation_is_final():
    assert FINAL_STATES == set(STATES) - set(OPEN_STATES)
    assert follow_up_complete([]) is False  # nothing planned: nothing to complete
    for final in FINAL_STATES:
        assert follow_up_complete([final])
        assert follow_up_complete(["completed", final])
    for waiting in OPEN_STATES:
        assert not follow_up_complete(["completed", waiting])


def test_every_status_has_words():
    assert set(FAMILY_STATUSES) <= set(FAMILY_STATUS_LABELS)


def test_the_follow_up_waves_are_those_after_the_exit(app):
    with app.app_context():
        waves = follow_up_waves(app.extensions["feedback.schedules"])
    assert waves and all(wave.startswith("exit-") for _schedule, wave in waves)


def _statuses_shown(page: str, css: str = "family-status") -> list[str]:
    return [html.unescape(cell).strip() for cell in re.findall(rf'class="{css}">(.*?)</', page, re.S)]


def test_the_list_and_the_family_page_show_the_derived_status(app, world):
    today = date.today()
    with app.app_context():
        ended, _ = family_with_members(world["north"], world["kw_north"], "ENDED", entry=today - timedelta(days=400),
                                       exit_=today - timedelta(days=200))
        referred, _ = family_with_members(world["north"], world["kw_north"], "REFERRED", entry=None)
        in_support, _ = family_with_members(world["north"], world["kw_north"], "IN", entry=today - timedelta(days=3))
        closed, _ = family_with_members(world["north"], world["kw_north"], "SHUT", entry=today - timedelta(days=3))
        db.session.get(Family, closed.id).status = "closed"
        db.session.commit()
        ids = {"ENDED": ended.id, "REFERRED": referred.id, "IN": in_support.id, "SHUT": closed.id}
        assert db.session.get(Family, ended.id).status == "open"  # the stored column is kept as it was
        follow_ups = db.session.scalars(sa.select(Invitation).where(Invitation.family_id == ended.id)).all()
        waves = follow_up_waves(app.extensions["feedback.schedules"])
        pending = [i for i in follow_ups if (i.schedule_id, i.wave) in waves]
        families = db.session.scalars(sa.select(Family).where(Family.id.in_(ids.values()))).all()
        statuses = statuses_for(families, today)
    assert statuses[ids["REFERRED"]] == "referred" and statuses[ids["IN"]] == "in_support"
    assert statuses[ids["SHUT"]] == "closed"
    assert pending and statuses[ids["ENDED"]] == "support_ended"  # follow-ups still planned

    client = client_as(app, "admin")
    listing = client.get("/staff/families").get_data(as_text=True)
    rows = dict(re.findall(r'>([A-Z]+)</a></td>.*?class="family-status">(.*?)</td>', listing, re.S))
    assert rows == {"ENDED": "Support ended", "REFERRED": "Referred", "IN": "In support", "SHUT": "Closed"}
    detail = client.get(f"/staff/families/{ids['ENDED']}").get_data(as_text=True)
    assert _statuses_shown(detail) == ["Support ended"]
    assert "Open" not in _statuses_shown(listing)

    # Every follow-up invitation finished (answered, expired or cancelled): follow-up complete.
    with app.app_context():
        first, *rest = [i.id for i in pending]
        db.session.execute(sa.update(Invitation).where(Invitation.id.in_(rest)).values(state="completed"))
        db.session.commit()
    detail = client.get(f"/staff/families/{ids['ENDED']}").get_data(as_text=True)
    assert _statuses_shown(detail) == ["Support ended"]  # one follow-up still planned
    with app.app_context():
        db.session.execute(sa.update(Invitation).where(Invitation.id == first).values(state="expired"))
        db.session.commit()
    detail = client.get(f"/staff/families/{ids['ENDED']}").get_data(as_text=True)
    assert _statuses_shown(detail) == ["Follow-up complete"]
