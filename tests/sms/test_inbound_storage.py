"""How an inbound text and the copy of our reply are stored: encrypted at rest, once per
MessageSid, and on PostgreSQL in one statement with the conversation's move (issue 24)."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from feedback.crypto import decrypt, lookup_digest
from feedback.extensions import db
from feedback.families.models import Member
from feedback.families.phones import normalise_mobile
from feedback.sms.models import InboundMessage, SmsConversation
from feedback.survey.models import Answer
from feedback.waves.models import Invitation, OutboxMessage
from tests.sms.conftest import dispatch, leaving_family, reply_of


def raw(sql: str) -> list:
    """Rows as the database holds them, past the columns' types (so nothing is decrypted)."""
    return db.session.execute(sa.text(sql)).all()


@pytest.fixture
def conversation(twilio_app, north, fake_twilio):
    """A mother answering by text, sent her first question (as in ``test_inbound``)."""
    leaving_family(north, channel="sms_conversation", exit_=date.today() - relativedelta(months=3))
    assert dispatch(twilio_app).sent == 1
    return db.session.scalars(sa.select(Member)).one()


def test_the_text_and_the_copy_of_the_reply_are_encrypted_at_rest(webhooks, conversation):
    mother = conversation
    reply = reply_of(webhooks.text(mother.phone, "1"))
    assert reply
    ((body, digest),) = raw("select body, from_digest from inbound_messages")
    assert body != "1" and decrypt(body) == "1"
    assert digest == lookup_digest(normalise_mobile(mother.phone))
    ((to_number, to_digest, copy, kind, backend),) = raw(
        "select to_number, to_digest, body, kind, backend from outbox_messages where kind = 'reply'")
    assert mother.phone not in to_number and decrypt(to_number) == mother.phone
    assert reply not in copy and decrypt(copy) == reply
    assert (to_digest, kind, backend) == (digest, "reply", "twilio")
    # and the app reads them back as it wrote them
    assert db.session.scalars(sa.select(InboundMessage.body)).one() == "1"
    assert db.session.scalars(sa.select(OutboxMessage.body).filter_by(kind="reply")).one() == reply


def test_a_retried_text_stores_neither_itself_nor_a_second_copy(webhooks, conversation):
    mother = conversation
    first = webhooks.text(mother.phone, "1", sid="SM" + "5" * 32)
    retry = webhooks.text(mother.phone, "2", sid="SM" + "5" * 32)
    assert reply_of(first) and reply_of(retry) == ""
    assert raw("select count(*) from inbound_messages") == [(1,)]
    assert raw("select count(*) from outbox_messages where kind = 'reply'") == [(1,)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1


def test_a_reply_to_a_number_no_member_can_have_is_sent_but_no_copy_kept(webhooks, north):
    assert reply_of(webhooks.text("+15005550006", "hello"))  # not a UK mobile: no digest to keep it by
    assert raw("select count(*) from inbound_messages") == [(1,)]
    assert raw("select count(*) from outbox_messages") == [(0,)]


def test_on_postgresql_the_text_its_copy_and_the_conversation_take_one_statement(webhooks, conversation):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes them with three statements")
    mother = conversation
    writes: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if any(f"{verb} {table}" in statement for verb in ("INSERT INTO", "UPDATE")
               for table in ("inbound_messages", "outbox_messages", "sms_conversations")):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert reply_of(webhooks.text(mother.phone, "1"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len(writes) == 1
    assert all(part in writes[0] for part in ("INSERT INTO outbox_messages", "UPDATE sms_conversations"))
    assert raw("select count(*) from outbox_messages where kind = 'reply'") == [(1,)]


def test_each_reply_moves_the_conversation_on_and_a_late_one_closes_it(webhooks, conversation):
    mother = conversation
    before = db.session.scalars(sa.select(SmsConversation)).one()
    asked, last = before.state["current"], before.last_message_at
    db.session.rollback()
    webhooks.text(mother.phone, "1")
    moved = db.session.scalars(sa.select(SmsConversation)).one()
    assert list(moved.state["answers"]) == [asked] and moved.state["current"] != asked
    assert moved.last_message_at > last and moved.closed_at is None
    invitation = db.session.get(Invitation, moved.invitation_id)
    invitation.closes_at = datetime(2000, 1, 1)
    db.session.commit()
    assert "nothing to answer" in reply_of(webhooks.text(mother.phone, "2"))
    db.session.expire_all()
    closed = db.session.scalars(sa.select(SmsConversation)).one()
    assert closed.closed_at is not None and closed.state == moved.state
