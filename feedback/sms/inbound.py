"""What the app does with a text a member sends: keywords first (STOP, START, HELP), then a
language's name (their texts are in it from now on), then the answer to the question waiting in
their conversation, else a polite reply that reveals nothing. ``keywords`` explains each.

Every inbound text is stored under Twilio's ``MessageSid`` (unique), so a webhook Twilio retries
is recognised and changes nothing the second time — no answer is ever recorded twice.
"""
from __future__ import annotations

import logging
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from ..crypto import lookup_digest
from ..extensions import conflict_insert, db
from ..families.models import Member
from ..families.phones import InvalidPhoneNumber, normalise_mobile
from ..families.service import opt_in, opt_out, remember_language
from ..languages import ui_languages
from ..timeutil import utcnow
from ..waves.channels import record_reply
from ..waves.messages import help_text, language_changed_text, nothing_open_text, opted_in_text, opted_out_text
from ..waves.models import OutboxMessage
from .conversations import answers_waiting_question, change_language, move, open_for, take_reply
from .keywords import from_opt_out_type, keyword, language_keyword
from .models import InboundMessage, SmsConversation

log = logging.getLogger(__name__)
#: Longer texts are kept only up to this (a conversation answer is a word or a number).
BODY_KEPT = 1600


_UNKNOWN = object()


def handle(message_sid: str, sender: str, body: str, opt_out_type: str | None = None,
           digest: str | None | object = _UNKNOWN) -> str | None:
    """Act on one inbound text; returns the reply to send (None: send nothing). ``digest`` is
    ``sender_digest(sender)`` when the caller has already worked it out (the webhook's rate limit
    has), so it is not computed twice."""
    now = utcnow()
    body = (body or "")[:BODY_KEPT]
    if digest is _UNKNOWN:
        digest = sender_digest(sender)
    # The open conversation (if any) first: it is the common case, and its member's language is
    # all a plain answer needs. Everyone sharing the number is read only for a keyword, or when
    # there is no conversation (an opted-out number has none: STOP closes them).
    conversation = open_for(digest) if digest else None
    members = None if conversation else _members(digest)
    language = conversation.language if conversation else (members[0].language if members else "en")
    sms = current_app.config["FEEDBACK_SETTINGS"].sms
    opted_out = conversation is None and any(other.opted_out_at is not None for other in members)
    kind = from_opt_out_type(opt_out_type) or keyword(body, dict(sms.extra_keywords), opted_out=opted_out)
    # Twilio sends OptOutType exactly when its own keyword handling matched (and answered) the
    # text; a Welsh or extra keyword it does not know gets our reply, never a second one.
    provider_replied = bool(opt_out_type) and sms.provider_answers_keywords
    chosen = _language_chosen(body, conversation, members, now) if kind is None else None
    reply: str | None
    conversation_id = None
    moved = None  # the conversation's changed columns, written with the text (take_reply)
    if kind == "opt_out":
        for other in members if members is not None else _members(digest):
            opt_out(other, "the member texted STOP", None, now)
        handled_as, reply = "opt_out", None if provider_replied else opted_out_text(language)
    elif kind == "opt_in":
        for other in members if members is not None else _members(digest):
            opt_in(other, "the member texted START", None)
        handled_as, reply = "opt_in", None if provider_replied else opted_in_text(language)
    elif kind == "help":
        handled_as, reply = "help", None if provider_replied else help_text(language)
    elif chosen and conversation is not None:
        # Only the member being asked: others sharing the phone keep their own language.
        conversation_id = conversation.id
        handled_as, reply = "language", change_language(conversation, chosen, now)
    elif chosen:
        # No conversation tells us who is texting, so everyone on this number (as for STOP).
        remember_language([member.id for member in members], chosen)
        handled_as, reply = "language", language_changed_text(chosen)
    elif conversation is None:
        handled_as, reply = "no_conversation", nothing_open_text(language)
    else:
        conversation_id = conversation.id
        reply, handled_as, moved = take_reply(conversation, body, language, now)
        if reply is None:
            reply = nothing_open_text(language)
    # The text itself is stored last, in the same transaction as everything it caused. Its
    # MessageSid is unique: when Twilio retries the webhook, the retry finds the id taken
    # (waiting, if the first delivery is still being handled, until that commits) and all it
    # did is rolled back, so no answer is ever recorded twice and the retry gets no reply.
    text = {"message_sid": message_sid, "from_digest": digest, "body": body, "received_at": now,
            "handled_as": handled_as, "conversation_id": conversation_id}
    copy = ({"to_number": sender, "to_digest": digest, "reply": reply, "created_at": now,
             "backend": current_app.config["FEEDBACK_SETTINGS"].channel_backend}
            if reply is not None and digest else None)
    try:
        if not _store(text, copy, moved):
            db.session.rollback()
            log.info("inbound %s seen before (a retried webhook): ignored", message_sid)
            return None
        db.session.commit()
    except IntegrityError:
        # Another delivery made the same change first (two STARTs at once both planning the same
        # invitation, say): that one stands, nothing of this one is kept, and Twilio gets no error
        # to retry, which would only find the change made.
        db.session.rollback()
        log.warning("inbound %s clashed with a text handled at the same time: nothing kept", message_sid)
        return None
    return reply


