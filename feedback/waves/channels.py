"""Channel backends: how a text leaves the app. The outbox keeps it in the database instead."""
from __future__ import annotations

from typing import Protocol

from ..extensions import db
from .models import OutboxMessage


class ChannelBackend(Protocol):
    #: True when a send is part of the database transaction (it rolls back with it), so the
    #: dispatcher may confirm a whole batch in one commit.
    transactional: bool

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> str:
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
    """The default: "sent" texts are rows in ``outbox_messages``, visible to admins."""

    transactional = True

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> str:
        message = OutboxMessage(to_number=to, body=body, invitation_id=invitation_id, kind=kind)
        db.session.add(message)
        return "outbox"


def backend_for(name: str) -> ChannelBackend:
    if name == "outbox":
        return OutboxBackend()
    raise ValueError(f"unknown channel backend {name!r}")
