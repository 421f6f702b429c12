"""The dispatcher sends each due text once, and never to someone who must not be contacted."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Consent, ContactPause, Family, Member
from feedback.survey.models import Response
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import _bulk_move, _claim, dispatch_once
from feedback.waves.models import Invitation, OutboxMessage
from tests.conftest import table_count
from tests.waves.seeding import sending_moment

TODAY = date.today()
LONDON, UTC = ZoneInfo("Europe/London"), ZoneInfo("UTC")


def london(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)


def texts_to(member) -> list[OutboxMessage]:
    return [m for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)) if m.to_number == member.phone]


def member_invitations(member, wave="exit"):
    return db.session.scalars(sa.select(Invitation).filter_by(member_id=member.id, wave=wave)).all()


def test_due_texts_go_once_with_a_working_link(exited, client):
    family, (mother, father) = exited
    now = sending_moment(TODAY)
    result = dispatch_once(OutboxBackend(), now=now)
    assert result.sent == 4  # exit-interview and family-functioning, to each parent
    assert len(texts_to(mother)) == 2 and len(texts_to(father)) == 2
    again = dispatch_once(OutboxBackend(), now=now + timedelta(minutes=5))
    assert again.sent == 0 and table_count(OutboxMessage) == 4
    invitation = member_invitations(mother)[0]
    assert invitation.state == "sent" and invitation.response_id
    body = db.session.scalar(sa.select(OutboxMessage).filter_by(invitation_id=invitation.id)).body
    assert "Northbridge" not in body and family.case_ref not in body  # neutral: no service, no family details
    token = re.search(r"/s/([A-Za-z0-9_-]+)", body).group(1)
    assert client.get(f"/s/{token}").status_code == 200
    db.session.expire_all()
    assert invitation.state == "opened"


def test_the_key_workers_assessment_becomes_their_task(exited, world):
    dispatch_once(OutboxBackend(), now=sending_moment(TODAY))
    task = db.session.scalar(sa.select(Invitation).filter_by(recipient_key="key_worker", wave="exit"))
    assert task.channel == "staff_task" and task.staff_id == world["kw_north"]
    assert task.state == "due" and task.response_id
    assert db.session.get(Response, task.response_id).mode == "staff"


def test_nothing_goes_before_the_window_opens(exited):
    family, (mother, _father) = exited
    follow_up = member_invitations(mother, "exit-3m")[0]
    dispatch_once(OutboxBackend(), now=follow_up.opens_at - timedelta(hours=1))
    assert follow_up.state == "planned"
    assert not db.session.scalar(sa.select(OutboxMessage).filter_by(invitation_id=follow_up.id))


@pytest.mark.parametrize("moment", ["evening", "early morning", "sunday"])
def test_nothing_goes_in_quiet_hours(exited, moment):
    day = sending_moment(TODAY).date()
    if moment == "sunday":
        day += timedelta(days=(6 - day.weekday()) % 7)
        now = london(day, 12)
    else:
        now = london(day, 21 if moment == "evening" else 7)
    result = dispatch_once(OutboxBackend(), now=now)
    assert result.sent == 0 and table_count(OutboxMessage) == 0
    assert result.deferred == 4
    invitation = member_invitations(exited[1][0])[0]
    assert LONDON.key and invitation.next_send_at.replace(tzinfo=UTC).astimezone(LONDON).time() == time(9, 0)


def _withdraw(member, purpose):
    db.session.add(Consent(member_id=member.id, purpose=purpose, party="self", given=False, text_version="v1",
                           recorded_at=datetime(2099, 1, 1)))


BLOCKERS = {
    # Each changes the facts directly, without re-planning, to prove the check just before sending.
    "no_consent": lambda family, member: _withdraw(member, "participation"),
    "no_sms_consent": lambda family, member: _withdraw(member, "sms"),
    "paused": lambda family, member: db.session.add(ContactPause(family_id=family.id, member_id=member.id)),
    "opted_out": lambda family, member: setattr(member, "opted_out_at", datetime(2026, 1, 1)),
    "no_phone": lambda family, member: setattr(member, "phone", None),
    "phone_invalid": lambda family, member: setattr(member, "phone_invalid", True),
    "family_closed": lambda family, member: setattr(family, "status", "closed"),
}


@pytest.mark.parametrize("reason", sorted(BLOCKERS))
def test_every_contact_rule_is_checked_just_before_sending(exited, reason):
    family, (mother, father) = exited
    phone = mother.phone
    BLOCKERS[reason](family, mother)
    db.session.commit()
    result = dispatch_once(OutboxBackend(), now=sending_moment(TODAY))
    assert not [m for m in db.session.scalars(sa.select(OutboxMessage)) if m.to_number == phone]
    assert {(i.state, i.reason) for i in member_invitations(mother)} == {("cancelled", reason)}
    assert result.reasons[reason] == (4 if reason == "family_closed" else 2)
    if reason != "family_closed":
        assert len(texts_to(father)) == 2  # the rest of the family is unaffected


def test_a_whole_family_pause_stops_every_text(exited):
    family, members = exited
    db.session.add(ContactPause(family_id=family.id, member_id=None, reason="safety"))
    db.session.commit()
    dispatch_once(OutboxBackend(), now=sending_moment(TODAY))
    assert table_count(OutboxMessage) == 0


def test_an_invitation_whose_window_closed_expires_unsent(exited):
    family, (mother, _father) = exited
    invitation = member_invitations(mother)[0]
    result = dispatch_once(OutboxBackend(), now=invitation.closes_at + timedelta(minutes=1))
    assert invitation.state == "expired" and result.expired >= 4
    assert table_count(OutboxMessage) == 0


def test_reminders_follow_after_3_and_7_days_at_most_two_and_stop_once_completed(exited):
    family, (mother, father) = exited
    first = sending_moment(TODAY)
    dispatch_once(OutboxBackend(), now=first)
    invitation = member_invitations(mother)[0]
    other = member_invitations(father)[0]
    db.session.execute(sa.update(Invitation).where(Invitation.id == other.id).values(state="completed"))
    db.session.commit()
    assert invitation.next_send_at >= first + timedelta(days=3)
    for days in (3, 7, 10, 14):
        dispatch_once(OutboxBackend(), now=sending_moment((first + timedelta(days=days)).date()))
    kinds = [m.kind for m in db.session.scalars(sa.select(OutboxMessage).filter_by(invitation_id=invitation.id)
                                                .order_by(OutboxMessage.id))]
    assert kinds == ["invitation", "reminder", "reminder"]
    assert "reminder" in db.session.scalars(sa.select(OutboxMessage).filter_by(invitation_id=invitation.id, kind="reminder")).first().body.lower()
    # A completed survey gets no reminder.
    assert [m.kind for m in db.session.scalars(sa.select(OutboxMessage).filter_by(invitation_id=other.id))] == ["invitation"]


def test_answering_moves_the_invitation_through_opened_started_and_completed(exited, client):
    from feedback.survey.service import complete, instrument_for, save_answers

    family, (mother, _father) = exited
    dispatch_once(OutboxBackend(), now=sending_moment(TODAY))
    invitation = next(i for i in member_invitations(mother) if i.instrument_id == "exit-interview")
    body = db.session.scalar(sa.select(OutboxMessage).filter_by(invitation_id=invitation.id)).body
    client.get("/s/" + re.search(r"/s/([A-Za-z0-9_-]+)", body).group(1))
    response = db.session.get(Response, invitation.response_id)
    save_answers(response, {"understood_purpose": 1}, "web")
    complete(response, instrument_for(response))
    db.session.expire_all()
    assert [e.to_state for e in invitation.events] == ["planned", "due", "sent", "opened", "started", "completed"]
    assert invitation.next_send_at is None  # no reminder for a finished survey


def test_a_send_resolved_as_reached_waits_for_its_first_reminder(exited):
    from feedback.waves.unknown import resolve_unknown

    now = sending_moment(TODAY)
    _bulk_move(["planned"], "due", "window opened", Invitation.opens_at <= now)
    claimed = _claim(now, 1, "worker-that-dies")
    invitation = db.session.get(Invitation, claimed[0])
    resolve_unknown(invitation, True, None)
    db.session.commit()
    assert invitation.state == "sent" and invitation.pending_send is None
    assert invitation.next_send_at >= invitation.sent_at + timedelta(days=3)
    dispatch_once(OutboxBackend(), now=sending_moment(TODAY) + timedelta(hours=1))
    assert not db.session.scalar(sa.select(OutboxMessage).filter_by(invitation_id=invitation.id))


def test_saving_a_member_again_does_not_clear_a_failed_number(exited):
    from feedback.families.service import update_member

    _family, (mother, _father) = exited
    mother.phone_invalid = True
    db.session.commit()
    update_member(mother, mother.version, mother.phone, name="Mum")
    assert mother.phone_invalid
    update_member(mother, mother.version, "07911 123456")
    assert not mother.phone_invalid