def _store(text: dict, copy: dict | None, moved: dict | None = None) -> bool:
    """Store the inbound ``text``, the ``copy`` of the reply to it when there is one (the outbox
    row ``record_reply`` writes) and the conversation's ``moved`` columns (``take_reply``); False
    when the text's MessageSid is taken (a retried webhook: the caller rolls back). PostgreSQL
    does all three in one statement, SQLite in up to three."""
    dialect = db.session.get_bind().dialect.name
    if copy is not None and dialect == "postgresql":
        statement = _store_text_and_reply(tuple(sorted(moved)) if moved else ())
        moved_values = {f"moved_{name}": value for name, value in (moved or {}).items()}
        return db.session.execute(statement, {**text, **copy, **moved_values}).first() is not None
    if moved:
        move(text["conversation_id"], moved)
    if db.session.execute(_store_inbound(dialect), text).first() is None:
        return False
    if copy is not None:
        record_reply(copy["to_number"], copy["to_digest"], copy["reply"], copy["backend"], copy["created_at"])
    return True


def _typed(column: sa.Column, name: str | None = None) -> sa.BindParameter:
    """A bind parameter with ``column``'s type, so ``Encrypted`` columns encrypt what is bound."""
    return sa.bindparam(name or column.name, type_=column.type)


@lru_cache(maxsize=4)
def _store_inbound(dialect: str):
    """INSERT … ON CONFLICT (message_sid) DO NOTHING RETURNING id, built once per dialect."""
    table = InboundMessage.__table__
    return conflict_insert(dialect)(table).on_conflict_do_nothing(index_elements=[table.c.message_sid]).returning(table.c.id)


@lru_cache(maxsize=8)
def _store_text_and_reply(moved: tuple[str, ...]) -> sa.Select:
    """PostgreSQL: the text's INSERT … ON CONFLICT DO NOTHING, the reply's outbox INSERT and the
    UPDATE of the ``moved`` conversation columns in one round trip (issue 24: two statements less
    per text); built once per set of columns. The copy is selected from the text's RETURNING, so
    a retried webhook, whose text is not stored, stores no copy (and the caller rolls back)."""
    inbound, outbox = InboundMessage.__table__, OutboxMessage.__table__
    stored = (postgresql.insert(inbound)
              .values({column: _typed(column) for column in (inbound.c.message_sid, inbound.c.from_digest,
                                                             inbound.c.body, inbound.c.received_at,
                                                             inbound.c.handled_as, inbound.c.conversation_id)})
              .on_conflict_do_nothing(index_elements=[inbound.c.message_sid])
              .returning(inbound.c.id).cte("stored"))
    copied = (outbox.c.kind, outbox.c.to_number, outbox.c.to_digest, outbox.c.body, outbox.c.backend,
              outbox.c.created_at)
    kept = sa.insert(outbox).from_select(copied, sa.select(
        sa.literal("reply", outbox.c.kind.type), _typed(outbox.c.to_number), _typed(outbox.c.to_digest),
        _typed(outbox.c.body, "reply"), _typed(outbox.c.backend), _typed(outbox.c.created_at),
    ).select_from(stored)).cte("kept")
    statement = sa.select(stored.c.id).add_cte(kept)
    if moved:
        conversations = SmsConversation.__table__
        statement = statement.add_cte(
            # The text's own ``conversation_id``: ``moved`` comes only with the conversation answered.
            sa.update(conversations).where(conversations.c.id == _typed(conversations.c.id, "conversation_id"))
            .values({name: _typed(conversations.c[name], f"moved_{name}") for name in moved}).cte("moved"))
    return statement


def _language_chosen(body: str, conversation, members: list[Member] | None, now) -> str | None:
    """The language a text asks for by naming it; None when it names none, comes from a number no
    member has, or names one of the waiting question's answers (then it is that answer)."""
    chosen = language_keyword(body, ui_languages())
    if chosen is None or (conversation is None and not members):
        return None
    if conversation is not None and answers_waiting_question(conversation, body, now):
        return None
    return chosen


def _members(digest: str | None) -> list[Member]:
    """Everyone whose number this is (a family may share one phone)."""
    return list(db.session.scalars(sa.select(Member).where(Member.phone_digest == digest))) if digest else []


#: Most numbers written as before (by digest) → their lookup digest (None: not a UK mobile).
_SENDERS: dict[str, str | None] = {}
#: Enough for every number texting one process in a busy hour; then it starts again, empty.
SENDERS_KEPT = 10_000


def sender_digest(sender: str) -> str | None:
    """The keyed digest members' numbers are looked up by; None for a number that is not a UK
    mobile (it cannot belong to a member, and gets only the generic reply)."""
    # Parsing and checking the number with phonenumbers cost about 0.08 ms a text (issue 24); its
    # answer depends on nothing but the number as written, so it is remembered, keyed by that
    # spelling's keyed digest: no number is kept in clear, and a new data key (new digests) can
    # never be answered from the old key's entries.
    written = lookup_digest(sender)
    try:
        return _SENDERS[written]
    except KeyError:
        pass
    try:
        digest = lookup_digest(normalise_mobile(sender))
    except InvalidPhoneNumber:
        digest = None
    if len(_SENDERS) >= SENDERS_KEPT:
        _SENDERS.clear()
    _SENDERS[written] = digest
    return digest
