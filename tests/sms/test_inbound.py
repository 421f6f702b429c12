"""Twilio's webhooks: only signed requests count; STOP/START/HELP; conversations answered by text."""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import Member
from feedback.sms.models import InboundMessage, SmsConversation
from feedback.survey.models import Answer, Response, Score
from feedback.waves.models import Invitation, OutboxMessage
from tests.sms.conftest import PUBLIC, dispatch, leaving_family, reply_of
from tests.waves.seeding import sending_moment

TODAY = date.today()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# -- signatures ---------------------------------------------------------------------------------------

def test_a_correctly_signed_text_is_accepted(webhooks, north):
    response = webhooks.text("+447911123456", "hello")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert count(InboundMessage) == 1


@pytest.mark.parametrize("forge", ["no signature", "wrong signature", "signed for another URL",
                                   "changed after signing", "signed with another token"])
def test_forged_webhooks_are_refused_and_change_nothing(webhooks, north, forge):
    from twilio.request_validator import RequestValidator

    leaving_family(north)
    mother = db.session.scalars(sa.select(Member)).one()
    params = {"MessageSid": "SM" + "a" * 32, "From": mother.phone, "To": "+447700900123", "Body": "STOP"}
    signature = webhooks.validator.compute_signature(PUBLIC + "/sms/inbound", params)
    if forge == "no signature":
        response = webhooks.client.post("/sms/inbound", data=params)
    elif forge == "wrong signature":
        response = webhooks.post("/sms/inbound", params, signature="bm90IGEgc2lnbmF0dXJl")
    elif forge == "signed for another URL":
        response = webhooks.post("/sms/inbound", params, signed_url="https://elsewhere.example.org/sms/inbound")
    elif forge == "changed after signing":  # a replayed body with one parameter changed
        response = webhooks.post("/sms/inbound", {**params, "From": "+447911999999"}, signature=signature)
    else:
        response = webhooks.post("/sms/inbound", params,
                                 signature=RequestValidator("another-token").compute_signature(PUBLIC + "/sms/inbound", params))
    assert response.status_code == 403
    db.session.expire_all()
    assert count(InboundMessage) == 0 and mother.opted_out_at is None


@pytest.mark.parametrize("signed_url, accepted", [
    (PUBLIC + ":443/sms/inbound", True),  # Twilio may sign the address with its default port
    (PUBLIC + ":8443/sms/inbound", False),
    ("http://feedback.example.org/sms/inbound", False),
    (PUBLIC + "/sms/inbound?extra=1", False),
])
def test_a_signature_counts_only_over_the_public_address_with_or_without_its_port(
        webhooks, north, signed_url, accepted):
    params = {"MessageSid": "SM" + "b" * 32, "From": "+447911123456", "To": "+447700900123", "Body": "hello"}
    response = webhooks.post("/sms/inbound", params, signed_url=signed_url)
    assert response.status_code == (200 if accepted else 403)
    assert count(InboundMessage) == (1 if accepted else 0)


def test_a_signature_that_is_not_ascii_is_refused_not_an_error(webhooks, north):
    params = {"MessageSid": "SM" + "b" * 32, "From": "+447911123456", "To": "+447700900123", "Body": "hello"}
    assert webhooks.post("/sms/inbound", params, signature="Ã©t\u00e9=").status_code == 403
    assert count(InboundMessage) == 0


def test_status_reports_must_be_signed_too(webhooks, north):
    assert webhooks.post("/sms/status", {"MessageSid": "SM1", "MessageStatus": "delivered"},
                         signature="AAAA").status_code == 403


def test_without_a_twilio_account_the_webhooks_accept_nothing(app, client):
    assert client.post("/sms/inbound", data={"MessageSid": "SM1", "Body": "STOP"},
                       headers={"X-Twilio-Signature": "x"}).status_code == 403


@pytest.mark.parametrize("reply", [None, "", "Thank you.", "Fish & chips <3 > 2\n1 Better\n2 Worse",
                                   'He said "yes" & it\'s done', "Diolch. Sut ydych chi? ŵ ŷ\n১ ভালো",
                                   "  spaced  \r\n"])
