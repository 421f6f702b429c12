"""Sends in doubt ("unknown"): a dispatcher handed a text to the provider and never learnt whether
it went. Only a person, after checking the provider's message log, may say which: one at a time on
the invitation's page, or many at once, with a reason, on the list of unknown sends or from
``flask invitations resolve-unknown``.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..audit.service import record
from ..extensions import db
from ..timeutil import utcnow
from .dispatcher import RELEASE, _record_sent, _update
from .models import Invitation, InvitationEvent, in_doubt
from .service import current_schedules

#: Long enough for "Twilio log checked 3 Dec: none of these reached Twilio (outage 14:02–14:09)".
REASON_MAX = 200
SENT_CAUSE = "staff confirmed the text was sent"
NOT_SENT_CAUSE = "staff found the text was not sent; released"


class ResolveRefused(ValueError):
    """A bulk resolution that cannot be recorded; the message says what to do instead."""


def unknown_invitations(now: datetime | None = None) -> sa.Select:
    """Every invitation whose send is in doubt, oldest send first."""
    return (sa.select(Invitation).where(in_doubt(now or utcnow()))
            .order_by(Invitation.send_started_at, Invitation.id))


def resolve_unknown(invitation: Invitation, reached: bool, actor_id: int | None, reason: str | None = None) -> None:
    """A person checked an "unknown" send with the provider: either it went (record it as sent) or it
    did not (release it, so the dispatcher sends it). Only a person may make that call."""
    now = utcnow()
    kind = invitation.pending_send
    because = f" ({reason})" if reason else ""
    if reached:
        _record_sent(invitation, kind, now, current_schedules()[invitation.schedule_id],
                     (SENT_CAUSE + because)[:200], actor_id)
        return
    _update(invitation, **RELEASE)
    db.session.add(InvitationEvent(invitation=invitation, at=now, from_state=invitation.state,
                                   to_state=invitation.state, cause=(NOT_SENT_CAUSE + because)[:200],
                                   actor_id=actor_id))


def checked_reason(reason: str | None) -> str:
    """The reason, trimmed; refused when missing or too long."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ResolveRefused("Give a reason: what you checked with the provider and what it showed. "
                             "It is kept in each invitation's history and the audit log.")
    if len(reason) > REASON_MAX:
        raise ResolveRefused(f"Shorten the reason to {REASON_MAX} characters or fewer (it has {len(reason)}).")
    return reason


def resolve_unknown_in_bulk(ids: list[int], reached: bool, reason: str | None, actor_id: int | None,
                            via: str) -> list[Invitation]:
    """Resolve every chosen invitation that is still unknown, the same way, for one reason; returns
    those resolved (an id no longer unknown, or not an invitation, is left alone). Writes one audit
    event ("invitation.resolved") per invitation, so each one's own trail shows it. Refused
    (``ResolveRefused``) without a reason or with nothing chosen. The caller commits."""
    reason = checked_reason(reason)
    if not ids:
        raise ResolveRefused("Choose at least one unknown invitation to resolve.")
    invitations = db.session.scalars(
        unknown_invitations().where(Invitation.id.in_(sorted(set(ids))))
        .options(selectinload(Invitation.family)).with_for_update(of=Invitation)
    ).all()
    for invitation in invitations:
        resolve_unknown(invitation, reached, actor_id, reason)
        record("invitation.resolved", invitation, invitation.site_id, actor_id=actor_id,
               reached=reached, reason=reason, via=via)
    return list(invitations)
