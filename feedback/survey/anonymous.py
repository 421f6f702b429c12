"""Anonymous sends: the emailed link leads to an invitation, and opening it makes a response that
nothing in the database links back to the invitation or to the person invited.

A send marked ``anonymous: true`` (the partner survey) makes no response when it goes: the
dispatcher keeps the link token T's hash on the invitation (``Invitation.link_hash``) and emails
``/s/<T>``. Opening that link (``follow_link``) makes a fresh response with a token R of its own
(no family, member or contact) and sends the browser on to ``/s/<R>``, where it is answered like
any other. The only record of which link led to which response is in the respondent's own
session cookie; when the answers are sent (``link_answered``) the invitation is marked completed,
"responded: yes", so reminders stop, and the cookie forgets the pair.

What could still tie a response to an invitation, and what is done about it:

- Times. An anonymous response's times (its own, its answers' and its scores') are written only
  to the day, UTC midnight (``recorded_now``), never more exactly, even for a moment; so are the
  invitation's "opened" and "completed" events and its ``updated_at``.
- Transactions. The response and the invitation are never written in the same transaction, so on
  PostgreSQL no row of one carries the other's transaction id (``xmin``). Keep the server's
  ``track_commit_timestamp`` off: it would date every row's last write to the microsecond.
- Order. Row ids and transaction ids are handed out in order: on a day with few respondents the
  order in which responses were made or sent can be matched with the order in which invitations
  were opened or completed, and the two transactions of one opening usually have neighbouring
  ids. Only a day with several respondents hides one among them. Whoever holds the database's
  files rather than its tables (dead row versions, the write-ahead log) sees more still. What
  leaves the database does not carry that order: an export's rows go by the responses' keyed
  pseudonyms (``exports.runner._row_order``), not by id or completion time.
- Outside the database, a web server's access log shows ``/s/<T>`` then ``/s/<R>`` from one address
  in one second: keep survey paths out of access logs, or keep those logs briefly.
- Opening the emailed link in another browser (or after closing this one) makes a new, empty
  response: nothing can find the first, so the welcome page asks the respondent to bookmark
  theirs. Answers sent from a browser that never opened the emailed link do not mark the
  invitation, and a reminder may still come.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, session

from ..extensions import db
from ..instruments.wording import response_wording_hash
from ..publishing.service import publish
from ..publishing.startup import current_catalogue
from ..timeutil import utcnow
from ..waves.models import Invitation
from ..waves.service import move
from .models import Response
from .tokens import looks_like_token, new_token, token_hash

#: The session's map from an opened link's hash to the token of the response it made.
SESSION_KEY = "anonymous"
#: States in which an anonymous invitation's link still leads to a survey.
LINK_OPEN = ("due", "sent", "opened", "started")


@dataclass(frozen=True)
class Followed:
    """Where an anonymous link leads: a response's token, or why it is closed."""

    token: str | None = None
    #: "completed" (answered from this link) or "expired" (window closed, or cancelled or failed).
    closed: str | None = None


def today(now: datetime | None = None) -> datetime:
    """Midnight (UTC) of the day: the only time kept of anything an anonymous respondent did."""
    return (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)


def recorded_now(response) -> datetime:
    """The time to write on a response, its answers and scores: to the day when it is anonymous.

    ``response`` may be a ``service.ResponseRef`` (an SMS reply), which is never anonymous.
    """
    now = utcnow()
    return today(now) if getattr(response, "anonymous", False) else now


def link_invitation(token: str) -> Invitation | None:
    """The anonymous invitation whose emailed link this is, or None."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.link_hash == token_hash(token),
                                                         Invitation.anonymous.is_(True)))


def follow_link(token: str, begin: bool = True, language: str | None = None) -> Followed | None:
    """Open an anonymous invitation's link; None when ``token`` is not one.

    A completed invitation, or one whose window closed (or that was cancelled or failed), makes
    nothing. Otherwise the response this browser made from the link before is resumed, if it is
    still open; else, with ``begin``, a new anonymous response is made (in ``language``) and the
    invitation moves on to "opened". Without ``begin`` nothing is made: ``Followed()`` says the
    link is ready to begin. Merely fetching the emailed link never begins it (``views``): mail
    scanners fetch every link in an email, and would each make a response.
    """
    invitation = link_invitation(token)
    if invitation is None:
        return None
    link_hash = invitation.link_hash
    if invitation.state == "completed":
        return Followed(closed="completed")
    if invitation.state not in LINK_OPEN or invitation.closes_at <= utcnow():
        return Followed(closed="expired")
    earlier = _remembered().get(link_hash)
    if earlier is not None:
        response = db.session.scalar(sa.select(Response).filter_by(token_hash=token_hash(earlier)))
        if response is not None and response.status == "completed":
            # Sent from here, but the invitation was not marked then (the redirect never came back).
            _forget(link_hash)
            mark(invitation, "completed")
            db.session.commit()
            return Followed(closed="completed")
        if response is not None and not response.is_expired():
            return Followed(token=earlier)
    if not begin:
        return Followed()
    response_token = new_unlinked_response(invitation, language)
    db.session.commit()
    # The invitation in a transaction of its own (see the module's notes on transactions).
    mark(invitation, "opened")
    db.session.commit()
    _remember(link_hash, response_token)
    return Followed(token=response_token)


def link_answered(response_token_hash: str) -> None:
    """The anonymous response with this token hash was sent: if this browser opened it from an
    invitation's link, mark that invitation completed (no more reminders) and forget the pair.

    Commits; call it after the response's own completion has been committed, never with it.
    """
    if not has_request_context():
        return
    link_hash = next((link for link, response_token in _remembered().items()
                      if token_hash(response_token) == response_token_hash), None)
    if link_hash is None:
        return  # sent from a browser that did not open the emailed link: nothing knows which
    _forget(link_hash)
    invitation = db.session.scalar(sa.select(Invitation).filter_by(link_hash=link_hash))
    if invitation is not None:
        mark(invitation, "completed")
        db.session.commit()


def new_unlinked_response(invitation: Invitation, language: str | None = None) -> str:
    """A response owned by no one, for the invitation's instrument as now published; its token."""
    instrument = current_catalogue().latest(invitation.instrument_id)
    version = publish(instrument)
    response_token = new_token()
    db.session.add(Response(
        token_hash=token_hash(response_token), instrument_version_id=version.id, instrument_id=instrument.id,
        version=instrument.version, content_hash=instrument.content_hash, mode="web", anonymous=True,
        language=language if language in instrument.languages else None,
        wording_hash=response_wording_hash(instrument, language),
        family_id=None, member_id=None, contact_id=None, wave=invitation.wave, expires_at=invitation.closes_at,
        created_at=today(),
    ))
    return response_token


def mark(invitation: Invitation, to_state: str) -> None:
    """Move the invitation forward only ("opened" never undoes "completed"), timed to the day."""
    order = ("sent", "opened", "started", "completed")
    if invitation.state not in ("due", *order[:order.index(to_state)]):
        return
    move(invitation, to_state, f"respondent {to_state} the survey", now=today())
    if to_state == "completed":
        invitation.next_send_at = None


def _remembered() -> dict[str, str]:
    return dict(session.get(SESSION_KEY) or {})


def _remember(link_hash: str, response_token: str) -> None:
    # Reassigned, not changed in place: the session notices only a new value.
    session[SESSION_KEY] = {**_remembered(), link_hash: response_token}


def _forget(link_hash: str) -> None:
    links = _remembered()
    links.pop(link_hash, None)
    if links:
        session[SESSION_KEY] = links
    else:
        session.pop(SESSION_KEY, None)