def test_the_reply_is_written_as_twilios_own_twiml_writes_it(reply):
    from twilio.twiml.messaging_response import MessagingResponse

    from feedback.sms.views import twiml

    expected = MessagingResponse()
    if reply:
        expected.message(reply)
    assert twiml(reply) == str(expected)


# -- keywords -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["STOP", " stop. ", "Unsubscribe", "QUIT!", "stopio"])
def test_stop_opts_the_number_out_cancels_what_waits_and_is_audited(webhooks, north, body):
    made, (mother,) = leaving_family(north, exit_=TODAY + timedelta(days=30))  # exit wave not open yet: all waiting
    response = webhooks.text(mother.phone, body)
    assert response.status_code == 200
    db.session.expire_all()
    assert mother.opted_out_at is not None
    texts = [i for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id))
             if i.channel in ("sms_link", "sms_conversation")]
    assert texts and {(i.state, i.reason) for i in texts} == {("cancelled", "opted_out")}
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="member.opted_out")).subject_id == mother.id
    assert "no more texts" in reply_of(response)  # no OptOutType: Twilio did not answer it, so we do


def test_when_twilio_already_answered_stop_the_app_does_not_reply_again(webhooks, north):
    made, (mother,) = leaving_family(north)
    response = webhooks.text(mother.phone, "STOP", OptOutType="STOP")
    assert reply_of(response) == ""
    db.session.expire_all()
    assert mother.opted_out_at is not None


def test_start_opts_back_in_and_the_waiting_invitations_come_back(webhooks, north):
    made, (mother,) = leaving_family(north, exit_=TODAY + timedelta(days=30))
    webhooks.text(mother.phone, "STOP")
    response = webhooks.text(mother.phone, "start")
    db.session.expire_all()
    assert mother.opted_out_at is None
    assert {i.state for i in db.session.scalars(sa.select(Invitation).filter_by(member_id=mother.id))} == {"planned"}
    assert "switched back on" in reply_of(response)


def test_yes_is_an_answer_not_an_opt_in_for_a_member_who_never_opted_out(webhooks, north):
    made, (mother,) = leaving_family(north)
    response = webhooks.text(mother.phone, "YES")
    assert db.session.scalar(sa.select(InboundMessage.handled_as)) == "no_conversation"
    assert "nothing to answer" in reply_of(response)


def test_help_says_how_to_reach_the_service(webhooks, north):
    made, (mother,) = leaving_family(north)
    assert "01632 960000" in reply_of(webhooks.text(mother.phone, "help"))


@pytest.mark.parametrize("body", ["", " ", "x" * 2000, "🙂🙂", "Здравствуйте", "مرحبا", "STOP STOP", "07911 123456"])
def test_odd_texts_from_unknown_numbers_get_a_reply_that_reveals_nothing(webhooks, north, body):
    leaving_family(north)
    response = webhooks.text("+447911000999", body)
    assert response.status_code == 200
    assert reply_of(response) == "Thank you for your message. There is nothing to answer at the moment."


@pytest.mark.parametrize("sender", ["", "07911 123456", "+1 202 555 0100", "not a number", "+44 20 7946 0000"])
def test_any_sender_format_is_handled(webhooks, north, sender):
    assert webhooks.text(sender, "hello").status_code == 200


# -- delivery reports ---------------------------------------------------------------------------------

def test_delivery_reports_update_the_text_and_only_move_forward(twilio_app, webhooks, north, fake_twilio):
    leaving_family(north)
    dispatch(twilio_app)
    sid = fake_twilio.created[0]["sid"]
    assert webhooks.status(sid, "delivered").status_code == 204
    assert webhooks.status(sid, "sent").status_code == 204  # late, out of order
    text = db.session.scalar(sa.select(OutboxMessage).filter_by(provider_sid=sid))
    db.session.refresh(text)
    assert text.status == "delivered"
    assert webhooks.status("SM" + "f" * 32, "delivered").status_code == 204  # not ours: nothing changes


