"""A contact pause with an end date (issue 22): "Pause until" on the pause form, shown on the family's
page, and lifted by the dispatcher's next pass after its last day, exactly as a manual lift would."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import ContactPause, Family, Member
from feedback.families.service import end_due_pauses, lift_pause, local_today, pause_contact
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.families.helpers import family_with_members
from tests.families.test_views import post_form, question_with, typed
from tests.staff.scene import ENTRY, client_as, snapshot


def pauses_of(app, family_id):
    with app.app_context():
        return db.session.scalars(sa.select(ContactPause).filter_by(family_id=family_id)
                                  .order_by(ContactPause.id)).all()


def test_a_pause_until_a_date_is_stored_and_shown_on_the_family_page(app, scene, practitioner):
    until = local_today() + timedelta(days=30)
    result = post_form(practitioner, f"/staff/families/{scene.family}/pause", member_id=scene.mother,
                       reason="", **typed("ends_on", until))
    assert result.status_code == 302
    newest = pauses_of(app, scene.family)[-1]
    assert (newest.member_id, newest.ends_on, newest.lifted_at) == (scene.mother, until, None)
    page = practitioner.get(result.location).get_data(as_text=True)
    assert f"Paused until {until.day} {until.strftime('%B')} {until.year}" in page
    assert "Paused until lifted" in page  # the father's pause, from the scene, has no end
    with app.app_context():
        started = db.session.scalars(sa.select(AuditEvent).filter_by(action="pause.started")
                                     .order_by(AuditEvent.id.desc())).first()
        assert started.detail == {"member_id": scene.mother, "ends_on": until.isoformat()}


def test_the_form_says_how_to_pause_until_someone_lifts_it(app, scene, practitioner):
    html = practitioner.get(f"/staff/families/{scene.family}/pause").get_data(as_text=True)
    assert "Pause until" in html and "Leave blank to pause until someone lifts it." in html
    assert 'name="ends_on-day"' in html and 'name="ends_on-year"' in html


def test_a_pause_left_without_an_end_lasts_until_lifted(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/pause", member_id=scene.mother, reason="x")
    assert result.status_code == 302
    assert pauses_of(app, scene.family)[-1].ends_on is None


@pytest.mark.parametrize("boxes, message", [
    (lambda: typed("ends_on", local_today() - timedelta(days=1)),
     "The date the pause ends must be today or later. Leave it blank to pause until someone lifts it."),
    (lambda: {"ends_on-day": "31", "ends_on-month": "2", "ends_on-year": "2027"},
     "The date the pause ends must be a real date"),
    (lambda: {"ends_on-day": "1", "ends_on-month": "3", "ends_on-year": ""},
     "The date the pause ends must include a year"),
])
def test_a_past_or_wrong_end_date_is_refused_next_to_the_field_and_nothing_is_saved(app, scene, practitioner,
                                                                                     boxes, message):
    with app.app_context():
        before = snapshot()
    result = post_form(practitioner, f"/staff/families/{scene.family}/pause", member_id=scene.mother,
                       reason="Private", **boxes())
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert message in question_with(html, "ends_on-day")
    assert 'href="#ends_on-day"' in html  # the error summary links to the date
    with app.app_context():
        assert snapshot() == before


def test_a_pause_may_end_today(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/pause", member_id=scene.mother,
                       **typed("ends_on", local_today()))
    assert result.status_code == 302
    assert pauses_of(app, scene.family)[-1].ends_on == local_today()


def test_another_sites_key_worker_can_neither_see_nor_pause_the_family(app, scene):
    south = client_as(app, "practitioner_south")
    assert south.get(f"/staff/families/{scene.family}").status_code == 404
    assert south.get(f"/staff/families/{scene.family}/pause").status_code == 404
    with app.app_context():
        before = snapshot()
    token_page = south.get(f"/staff/families/{scene.south_family}/pause").get_data(as_text=True)
    from tests.conftest import csrf_token

    refused = south.post(f"/staff/families/{scene.family}/pause", data={
        "csrf_token": csrf_token(token_page), "member_id": scene.mother,
        **typed("ends_on", local_today() + timedelta(days=3))})
    assert refused.status_code == 404
    with app.app_context():
        assert snapshot() == before


def father_states(family_id: int) -> set:
    father = db.session.scalar(sa.select(Member.id).filter_by(family_id=family_id, role="father"))
    return {(i.schedule_id, i.wave, i.instrument_id, i.channel, i.due_on, i.state, i.reason)
            for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=father))}


def paused_family(world, case_ref: str, ends_on: date | None) -> tuple[int, int]:
    """A north family whose father is paused (until ``ends_on``); (family id, pause id)."""
    family, (_mother, father) = family_with_members(world["north"], world["kw_north"], case_ref, entry=ENTRY,
                                                    members=(("mother", 1988, 3), ("father", 1985, 7)))
    pause = pause_contact(family, father, "", world["kw_north"], ends_on=ends_on)
    db.session.commit()
    return family.id, pause.id


def test_a_pass_lifts_a_pause_that_ended_yesterday_as_a_manual_lift_would(app, ctx, world):
    today = local_today()
    ended, ended_pause = paused_family(world, "N-21", today - timedelta(days=1))
    lifted, lifted_pause = paused_family(world, "N-22", None)
    assert {state for *_rest, state, _reason in father_states(ended)} == {"cancelled"}
    lift_pause(db.session.get(ContactPause, lifted_pause), world["kw_north"])
    db.session.commit()

    dispatch_once(OutboxBackend())

    db.session.expire_all()
    pause = db.session.get(ContactPause, ended_pause)
    assert pause.lifted_at is not None and pause.lifted_by_id is None
    assert father_states(ended) == father_states(lifted)
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="pause.ended")).all()
    assert (event.subject_type, event.subject_id, event.actor_id) == ("families", ended, None)
    assert event.detail == {"member_id": pause.member_id, "ends_on": (today - timedelta(days=1)).isoformat()}
    assert db.session.get(Family, ended).active_pauses() == []


def test_a_pause_ending_today_is_still_in_force_and_one_without_an_end_is_never_lifted(app, ctx, world):
    today = local_today()
    ending, ending_pause = paused_family(world, "N-23", today)
    open_ended, open_pause = paused_family(world, "N-24", None)
    dispatch_once(OutboxBackend())
    assert end_due_pauses(today + timedelta(days=3650)) == 1  # long after: only the dated one ends
    db.session.rollback()
    db.session.expire_all()
    for family_id, pause_id in ((ending, ending_pause), (open_ended, open_pause)):
        assert db.session.get(ContactPause, pause_id).lifted_at is None
        assert {state for *_rest, state, _reason in father_states(family_id)} == {"cancelled"}
    assert db.session.scalars(sa.select(AuditEvent).filter_by(action="pause.ended")).all() == []


def test_ending_due_pauses_lifts_each_once(app, ctx, world):
    yesterday = local_today() - timedelta(days=1)
    paused_family(world, "N-25", yesterday)
    assert end_due_pauses(local_today()) == 1
    db.session.commit()
    assert end_due_pauses(local_today()) == 0
    assert len(db.session.scalars(sa.select(AuditEvent).filter_by(action="pause.ended")).all()) == 1


def test_the_service_day_is_the_uk_day():
    from datetime import datetime

    # 23:30 UTC on 30 June is already 1 July in London (summer time); in winter UTC is London's time.
    assert local_today(datetime(2026, 6, 30, 23, 30)) == date(2026, 7, 1)
    assert local_today(datetime(2026, 12, 30, 23, 30)) == date(2026, 12, 30)
