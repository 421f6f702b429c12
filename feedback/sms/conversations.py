"""SMS conversations in the database: opening one when the dispatcher sends its first question,
repeating the waiting question as a reminder, and taking each reply a member texts back.

One invitation has one response, whatever the channel. A conversation writes its answers into
that response exactly as the web pages do (mode ``sms``); if the same response is also answered
another way (a key worker opening it in interviewer mode, say), each item keeps its latest
answer and the response completes once — whichever finishes first wins, and the conversation
then tells the member the questions are already answered and takes no more.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..publishing.startup import current_catalogue
from ..survey.models import Response
from ..survey.service import complete, instrument_for, save_answers
from ..waves.messages import already_answered_text, conversation_opening, conversation_reminder, translator
from ..waves.models import Invitation
from .conversation import ConversationState, advance, prompt, start
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


def open_for(digest: str, now: datetime) -> SmsConversation | None:
    """The number's most recent conversation still taking answers, locked for this reply (on
    PostgreSQL; SQLite has one writer anyway) so two quick replies cannot both answer one question."""
    return db.session.scalar(
        sa.select(SmsConversation).join(Invitation)
        .where(SmsConversation.phone_digest == digest, SmsConversation.closed_at.is_(None))
        .order_by(SmsConversation.last_message_at.desc(), SmsConversation.id.desc()).limit(1)
        # The reply needs the invitation, its member and its response: one query, not three.
        .options(joinedload(SmsConversation.invitation).joinedload(Invitation.member),
                 joinedload(SmsConversation.invitation).joinedload(Invitation.response))
        .with_for_update(of=SmsConversation)
    )


def take_reply(conversation: SmsConversation, body: str, language: str, now: datetime) -> tuple[str | None, str]:
    """Apply one reply; returns the text to send back and what the reply was taken as."""
    invitation = conversation.invitation
    response = invitation.response
    if invitation.closes_at <= now or invitation.state in ("expired", "cancelled", "failed"):
        conversation.closed_at = now
        return None, "closed"
    if response is None or response.status != "open":
        conversation.closed_at = now
        return already_answered_text(language), "already_answered"
    instrument = instrument_for(response)
    before = ConversationState.from_dict(conversation.state)
    step = advance(instrument, before, body, language, translator(language))
    conversation.state = step.state.to_dict()
    conversation.last_message_at = now
    added = {item_id: value for item_id, value in step.state.answers.items() if before.answers.get(item_id) != value}
    # Nothing is committed here: the caller saves the answer, the conversation's new state, the
    # completion and the inbound text in one commit, so a crash can never leave half of them.
    if added:
        save_answers(response, added, mode="sms", commit=False)
    if step.complete:
        complete(response, instrument, commit=False)
        conversation.closed_at = now
    if added:
        taken = "answer"
    elif step.state.skipped != before.skipped:
        taken = "skipped"
    else:
        taken = "unclear"
    return step.message, taken
