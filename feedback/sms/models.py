"""What SMS conversations need stored: each conversation's place in its instrument, and every
inbound text's id so that Twilio's retries of a webhook are recognised."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import Encrypted
from ..extensions import db
from ..timeutil import utcnow
from ..waves.models import Invitation

IDENTIFYING = {"identifying": True}


class SmsConversation(db.Model):
    """One invitation answered by text: the instrument is asked a question per message."""

    __tablename__ = "sms_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), unique=True)
    #: Digest of the member's number when the conversation began: replies are matched by it.
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    #: ``ConversationState.to_dict()``: answers so far, items skipped, the question waiting.
    state: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Set when it completed, expired, or the member opted out; a closed one takes no more answers.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    invitation: Mapped[Invitation] = relationship()


class InboundMessage(db.Model):
    """A text a member sent. The unique ``message_sid`` makes a retried webhook a no-op."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Encrypted, info=IDENTIFYING)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: What the app made of it: opt_out, opt_in, help, answer, unclear, no_conversation, …
    handled_as: Mapped[str | None] = mapped_column(String(24))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("sms_conversations.id", ondelete="SET NULL"))
