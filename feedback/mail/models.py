"""Every email the app sent, whatever the backend, as ``OutboxMessage`` is for texts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import Encrypted
from ..extensions import db
from ..timeutil import utcnow
from ..waves.models import Invitation

IDENTIFYING = {"identifying": True}


class EmailMessage(db.Model):
    """One email: with the outbox backend this *is* the message (nothing leaves the app); with SMTP
    it is the record of what was handed to the mail server, and what the server said."""

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    #: "invitation" or "reminder".
    kind: Mapped[str] = mapped_column(String(16))
    to_address: Mapped[str] = mapped_column(Encrypted, info=IDENTIFYING)
    to_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text)
    #: Both parts hold the survey link, which is as good as a password: encrypted.
    body_text: Mapped[str] = mapped_column(Encrypted, info=IDENTIFYING)
    body_html: Mapped[str] = mapped_column(Encrypted, info=IDENTIFYING)
    #: The Message-ID header, e.g. ``<…@feedback.example.org>``.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    #: SHA-256 of the unsubscribe token in the message's link and List-Unsubscribe header.
    unsubscribe_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    backend: Mapped[str] = mapped_column(String(16), default="outbox")
    #: "sent" (the server accepted it), or None for the outbox.
    status: Mapped[str | None] = mapped_column(String(16))
    #: When the unsubscribe link of this message was used.
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)

    invitation: Mapped[Invitation | None] = relationship()
