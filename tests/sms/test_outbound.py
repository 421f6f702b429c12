"""Texts through Twilio: the real ``twilio`` client against a fake Twilio API on 127.0.0.1."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.waves.models import Invitation, OutboxMessage
from tests.sms.conftest import FROM_NUMBER, PUBLIC, dispatch, leaving_family
from tests.waves.seeding import sending_moment

TODAY = date.today()
LONDON, UTC = ZoneInfo("Europe/London"), ZoneInfo("UTC")


def test_each_due_text_goes_to_twilio_once_and_records_its_sid(twilio_app, north, fake_twilio):
    family, (mother,) = leaving_family(north)
    result = dispatch(twilio_app, sending_moment(TODAY))
    assert result.sent == 2  # exit-interview and family-functioning
    requests = fake_twilio.sent()
    assert len(requests) == 2
    form = requests[0].form
    assert form["To"] == mother.phone and form["From"] == FROM_NUMBER
    assert form["StatusCallback"] == PUBLIC + "/sms/status"
    assert f"{PUBLIC}/s/" in form["Body"] and family.case_ref not in form["Body"]
    assert requests[0].header("Authorization").startswith("Basic ")
    texts = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [t.provider_sid for t in texts] == [m["sid"] for m in fake_twilio.created]
    assert {t.backend for t in texts} == {"twilio"} and {t.status for t in texts} == {"queued"}
    again = dispatch(twilio_app, sending_moment(TODAY) + timedelta(minutes=5))
    assert again.sent == 0 and len(fake_twilio.sent()) == 2


def test_twilio_saying_the_number_opted_out_stops_every_text_to_the_member(twilio_app, north, fake_twilio):
    family, (mother,) = leaving_family(north)
    fake_twilio.fail_number(mother.phone, 21610)
    result = dispatch(twilio_app, sending_moment(TODAY))
    assert result.sent == 0 and len(fake_twilio.sent()) == 1  # the first refusal stops the second text
    db.session.refresh(mother)
    assert mother.opted_out_at is not None
    states = {(i.state, i.reason) for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id))
              if i.wave == "exit"}
    assert states == {("cancelled", "opted_out")}
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="member.opted_out")) is not None


def test_an_invalid_or_landline_number_is_marked_and_not_tried_again(twilio_app, north, fake_twilio):
    family, (mother,) = leaving_family(north)
    fake_twilio.fail_number(mother.phone, 21614)
    dispatch(twilio_app, sending_moment(TODAY))
    db.session.refresh(mother)
    assert mother.phone_invalid
    exit_wave = [i for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id)) if i.wave == "exit"]
    assert sorted((i.state, i.reason) for i in exit_wave) == [("cancelled", "phone_invalid"), ("failed", "phone_invalid")]
    dispatch(twilio_app, sending_moment(TODAY) + timedelta(days=1))
    assert len(fake_twilio.sent()) == 1


def test_a_busy_or_failing_twilio_is_retried_with_back_off_outside_quiet_hours(twilio_app, north, fake_twilio):
    family, (mother,) = leaving_family(north)
    fake_twilio.fail_next(20429, times=2)
    now = sending_moment(TODAY)
    assert dispatch(twilio_app, now).sent == 0
    invitations = db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id, wave="exit")).all()
    assert {i.state for i in invitations} == {"due"} and {i.send_attempts for i in invitations} == {1}
    assert {i.next_send_at for i in invitations} == {now + timedelta(minutes=5)}
    assert dispatch(twilio_app, now + timedelta(minutes=4)).sent == 0 and len(fake_twilio.sent()) == 2
    assert dispatch(twilio_app, now + timedelta(minutes=5)).sent == 2
    assert {i.state for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id, wave="exit"))} \
        == {"sent"}


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_the_morning(twilio_app, north, fake_twilio):
    family, (mother,) = leaving_family(north)
    day = TODAY if TODAY.weekday() < 5 else TODAY - timedelta(days=TODAY.weekday() - 4)
    evening = datetime.combine(day, time(19, 58), tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)
    fake_twilio.fail_next(20503, times=2)
    dispatch(twilio_app, evening)
    invitation = db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id, wave="exit")).first()
    retry = invitation.next_send_at.replace(tzinfo=UTC).astimezone(LONDON)
    assert retry.hour == 9 and retry.minute == 0 and retry.date() > day


def test_the_daily_cap_holds_texts_to_one_number_until_the_next_day(twilio_app, north, fake_twilio):
    settings = twilio_app.config["FEEDBACK_SETTINGS"]
    twilio_app.config["FEEDBACK_SETTINGS"] = replace(settings, sms=replace(settings.sms, daily_cap=1))
    family, (mother,) = leaving_family(north)
    now = sending_moment(TODAY)
    result = dispatch(twilio_app, now)
    assert result.sent == 1 and result.deferred == 1 and len(fake_twilio.sent()) == 1
    held = db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id, wave="exit", state="due")).one()
    later = held.next_send_at.replace(tzinfo=UTC).astimezone(LONDON)
    assert later.date() > now.date() and later.hour >= 9
    assert any("held back" in event.cause for event in held.events)


def test_the_wave_cap_stops_texts_for_the_wave(twilio_app, north, fake_twilio):
    settings = twilio_app.config["FEEDBACK_SETTINGS"]
    twilio_app.config["FEEDBACK_SETTINGS"] = replace(settings, sms=replace(settings.sms, wave_cap=1))
    family, (mother,) = leaving_family(north)
    result = dispatch(twilio_app, sending_moment(TODAY))
    assert result.sent == 1 and result.reasons == {"text_cap": 1}
    capped = db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id, wave="exit", state="cancelled")).one()
    assert capped.reason == "text_cap"


def test_a_wrong_account_stops_the_pass_without_failing_any_family(twilio_app, north, fake_twilio):
    import pytest

    from feedback.waves.dispatcher import DispatchStopped

    leaving_family(north)
    fake_twilio.auth_token = "not-the-token-the-app-has"
    with pytest.raises(DispatchStopped):
        dispatch(twilio_app, sending_moment(TODAY))
    db.session.rollback()
    assert {i.state for i in db.session.scalars(sa.select(Invitation).filter_by(wave="exit"))} == {"due"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)
                             .where(Invitation.pending_send.is_not(None))) == 0


def test_the_key_worker_is_told_when_a_number_does_not_work(twilio_app, north, fake_twilio):
    from feedback.staff.models import StaffUser
    from tests.conftest import sign_in, world_password_hash

    site, worker = north
    family, (mother,) = leaving_family(north)
    fake_twilio.fail_number(mother.phone, 21211)
    dispatch(twilio_app, sending_moment(TODAY))
    db.session.get(StaffUser, worker).password_hash = world_password_hash()
    db.session.commit()
    client = twilio_app.test_client()
    sign_in(client, "kw@example.org")
    home = client.get("/staff/").get_data(as_text=True)
    assert "Mobile numbers that do not work" in home and family.case_ref in home


def test_a_text_template_over_the_segment_budget_stops_the_app(schema, database_url, questionnaires_dir):
    import pytest

    from feedback.config import ConfigurationError
    from tests.conftest import make_app

    with pytest.raises(ConfigurationError, match=r"invitation text \(en\).*segments.*FEEDBACK_SMS_SEGMENT_BUDGET"):
        make_app(database_url, questionnaires_dir, FEEDBACK_SMS_SENDER_WORDING="Valley Early Help, part of the "
                 "county council's family support service for parents, carers, children and young people "
                 "across the valley, writes: ", FEEDBACK_SMS_SEGMENT_BUDGET="2")
    make_app(database_url, questionnaires_dir, FEEDBACK_SMS_SENDER_WORDING="Valley Early Help: ",
             FEEDBACK_SMS_SEGMENT_BUDGET="2", FEEDBACK_LANGUAGES="en,cy")  # a short wording fits
    # ...but not beside a text written in Arabic script, where a segment holds 67 characters, and
    # the refusal names the template and the language.
    with pytest.raises(ConfigurationError, match=r"\((ar|ur|bn)\).*segments"):
        make_app(database_url, questionnaires_dir, FEEDBACK_SMS_SENDER_WORDING="Valley Early Help: ",
                 FEEDBACK_SMS_SEGMENT_BUDGET="2")
    with pytest.raises(ConfigurationError, match="UCS-2"):
        make_app(database_url, questionnaires_dir, FEEDBACK_SMS_SENDER_WORDING="Gwasanaeth Cymorth i Deuluoedd 🙂: ",
                 FEEDBACK_SMS_SEGMENT_BUDGET="3")


def test_a_text_twilio_may_have_taken_is_left_for_a_person_never_sent_again(twilio_app, north, fake_twilio):
    from tests.sms.fake_twilio import HANG_UP

    family, (mother,) = leaving_family(north)
    fake_twilio.fail_next(HANG_UP)
    now = sending_moment(TODAY)
    dispatch(twilio_app, now)
    assert len(fake_twilio.sent()) == 2
    unknown = [i for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id, wave="exit"))
               if i.pending_send is not None]
    assert len(unknown) == 1 and unknown[0].state == "due"
    assert unknown[0].is_unknown(now + timedelta(minutes=11))
    dispatch(twilio_app, now + timedelta(hours=1))
    assert len(fake_twilio.sent()) == 2  # no second attempt on its own
