from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..timeutil import utcnow

#: The actions recorded. Kept in one place so the audit page and tests agree on the words.
ACTIONS = (
    "consent.recorded", "pause.started", "pause.lifted", "pause.ended", "family.erased", "family.viewed",
    "member.viewed", "invitation.cancelled", "invitation.sent_manually", "invitation.resolved",
    "outbox.viewed", "emails.viewed", "interview.opened", "export.run", "staff.created", "staff.signed_out", "staff.password_set",
    "staff.sign_in_slowed", "staff.two_factor_enrolled", "staff.recovery_code_used", "staff.two_factor_reset",
    "staff.deactivated", "staff.reactivated", "api.called", "api_client.created", "api_client.revoked",
    "member.opted_out", "member.opted_in",
    "report.unsuppressed", "report.unit_saving",
    "responses.imported", "families.imported",
    "export.downloaded", "export.expired",
    "contact.created", "contact.changed", "contacts.imported", "contacts.viewed",
)


class AuditEvent(db.Model):
    """One sensitive action. Rows are only ever added: see ``refuse_changes`` below."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    #: Facts about the action (never names or numbers: the subject id points to those).
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def refuse_changes(session, _flush_context, _instances):
    """The app may add audit events but never change or remove one."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEvent):
            raise AuditLogIsAppendOnly("audit events cannot be changed or deleted")
