"""Invitations (one per recipient × wave × instrument), their history, and the console outbox."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import (Date, DateTime, FetchedValue, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import Encrypted
from ..extensions import db
from ..families.models import Family, Member
from ..partners.models import PartnerContact  # noqa: F401  (the relationship's target)
from ..staff import words
from ..survey.models import Response
from ..timeutil import utcnow

IDENTIFYING = {"identifying": True}

#: planned → due → sent → opened → started → completed; or expired, cancelled, failed.
STATES = ("planned", "due", "sent", "opened", "started", "completed", "expired", "cancelled", "failed")
#: The words staff pages show for each state (and "unknown"), and for what a send in doubt was
#: (``Invitation.pending_send``): ``staff.words``' tables, named here for older imports.
STATE_LABELS = words.STATE_LABELS
SEND_LABELS = {code: words.SEND_KIND_LABELS[code] for code in ("invitation", "reminder")}
#: States in which the invitation may still be re-planned or cancelled by the planner.
WAITING = ("planned", "due")
#: Waves named so are invitations staff sent now (``send_now``), outside every schedule: a re-plan
#: leaves them alone (the dispatcher still checks consent, opt-out and pauses when they go).
MANUAL_WAVE = "manual-"
#: States in which the window may still close on it.
OPEN_STATES = ("planned", "due", "sent", "opened", "started")
#: States in which a text (the invitation or a reminder) may still go.
SENDABLE = ("due", "sent", "opened", "started")
#: A completed invitation whose time to complete is known (sent, and its response completed):
#: the invitations response-rates' medians are taken over. SQL, as a partial index needs it.
FINISHED_WHERE = "state = 'completed' AND sent_at IS NOT NULL AND completed_at IS NOT NULL"
#: States of an invitation that was opened (states only move forward, so one in these was).
OPENED_STATES = ("opened", "started", "completed")
#: States of an invitation not opened now (it may have been once: one that expired after it was
#: opened, say), cancelled ones aside: the few whose events response-rates must look up.
UNOPENED_STATES = tuple(state for state in STATES if state not in (*OPENED_STATES, "cancelled"))


def _in(states) -> str:
    """``IN (...)`` with the states written out, as a partial index's predicate and the queries
    that must imply it need them."""
    return "IN (" + ", ".join(f"'{state}'" for state in states) + ")"


UNOPENED_WHERE = f"state {_in(UNOPENED_STATES)}"
#: An event of opening (or later): the events response-rates looks up, by invitation.
OPENING_WHERE = f"to_state {_in(OPENED_STATES)}"
#: A completed invitation (wave_sets reads each family's completed waves in family order).
COMPLETED_WHERE = "state = 'completed'"
#: A send begun this long ago and never confirmed is shown as "unknown": a person must check.
UNKNOWN_AFTER_MINUTES = 10
#: A claim this old whose send was never begun returns to the queue: its dispatcher stopped (or
#: is too slow to be trusted with it) before handing the text to anyone, so another may send it.
CLAIM_EXPIRES_AFTER_MINUTES = 10


class Invitation(db.Model):
    __tablename__ = "invitations"
    # The dispatcher's three questions each pass — what is due to send, whose window opened, whose
    # closed — read only partial indexes of invitations still in play, so a pass stays quick however
    # many years of finished invitations the table holds. The predicates repeat the queries' own
    # state lists (SENDABLE and OPEN_STATES, with the same tuples), which is what lets the database use them.
    __table_args__ = (
        UniqueConstraint("family_id", "schedule_id", "wave", "instrument_id", "recipient_key"),
        # A contact's invitations have no family (and NULLs never clash): one per wave's year instead.
        Index("uq_invitations_contact_wave", "contact_id", "schedule_id", "wave", "instrument_id", "due_on",
              unique=True, postgresql_where=text("contact_id IS NOT NULL"), sqlite_where=text("contact_id IS NOT NULL")),
        Index("ix_invitations_to_send", "next_send_at", "id", postgresql_where=text(f"state IN {SENDABLE}"),
              sqlite_where=text(f"state IN {SENDABLE}")),
        Index("ix_invitations_to_open", "opens_at", postgresql_where=text("state = 'planned'"),
              sqlite_where=text("state = 'planned'")),
        Index("ix_invitations_to_close", "closes_at", postgresql_where=text(f"state IN {OPEN_STATES}"),
              sqlite_where=text(f"state IN {OPEN_STATES}")),
        # response-rates' median days: a few values found by their place among a wave's completed
        # invitations' times to complete, each read from this index rather than by sorting them
        # all (``reports.medians``). The channel and family ride along for the filters, and both
        # times so that PostgreSQL answers from the index alone (it will not for an expression
        # whose columns the index cannot return).
        Index("ix_invitations_time_to_complete", "wave", text("(completed_at - sent_at)"),
              postgresql_include=["channel", "family_id", "sent_at", "completed_at"],
              postgresql_where=text(FINISHED_WHERE),
              sqlite_where=text(FINISHED_WHERE)),
        # response-rates' invitations once opened that are no longer: only these need their events
        # looked up, and this finds them without reading every invitation.
        Index("ix_invitations_unopened", "wave", "channel", postgresql_include=["family_id"],
              postgresql_where=text(UNOPENED_WHERE), sqlite_where=text(UNOPENED_WHERE)),
        # Which waves each family completed, read in family order without sorting (attrition).
        Index("ix_invitations_completed_waves", "family_id", "wave", postgresql_where=text(COMPLETED_WHERE),
              sqlite_where=text(COMPLETED_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for a partner-agency contact's invitation (no family is involved).
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    #: The partner-agency contact asked (date-anchored waves); None for families' invitations.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("partner_contacts.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: For staff tasks (the key worker's assessment), the member of staff who answers.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    #: ``m<member id>``, ``key_worker`` or ``c<contact id>``: one invitation per recipient, wave and
    #: instrument (and, for a contact, per year: see the partial unique index on ``due_on``).
    recipient_key: Mapped[str] = mapped_column(String(32))
    schedule_id: Mapped[str] = mapped_column(String(64))
    wave: Mapped[str] = mapped_column(String(64))
    instrument_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(24))
    due_on: Mapped[date] = mapped_column(Date)
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default="planned")
    reason: Mapped[str | None] = mapped_column(String(32))
    #: When the dispatcher should next act: the first send (not before quiet hours end) or a reminder.
    next_send_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    #: Failed attempts in a row (the provider was busy or down): sets the back-off before the next.
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Set when a dispatcher claims a send, cleared when it confirms; left set if it died between.
    pending_send: Mapped[str | None] = mapped_column(String(16))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    #: Set for a claimed send once the text is about to be handed to the provider, and made durable
    #: no later than the text itself (committed before a Twilio call; in the outbox's own
    #: transaction). Cleared with the claim. A claim with it set may have reached the family; a
    #: claim without it certainly did not, and returns to the queue when it expires.
    send_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Indexed: each response opened, started or completed finds its invitation by it.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"), index=True)
    #: The survey link's token, encrypted, so reminders can repeat the same link. Responses are
    #: still looked up only by the token's hash.
    link_token: Mapped[str | None] = mapped_column(Encrypted, info=IDENTIFYING)
    #: SHA-256 of ``link_token`` for an anonymous send, whose link leads to the invitation rather
    #: than to a response (``survey/anonymous.py``): the response is made when the link is opened
    #: and is never linked back.
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The send promised anonymity: no response is ever linked to this invitation.
    anonymous: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: When the response this invitation led to was completed; None while it is not. Kept by the
    #: database (triggers on ``invitations`` and ``responses``, migration ``a6c8e0f2b4d7``) for
    #: every way a response completes, is imported or is removed, so that response-rates reads
    #: times to complete without joining millions of responses. Never written by the app.
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=FetchedValue(),
                                                          server_onupdate=FetchedValue())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    family: Mapped[Family | None] = relationship()
    member: Mapped[Member | None] = relationship()
    contact: Mapped["PartnerContact | None"] = relationship()
    response: Mapped[Response | None] = relationship()
    events: Mapped[list[InvitationEvent]] = relationship(order_by="InvitationEvent.id", cascade="all, delete-orphan",
                                                         back_populates="invitation")

    def is_unknown(self, now: datetime | None = None) -> bool:
        """A send begun but never confirmed: it may or may not have reached the family. A claim
        whose send never began is not unknown: it goes back to the queue when it expires."""
        if self.pending_send is None or self.send_started_at is None:
            return False
        return ((now or utcnow()) - self.send_started_at).total_seconds() > UNKNOWN_AFTER_MINUTES * 60

    @property
    def site_id(self) -> int | None:
        """The family's site; None for a partner contact's invitation (it belongs to no site)."""
        return self.family.site_id if self.family is not None else None

    @property
    def display_state(self) -> str:
        return "unknown" if self.is_unknown() else self.state


class InvitationEvent(db.Model):
    """One transition of one invitation, with its time and cause."""

    __tablename__ = "invitation_events"
    __table_args__ = (
        # Whether an invitation no longer opened ever was, answered from the index alone.
        Index("ix_invitation_events_opened", "invitation_id", postgresql_where=text(OPENING_WHERE),
              sqlite_where=text(OPENING_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    invitation: Mapped[Invitation] = relationship(back_populates="events")


class OutboxMessage(db.Model):
    """Every text the app sent, whatever the backend: with the outbox backend this *is* the message
    (nothing leaves the app); with Twilio it is the record of what went, with Twilio's message id
    and the delivery status Twilio reports back."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    #: "invitation", "reminder" or "question" (started by the app, counted against the caps), or
    #: "reply" (an answer to a text the member sent).
    kind: Mapped[str] = mapped_column(String(16))
    to_number: Mapped[str] = mapped_column(Encrypted, info=IDENTIFYING)
    #: A keyed digest of the number, so the caps can count texts to it without decrypting anything.
    to_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The text holds the survey link, which is as good as a password: encrypted too.
    body: Mapped[str] = mapped_column(Encrypted, info=IDENTIFYING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    backend: Mapped[str] = mapped_column(String(16), default="outbox")
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Twilio's delivery status: queued, sent, delivered, undelivered, failed (None for the outbox).
    status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    status_at: Mapped[datetime | None] = mapped_column(DateTime)

    invitation: Mapped[Invitation | None] = relationship()


def in_doubt(now: datetime) -> sa.ColumnElement[bool]:
    """SQL for ``Invitation.is_unknown(now)``."""
    return sa.and_(Invitation.pending_send.is_not(None), Invitation.send_started_at.is_not(None),
                   Invitation.send_started_at < now - timedelta(minutes=UNKNOWN_AFTER_MINUTES))


def claim_expired(now: datetime) -> sa.ColumnElement[bool]:
    """A claim whose send never began and that is older than ``CLAIM_EXPIRES_AFTER_MINUTES``."""
    return sa.and_(Invitation.pending_send.is_not(None), Invitation.send_started_at.is_(None),
                   Invitation.claimed_at < now - timedelta(minutes=CLAIM_EXPIRES_AFTER_MINUTES))


def state_in(states) -> sa.ColumnElement[bool]:
    """``state IN (...)`` with the states written into the SQL rather than bound: a prepared
    statement's generic plan can then still prove the partial indexes' predicates and use them."""
    return Invitation.state.in_(sa.bindparam("states", list(states), expanding=True, literal_execute=True, unique=True))
