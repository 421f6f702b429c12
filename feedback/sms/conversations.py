"""SMS conversations in the database: opening one when the dispatcher sends its first question,
repeating the waiting question as a reminder, and taking each reply a member texts back.

One invitation has one response, whatever the channel. A conversation writes its answers into
that response exactly as the web pages do (mode ``sms``); if the same response is also answered
another way (a key worker opening it in interviewer mode, say), each item keeps its latest
answer and the response completes once — whichever finishes first wins, and the conversation
then tells the member the questions are already answered and takes no more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, get_translations

from ..extensions import db
from ..families.models import Member
from ..families.service import remember_language
from ..instruments.wording import shown_wording
from ..publishing.models import InstrumentVersion
from ..publishing.service import published_instrument
from ..publishing.startup import current_catalogue
from ..survey.models import Response
from ..survey.service import ResponseRef, complete, save_answers
from ..waves.messages import (already_answered_text, conversation_opening, conversation_reminder,
                              language_changed_text, translator)
from ..waves.models import Invitation
from .conversation import ConversationState, Gettext, advance, names_a_choice, prompt, start
from .models import SmsConversation


def open_conversation(invitation: Invitation, response: Response) -> str:
    """Start the conversation for a new response; returns the first text (opening + question)."""
    member = invitation.member
    instrument = current_catalogue().latest(invitation.instrument_id)
    step = start(instrument, member.language, translator(member.language))
    db.session.add(SmsConversation(invitation=invitation, phone_digest=member.phone_digest,
                                   state=step.state.to_dict()))
    return conversation_opening(member.language, step.message)


def reminder(invitation: Invitation) -> str:
    """The reminder for an unfinished conversation: the question still waiting for an answer."""
    member = invitation.member
    conversation = db.session.scalar(sa.select(SmsConversation).filter_by(invitation_id=invitation.id))
    state = ConversationState.from_dict(conversation.state)
    instrument = current_catalogue().latest(invitation.instrument_id)
    gettext = translator(member.language)
    question = prompt(instrument.item(state.current), member.language, gettext=gettext) if state.current else ""
    return conversation_reminder(member.language, question)


@dataclass(frozen=True)
class OpenConversation:
    """A number's open conversation with what a reply to it needs, read as one row.

    Plain values, not ORM objects: this is the path of nearly every inbound text, and loading the
    conversation, invitation, member and response as objects (decrypting the member's number and
    the invitation's link on the way) cost more than everything else a reply does.
    """

    id: int
    state: dict
    language: str
    invitation_state: str
    closes_at: datetime
    response_id: int | None
    response_status: str | None
    content_hash: str | None
    instrument_version_id: int | None
    started_at: datetime | None
    family_id: int | None
    member_id: int


_CONVERSATIONS = SmsConversation.__table__
_INVITATIONS = Invitation.__table__
_MEMBERS = Member.__table__
_RESPONSES = Response.__table__
# Built once: every inbound text runs it, and a reused statement skips rebuilding its cache key.
_OPEN_FOR = (
    sa.select(_CONVERSATIONS.c.id, _CONVERSATIONS.c.state, _MEMBERS.c.language, _INVITATIONS.c.state,
              _INVITATIONS.c.closes_at, _RESPONSES.c.id, _RESPONSES.c.status, _RESPONSES.c.content_hash,
              _RESPONSES.c.instrument_version_id, _RESPONSES.c.started_at, _RESPONSES.c.family_id, _MEMBERS.c.id)
    .select_from(_CONVERSATIONS.join(_INVITATIONS, _INVITATIONS.c.id == _CONVERSATIONS.c.invitation_id)
                 .join(_MEMBERS, _MEMBERS.c.id == _INVITATIONS.c.member_id)
                 .outerjoin(_RESPONSES, _RESPONSES.c.id == _INVITATIONS.c.response_id))
    .where(_CONVERSATIONS.c.phone_digest == sa.bindparam("digest"), _CONVERSATIONS.c.closed_at.is_(None))
    .order_by(_CONVERSATIONS.c.last_message_at.desc(), _CONVERSATIONS.c.id.desc()).limit(1)
    .with_for_update(of=_CONVERSATIONS)
)


# SQLite has no row locks and reads outside a transaction: a write that changes nothing takes its
# one write lock first, so a second reply from the number waits here until this one commits.
_LOCK_ON_SQLITE = (sa.update(_CONVERSATIONS)
                   .where(_CONVERSATIONS.c.phone_digest == sa.bindparam("digest"), _CONVERSATIONS.c.closed_at.is_(None))
                   .values(last_message_at=_CONVERSATIONS.c.last_message_at))


def open_for(digest: str) -> OpenConversation | None:
    """The number's most recent conversation still taking answers, locked for this reply so two
    quick replies cannot both answer one question: the second reads it once the first has committed."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(_LOCK_ON_SQLITE, {"digest": digest})
    row = db.session.execute(_OPEN_FOR, {"digest": digest}).first()
    return OpenConversation(*row) if row else None


def take_reply(conversation: OpenConversation, body: str, language: str,
               now: datetime) -> tuple[str | None, str, dict]:
    """Apply one reply; returns the text to send back, what the reply was taken as and the
    conversation's changed columns, which the caller writes (``move``, or folded into the
    statement that stores the inbound text: issue 24, a round trip less per text).

    Nothing is committed here: the caller saves the answer, the conversation's new state, the
    completion and the inbound text in one commit, so a crash can never leave half of them. The
    conversation's row stays locked (``open_for``) until then, so writing it last changes nothing.
    """
    if conversation.closes_at <= now or conversation.invitation_state in ("expired", "cancelled", "failed"):
        return None, "closed", {"closed_at": now}
    if conversation.response_id is None or conversation.response_status != "open":
        return already_answered_text(language), "already_answered", {"closed_at": now}
    instrument = published_instrument(
        conversation.content_hash, lambda: db.session.get(InstrumentVersion, conversation.instrument_version_id))
    before = ConversationState.from_dict(conversation.state)
    step = advance(instrument, before, body, language, wording(language))
    added = {item_id: value for item_id, value in step.state.answers.items() if before.answers.get(item_id) != value}
    if added:
        save_answers(ResponseRef(conversation.response_id, conversation.started_at, conversation.family_id),
                     added, mode="sms", commit=False, shown=shown_wording(instrument, language))
    closed = None
    if step.complete:
        # Completion (once per conversation) scores the response: the ORM object is worth loading.
        complete(db.session.get(Response, conversation.response_id), instrument, commit=False)
        closed = now
    moved = {"state": step.state.to_dict(), "last_message_at": now, "closed_at": closed}
    if added:
        taken = "answer"
    elif step.state.skipped != before.skipped:
        taken = "skipped"
    else:
        taken = "unclear"
    return step.message, taken, moved


def answers_waiting_question(conversation: OpenConversation, body: str, now: datetime) -> bool:
    """Whether a reply names one of the answers of the question the conversation is waiting on
    (so a language's name offered as an answer is taken as that answer, not as a keyword)."""
    item = _waiting_item(conversation, now)
    return item is not None and names_a_choice(item, body, conversation.language)


def change_language(conversation: OpenConversation, language: str, now: datetime) -> str:
    """The member texted a language's name: their texts are in it from now on. Returns the reply:
    a confirmation in that language and, while the conversation still takes answers, the question
    it is waiting on again, in that language. Nothing is committed here (see ``take_reply``)."""
    remember_language([conversation.member_id], language)
    move(conversation.id, {"last_message_at": now})
    reply = language_changed_text(language)
    item = _waiting_item(conversation, now)
    if item is not None:
        reply += "\n" + prompt(item, language, gettext=wording(language))
    return reply


def wording(language: str) -> Gettext:
    """``waves.messages.translator(language)`` for one reply: the language's catalogue is looked up
    once, not switched to for every message (two or three a text, each switch about 0.03 ms: issue 24).
    Only for the request at hand: the catalogue is the app's, and nothing is kept after it."""
    with force_locale(language):
        return get_translations().ugettext


def _waiting_item(conversation: OpenConversation, now: datetime):
    """The question waiting for an answer; None when the conversation no longer takes answers."""
    if (conversation.closes_at <= now or conversation.invitation_state in ("expired", "cancelled", "failed")
            or conversation.response_id is None or conversation.response_status != "open"):
        return None
    state = ConversationState.from_dict(conversation.state)
    if state.current is None:
        return None
    instrument = published_instrument(
        conversation.content_hash, lambda: db.session.get(InstrumentVersion, conversation.instrument_version_id))
    return instrument.item(state.current)


# The columns set come from the parameters: one statement object, compiled once per set of columns.
_UPDATE = sa.update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == sa.bindparam("conversation_id"))


def move(conversation_id: int, values: dict) -> None:
    """Write a conversation's changed columns (``take_reply``'s third value)."""
    db.session.execute(_UPDATE, {"conversation_id": conversation_id, **values})
