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
    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


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
