"""Writing audit events from anywhere in the app (views, CLI, dispatcher)."""
from __future__ import annotations

from flask import has_request_context
from flask_login import current_user

from ..extensions import db
from .models import ACTIONS, AuditEvent


def record(action: str, subject=None, site_id: int | None = None, actor_id: int | None = None, **detail) -> AuditEvent:
    """Add an audit event to the session; it is saved with the change it describes."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    event = AuditEvent(
        action=action, actor_id=actor_id, site_id=site_id, detail=detail,
        subject_type=type(subject).__tablename__ if subject is not None else None,
        subject_id=getattr(subject, "id", None),
    )
    db.session.add(event)
    return event
