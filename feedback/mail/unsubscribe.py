"""The unsubscribe link in every survey email, and what using it does.

Each email has a token of its own (192 random bits, only its SHA-256 kept, as survey links are),
so the link names nobody and cannot be guessed; whoever holds it may stop the emails to the
address it was sent to, which is what the link is for. Using it:

* records that the recipient (the partner contact, or the family member) unsubscribed, which the
  contact rules read before any later email (reason ``opted_out_email``);
* cancels their invitations still waiting to be sent by email;
* stops the reminders of invitations already sent by email.

It changes nothing about texts: a member who gets texts as well stops those by replying STOP.
The caller commits.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..survey.tokens import looks_like_token, new_token, token_hash
from ..waves.models import WAITING, Invitation
from ..waves.service import move
from .models import EmailMessage

#: The channel whose invitations the link stops (a partner contact has no other).
EMAIL_CHANNELS = ("email_link",)
#: Sent invitations whose reminders may still go.
REMINDABLE = ("sent", "opened", "started")
REASON = "opted_out_email"
CAUSE = "the recipient used the unsubscribe link in an email"


def new_unsubscribe_token() -> tuple[str, str]:
    """A fresh token for an email's unsubscribe link, and its SHA-256 (hex) to store."""
    token = new_token()
    return token, token_hash(token)


def find_email(token: str) -> EmailMessage | None:
    """The email whose unsubscribe link carries ``token``, or None."""
    if not looks_like_token(token):
        return None  # junk never reaches the database
    return db.session.scalar(sa.select(EmailMessage).where(EmailMessage.unsubscribe_hash == token_hash(token)))


def unsubscribe(token: str, now: datetime) -> bool:
    """Act on an unsubscribe link; False when no email carries ``token``.

    Using a link twice is harmless: the first time is the one recorded. An email whose invitation
    is gone (its family erased, its contact removed) has nobody left to email; the use is still
    recorded on the email.
    """
    email = find_email(token)
    if email is None:
        return False
    if email.unsubscribed_at is None:
        email.unsubscribed_at = now
    invitation = email.invitation
    if invitation is None:
        return True
    recipient = invitation.contact if invitation.contact_id is not None else invitation.member
    if recipient is None:
        return True
    if recipient.email_opted_out_at is None:
        recipient.email_opted_out_at = now
    for other in _email_invitations(invitation):
        if other.pending_send is not None:
            # A dispatcher holds it: leave it to that dispatcher, which checks the opt-out just
            # before sending (changing it here could be undone by the dispatcher's confirmation).
            continue
        if other.state in WAITING:
            other.next_send_at = None
            move(other, "cancelled", f"{REASON}: {CAUSE}", now, reason=REASON)
        elif other.state in REMINDABLE and other.next_send_at is not None:
            other.next_send_at = None
            move(other, other.state, "no more reminders: unsubscribed", now, reason=other.reason)
    return True


def _email_invitations(invitation: Invitation) -> list[Invitation]:
    """The recipient's invitations that go by email: every one of a contact's, or the member's
    on the email channel."""
    query = sa.select(Invitation).where(Invitation.state.in_((*WAITING, *REMINDABLE)))
    if invitation.contact_id is not None:
        query = query.where(Invitation.contact_id == invitation.contact_id)
    else:
        query = query.where(Invitation.member_id == invitation.member_id, Invitation.channel.in_(EMAIL_CHANNELS))
    return list(db.session.scalars(query.order_by(Invitation.id)))
