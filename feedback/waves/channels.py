"""Channel backends: how a text leaves the app. The outbox keeps it in the database instead."""
from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa

from ..extensions import db
from .models import OutboxMessage


class ChannelBackend(Protocol):
    #: True when a send is part of the database transaction (it rolls back with it), so the
    #: dispatcher may confirm a whole batch in one commit.
    transactional: bool

    name: str

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> str | None:
        """Send one text; returns the provider's message id. Raises ``SendFailed`` on refusal."""


class SendFailed(RuntimeError):
    """The provider did not take the text. ``permanent`` means trying again cannot help; ``code`` is
    the provider's error code and ``kind`` a provider-neutral name for the cause (for example
    "opted_out", "invalid_number", "temporary"), when the backend knows them."""

    def __init__(self, message: str, permanent: bool, *, code: int | None = None, kind: str | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.kind = kind


class OutboxBackend:
    """The default: nothing leaves the app. The dispatcher's record of each text (a row in
    ``outbox_messages``, visible to admins) is the whole of the "sending"."""

    name = "outbox"
    transactional = True

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> str | None:
        return None


def backend_for(settings) -> ChannelBackend:
    """The backend the settings name (``FEEDBACK_CHANNEL_BACKEND``)."""
    if settings.channel_backend == "outbox":
        return OutboxBackend()
    if settings.channel_backend == "twilio":
        from ..sms.twilio_backend import twilio_backend_from_settings

        return twilio_backend_from_settings(settings)
    raise ValueError(f"unknown channel backend {settings.channel_backend!r}")


def record_text(to: str, to_digest: str | None, body: str, kind: str, backend: str, provider_sid: str | None,
                invitation_id: int | None = None, now=None) -> OutboxMessage:
    """Keep a copy of a text that went (or, for the outbox, "went"): the outbox page, the caps and
    Twilio's delivery reports all read these rows."""
    message = OutboxMessage(to_number=to, to_digest=to_digest, body=body, kind=kind, backend=backend,
                            provider_sid=provider_sid, invitation_id=invitation_id,
                            status="queued" if provider_sid else None)
    if now is not None:
        message.created_at = now
    db.session.add(message)
    return message


def record_reply(to: str, to_digest: str, body: str, backend: str, now) -> None:
    """Keep a copy of a reply to a text a member sent, as ``record_text`` does, written at once
    with one statement: a reply is one row on the path of every inbound text, where a unit of
    work's flush costs more than the insert (the dispatcher's many texts go in one flush instead)."""
    db.session.execute(_INSERT_TEXT, {"to_number": to, "to_digest": to_digest, "body": body, "kind": "reply",
                                      "backend": backend, "created_at": now})


_INSERT_TEXT = sa.insert(OutboxMessage.__table__)