def test_an_undelivered_text_to_an_opted_out_or_dead_number_is_acted_on(twilio_app, webhooks, north, fake_twilio):
    made, (mother, father) = leaving_family(north, members=(("mother", 1988, 3), ("father", 1986, 1)))
    dispatch(twilio_app)
    sid_of = {m["to"]: m["sid"] for m in fake_twilio.created}
    webhooks.status(sid_of[mother.phone], "failed", "21610")
    webhooks.status(sid_of[father.phone], "undelivered", "30006")
    db.session.expire_all()
    assert mother.opted_out_at is not None and father.phone_invalid
    failed = db.session.scalars(sa.select(Invitation).filter_by(state="failed")).all()
    assert {i.reason for i in failed} == {"opted_out", "phone_invalid"}


@pytest.mark.parametrize("error_code", ["99999999999999999999", "2147483648", "²", "-1", "30006; drop"])
def test_a_delivery_report_with_an_error_code_we_cannot_store_is_kept_with_the_code_unknown(
        twilio_app, webhooks, north, fake_twilio, caplog, monkeypatch, error_code):
    """Twilio's codes are five digits; one too large for the column (a 500 before) or not a whole
    number is logged and stored as unknown, and the report's status still counts."""
    import logging

    # The migrations' logging.config.fileConfig disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger("feedback.sms.delivery"), "disabled", False)
    leaving_family(north)
    dispatch(twilio_app)
    sid = fake_twilio.created[0]["sid"]
    assert webhooks.status(sid, "undelivered", error_code).status_code == 204
    text = db.session.scalar(sa.select(OutboxMessage).filter_by(provider_sid=sid))
    db.session.refresh(text)
    assert (text.status, text.error_code) == ("undelivered", None)
    assert "kept as unknown" in caplog.text


# -- conversations ------------------------------------------------------------------------------------

@pytest.fixture
def conversation(twilio_app, north, fake_twilio):
    """A mother who prefers answering by text, three months after her family left support."""
    made, (mother,) = leaving_family(north, channel="sms_conversation", exit_=TODAY - relativedelta(months=3))
    result = dispatch(twilio_app)
    assert result.sent == 1
    opening = fake_twilio.sent()[-1].form["Body"]
    return mother, opening


def test_the_first_text_opens_the_conversation_with_the_first_question(conversation):
    mother, opening = conversation
    assert "Reply STOP" in opening or "reply STOP" in opening
    assert "\n1 " in opening  # numbered choices
    conversation_row = db.session.scalars(sa.select(SmsConversation)).one()
    assert conversation_row.closed_at is None and conversation_row.state["current"]
    assert db.session.scalars(sa.select(Response)).one().mode == "sms"


def answer_everything(webhooks, phone, first_reply="1", limit=60):
    """Reply to each question with its first choice (or a number, or a word) until the end."""
    replies, body = [], first_reply
    for _ in range(limit):
        text = reply_of(webhooks.text(phone, body))
        replies.append(text)
        if "last question" in text:
            return replies
        body = "1" if "\n1 " in text or "number" in text else "Fine, thanks"
    raise AssertionError(f"no end after {limit} replies: {replies[-3:]}")


def test_a_conversation_answered_by_text_is_stored_and_scored_like_the_web(webhooks, conversation):
    mother, opening = conversation
    replies = answer_everything(webhooks, mother.phone)
    response = db.session.scalars(sa.select(Response)).one()
    db.session.refresh(response)
    assert response.status == "completed" and response.mode == "sms"
    answers = db.session.scalars(sa.select(Answer).filter_by(response_id=response.id)).all()
    assert len(answers) >= len(replies) - 1
    invitation = db.session.scalars(sa.select(Invitation).filter_by(channel="sms_conversation", wave="exit-3m")).one()
    assert invitation.state == "completed"
    assert db.session.scalars(sa.select(SmsConversation)).one().closed_at is not None
    # Scored with the instrument's own rules, as a web response is.
    from feedback.instruments.scoring import score_instrument
    from feedback.survey.service import instrument_for

    expected = {s.scale_id for s in score_instrument(instrument_for(response), response.answer_values())}
    assert {s.scale_id for s in db.session.scalars(sa.select(Score).filter_by(response_id=response.id))} == expected
    after = reply_of(webhooks.text(mother.phone, "1"))
    assert after == "Thank you for your message. There is nothing to answer at the moment."


def test_an_unclear_reply_is_explained_once_and_skip_needs_an_optional_question(webhooks, conversation):
    mother, opening = conversation
    first = reply_of(webhooks.text(mother.phone, "banana"))
    assert first.startswith("Sorry")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_twilio_retrying_a_webhook_never_records_an_answer_twice(webhooks, conversation):
    mother, opening = conversation
    first = webhooks.text(mother.phone, "1", sid="SM" + "1" * 32)
    again = webhooks.text(mother.phone, "1", sid="SM" + "1" * 32)
    assert first.status_code == again.status_code == 200
    assert reply_of(again) == ""  # the first reply already went; a second would confuse
    state = db.session.scalars(sa.select(SmsConversation)).one().state
    assert len(state["answers"]) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 1


def test_a_retry_arriving_while_the_first_delivery_is_still_handled_is_acted_on_once(
        twilio_app, webhooks, conversation, monkeypatch):
    """Twilio gives up waiting and retries while the app is still working on the first delivery:
    the retry waits for the conversation, then finds the MessageSid stored and changes nothing."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two deliveries at once need PostgreSQL (SQLite has one writer); .ci/run runs this on PostgreSQL")
    import feedback.sms.inbound as inbound

    mother, _opening = conversation
    reached, release, calls = threading.Event(), threading.Event(), []
    original = inbound.take_reply

    def first_delivery_held(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # the first delivery holds the conversation until the retry is waiting
            reached.set()
            release.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(inbound, "take_reply", first_delivery_held)
    sid, replies = "SM" + "2" * 32, {}

    def deliver(name):
        with twilio_app.app_context():  # each delivery its own context, session and connection
            replies[name] = webhooks.text(mother.phone, "1", sid=sid)

    first = threading.Thread(target=deliver, args=("first",))
    first.start()
    assert reached.wait(20)
    retry = threading.Thread(target=deliver, args=("retry",))
    retry.start()
    deadline = time.monotonic() + 20
    while not db.session.scalar(sa.text(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")):
        assert time.monotonic() < deadline, "the retry never waited for the first delivery"
        time.sleep(0.05)
        db.session.rollback()
    release.set()
    first.join(20)
    retry.join(20)
    assert replies["first"].status_code == replies["retry"].status_code == 200
    assert reply_of(replies["first"]) and reply_of(replies["retry"]) == ""
    assert len(calls) == 2  # the retry did read the conversation, after the first delivery's commit
    db.session.rollback()
    assert count(InboundMessage) == 1 and count(Answer) == 1
    assert len(db.session.scalars(sa.select(SmsConversation)).one().state["answers"]) == 1


def test_two_texts_from_one_number_at_once_each_answer_their_own_question(twilio_app, webhooks, conversation,
                                                                           monkeypatch):
    """A member sends two answers in quick succession and two workers take them at once: the
    second waits for the first, then answers the next question (on SQLite too, which has no row
    locks: its one write lock is taken before the conversation is read)."""
    import feedback.sms.inbound as inbound

    mother, _opening = conversation
    reached, release, calls = threading.Event(), threading.Event(), []
    original = inbound.take_reply

    def first_text_held(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            reached.set()
            release.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(inbound, "take_reply", first_text_held)
    replies = {}

    def deliver(name, body):
        with twilio_app.app_context():
            replies[name] = webhooks.text(mother.phone, body)

    first = threading.Thread(target=deliver, args=("first", "1"))
    first.start()
    assert reached.wait(20)
    second = threading.Thread(target=deliver, args=("second", "2"))
    second.start()
    if db.engine.dialect.name == "postgresql":
        deadline = time.monotonic() + 20
        while not db.session.scalar(sa.text("select count(*) from pg_stat_activity "
                                            "where datname = current_database() and wait_event_type = 'Lock'")):
            assert time.monotonic() < deadline, "the second text never waited for the first"
            time.sleep(0.05)
            db.session.rollback()
    else:
        time.sleep(0.5)  # SQLite shows no waits: give the second text time to reach the lock
    release.set()
    first.join(20)
    second.join(20)
    assert replies["first"].status_code == replies["second"].status_code == 200
    asked_second, asked_third = reply_of(replies["first"]), reply_of(replies["second"])
    assert asked_second and asked_third and asked_second != asked_third
    db.session.rollback()
    assert count(InboundMessage) == 2 and count(Answer) == 2
    assert len(db.session.scalars(sa.select(SmsConversation)).one().state["answers"]) == 2


def test_a_text_that_clashes_with_one_handled_at_the_same_time_keeps_nothing_and_is_no_error(
        webhooks, conversation):
    """Two deliveries making the same change at once (two STARTs both planning one invitation):
    the one that commits second hits a unique constraint. It keeps nothing and answers 200.

    The clash is met in the database, just before the handler's commit, whichever statements the
    handler wrote its text and reply with (one on PostgreSQL, two on SQLite)."""
    mother, _opening = conversation
    sid = "SM" + "3" * 32
    clashes = []

    def clashing_write(session):
        # The row a concurrent delivery committed first, as this one's own commit would meet it.
        clashes.append(sid)
        session.execute(sa.insert(InboundMessage.__table__), {"message_sid": sid, "body": "1"})

    sa.event.listen(db.session, "before_commit", clashing_write)
    try:
        response = webhooks.text(mother.phone, "1", sid=sid)
    finally:
        sa.event.remove(db.session, "before_commit", clashing_write)
    assert clashes == [sid]  # the handler's own commit met it
    assert response.status_code == 200 and reply_of(response) == ""
    assert count(InboundMessage) == 0 and count(Answer) == 0 and count(OutboxMessage) == 1  # the opening only
    assert db.session.scalars(sa.select(SmsConversation)).one().state["answers"] == {}


def test_a_reply_after_the_window_closed_gets_the_generic_answer(twilio_app, webhooks, conversation):
    mother, opening = conversation
    invitation = db.session.scalars(sa.select(Invitation).filter_by(channel="sms_conversation", wave="exit-3m")).one()
    invitation.closes_at = sending_moment(TODAY) - timedelta(days=40)
    db.session.commit()
    text = reply_of(webhooks.text(mother.phone, "1"))
    assert text == "Thank you for your message. There is nothing to answer at the moment."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_a_conversation_reminder_repeats_the_waiting_question(twilio_app, webhooks, conversation, fake_twilio):
    mother, opening = conversation
    invitation = db.session.scalars(sa.select(Invitation).filter_by(channel="sms_conversation", wave="exit-3m")).one()
    later = invitation.next_send_at
    assert later is not None
    dispatch(twilio_app, later)
    reminder = fake_twilio.sent()[-1].form["Body"]
    assert reminder.startswith("A reminder") and opening.split("\n", 1)[1] in reminder


def test_stop_in_the_middle_of_a_conversation_ends_it(webhooks, conversation):
    mother, opening = conversation
    webhooks.text(mother.phone, "1")
    webhooks.text(mother.phone, "STOP")
    assert db.session.scalars(sa.select(SmsConversation)).one().closed_at is not None
    assert "nothing to answer" in reply_of(webhooks.text(mother.phone, "1"))


def test_erasing_the_family_removes_what_its_members_texted_and_were_sent(twilio_app, webhooks, conversation):
    from feedback.families.models import Family
    from feedback.families.service import erase_family

    mother, opening = conversation
    webhooks.text(mother.phone, "1")
    erase_family(db.session.scalars(sa.select(Family)).one(), None)
    db.session.commit()
    assert (count(InboundMessage), count(SmsConversation), count(OutboxMessage)) == (0, 0, 0)


def test_a_welsh_speaker_is_asked_and_answered_in_welsh(twilio_app, webhooks, north, fake_twilio):
    from feedback.families.models import Member

    made, (mother,) = leaving_family(north, channel="sms_conversation", exit_=TODAY - relativedelta(months=3))
    db.session.get(Member, mother.id).language = "cy"
    db.session.commit()
    dispatch(twilio_app)
    opening = fake_twilio.sent()[-1].form["Body"]
    assert opening.startswith("Helo.") and "atebwch STOP" in opening and "\n1 Gwell" in opening
    unclear = reply_of(webhooks.text(mother.phone, "banana"))
    assert unclear.startswith("Mae'n ddrwg gennym")
    assert "I siarad gyda rhywun: call 01632 960000" in reply_of(webhooks.text(mother.phone, "CYMORTH"))

