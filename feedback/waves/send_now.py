"""One invitation, now, for one member and one instrument: ``flask invite`` (and, later, a staff page).

Nothing here decides who may be contacted: the contact rules are the dispatcher's own
(``dispatcher.contact_facts`` and ``families.contact.refusal``: the family's case open, consent in
force, no pause, not opted out, a number or address that works), checked once here so that a
refusal leaves nothing behind, and again by the dispatcher as it sends. Quiet hours are the
schedule's: in them the invitation waits, and the dispatcher sends it when they end.

- An invitation of this member for this instrument on this channel that is waiting in an open
  window (the schedule's own) is the one sent: no second text for the same wave.
- Otherwise an extra invitation is made, in the schedule that sends the instrument to family
  members (its quiet hours and reminders apply), in a wave of its own named ``manual-<time>``, with
  a window of ``WINDOW_DAYS`` days.
- ``print``: nothing is sent; the survey link is returned, for a face-to-face or paper handover.
  The link holds only the token (``/s/<token>``), never a name or a case reference.

Pure service over the models: no Click, no request; it commits (a send's claim must be durable
before the text goes, as in the dispatcher). The caller audits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from ..extensions import db
from ..families.contact import refusal
from ..families.models import Member
from ..publishing.startup import current_catalogue
from ..timeutil import utcnow
from .models import MANUAL_WAVE, WAITING, Invitation
from .planning import REASONS
from .service import current_schedules, move

UTC = ZoneInfo("UTC")
#: The channels an invitation may be asked for now.
CHANNELS = ("sms_link", "email_link", "print")
#: How long the link of an extra invitation stays open (the schedules' usual window).
WINDOW_DAYS = 28
#: The wave name of an extra invitation begins so; the rest is the moment it was made.


@dataclass(frozen=True)
class SendResult:
    #: "sent", "held" (quiet hours or the text caps: the dispatcher sends it later), "printed",
    #: "refused" (nothing made, nothing sent) or "failed" (the provider did not take it).
    state: str
    #: One sentence for staff, naming the member as staff pages do (never the number or address).
    message: str
    invitation: Invitation | None = None
    #: The survey link, for ``print`` only.
    link: str | None = None
    #: Why the contact rules refused it: a code of ``planning.REASONS`` (``refusal_words`` gives
    #: its words in the page's language; ``message`` is the command line's English).
    reason: str | None = None
    #: For "held": "quiet_hours", or "caps" (a limit on texts sent; the dispatcher sends it later).
    held_by: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("sent", "held", "printed")


def member_label(member: Member) -> str:
    """``Jo (C-1/mother)``: how the member is known, the family's case reference and the role."""
    known_as = member.name or (f"reference {member.member_ref}" if member.member_ref else "no name")
    return f"{known_as} ({member.family.case_ref}/{member.role})"


def send_now(member: Member, instrument_id: str, channel: str, actor_id: int | None, now: datetime | None = None,
             backend=None, mailer=None) -> SendResult:
    """Invite ``member`` to answer ``instrument_id`` now, on ``channel`` (see ``CHANNELS``).
    ``backend``/``mailer`` default to the configured ones; ``now`` is naive UTC."""
    from .dispatcher import contact_facts, public_base_url

    now = now or utcnow()
    who = member_label(member)
    if channel not in CHANNELS:
        return SendResult("refused", f"{channel!r} is not a channel: use one of {', '.join(CHANNELS)}.")
    try:
        instrument = current_catalogue().latest(instrument_id)
    except KeyError:
        return SendResult("refused", f"there is no instrument {instrument_id!r}: see `flask instruments list`.")
    if "web" not in instrument.modes:
        return SendResult("refused", f"{instrument_id} cannot be answered through a link (its modes: "
                                     f"{', '.join(instrument.modes)}); nothing sent.")
    schedule = _schedule_for(instrument_id)
    if schedule is None:
        return SendResult("refused", f"no schedule sends {instrument_id} to family members, so there are no quiet "
                                     "hours or reminders to send it by; nothing sent.")
    # The dispatcher's own rules, on an invitation not yet stored (nothing is left if refused).
    probe = Invitation(channel=channel)
    probe.member, probe.family = member, member.family
    reason = refusal(contact_facts(probe, now))
    if reason:
        return SendResult("refused", f"{who}: {_english(reason)}; nothing sent.", reason=reason)

    invitation = _waiting_invitation(member, instrument_id, channel, now) or _extra_invitation(
        member, instrument_id, channel, schedule.id, now, actor_id)
    schedule = current_schedules()[invitation.schedule_id]
    if channel == "print":
        return _print(invitation, now, actor_id, public_base_url(current_app.config["FEEDBACK_SETTINGS"]), who)

    quiet = schedule.quiet_hours
    if not quiet.allows(now.replace(tzinfo=UTC)):
        later = quiet.next_allowed(now.replace(tzinfo=UTC))
        if invitation.state == "planned":
            move(invitation, "due", "window opened", now, actor_id)
        invitation.next_send_at = later.replace(tzinfo=None)
        move(invitation, invitation.state, "send now asked for in quiet hours: held until they end", now, actor_id)
        db.session.commit()
        return SendResult("held", f"it is quiet hours: the invitation to {who} will send at "
                                  f"{_local(later, quiet.zone)}.", invitation, held_by="quiet_hours")
    return _send(invitation, now, actor_id, who, backend, mailer)


def _schedule_for(instrument_id: str):
    """The first schedule (by id) that sends the instrument to family members."""
    for schedule_id, schedule in sorted(current_schedules().items()):
        if any(send.instrument == instrument_id and send.to == "members"
               for wave in schedule.waves for send in wave.sends):
            return schedule
    return None


def _waiting_invitation(member: Member, instrument_id: str, channel: str, now: datetime) -> Invitation | None:
    """The member's invitation for this instrument and channel waiting in an open window, if any."""
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.member_id == member.id, Invitation.instrument_id == instrument_id,
                                    Invitation.channel == channel, Invitation.state.in_(WAITING),
                                    Invitation.pending_send.is_(None),
                                    Invitation.opens_at <= now, Invitation.closes_at > now)
        .order_by(Invitation.opens_at).limit(1))


def _extra_invitation(member: Member, instrument_id: str, channel: str, schedule_id: str, now: datetime,
                      actor_id: int | None) -> Invitation:
    invitation = Invitation(
        family_id=member.family_id, member_id=member.id, recipient_key=f"m{member.id}", schedule_id=schedule_id,
        wave=f"{MANUAL_WAVE}{now:%Y%m%d%H%M%S%f}", instrument_id=instrument_id, channel=channel, due_on=now.date(),
        opens_at=now, closes_at=now + timedelta(days=WINDOW_DAYS), state="due", next_send_at=now,
        created_at=now, updated_at=now)
    invitation.member, invitation.family = member, member.family
    db.session.add(invitation)
    move(invitation, "due", "asked for now by staff", now, actor_id)
    db.session.flush()
    return invitation


def _print(invitation: Invitation, now: datetime, actor_id: int | None, base_url: str, who: str) -> SendResult:
    from .dispatcher import _web_link

    link = _web_link(invitation, "invitation", {}, base_url)
    invitation.sent_at = invitation.sent_at or now
    invitation.next_send_at = None  # no reminders: nothing was texted or emailed
    move(invitation, "sent", "link printed for a face-to-face or paper handover", now, actor_id)
    db.session.commit()
    return SendResult("printed", f"the survey link for {who} (give it by hand; it opens their survey):",
                      invitation, link)


def _send(invitation: Invitation, now: datetime, actor_id: int | None, who: str, backend, mailer) -> SendResult:
    """Claim the invitation and send it through the dispatcher's own path (its checks again, the
    text caps, the provider's answer), as ``dispatcher.send_now`` does for a staff page."""
    from .channels import backend_for
    from .dispatcher import Senders, claim_and_send

    settings = current_app.config["FEEDBACK_SETTINGS"]
    if backend is None:
        backend = backend_for(settings)
    invitation_id = invitation.id
    result = claim_and_send(invitation, Senders(backend, mailer), now, actor_id)
    if result is None:
        return SendResult("failed", f"the invitation to {who} is being sent by a dispatcher already.", invitation)
    invitation = db.session.get(Invitation, invitation_id)
    how = "email" if invitation.channel == "email_link" else "text"
    if result.sent:
        return SendResult("sent", f"invitation sent to {who} by {how}.", invitation)
    if result.cancelled:
        reason = next(iter(result.reasons))
        return SendResult("refused", f"{who}: {_english(reason)}; nothing sent.", invitation, reason=reason)
    if result.deferred and invitation.next_send_at is not None:
        zone = current_schedules()[invitation.schedule_id].quiet_hours.zone
        return SendResult("held", f"held back ({invitation.events[-1].cause if invitation.events else 'caps'}): "
                                  f"the invitation to {who} will send at "
                                  f"{_local(invitation.next_send_at.replace(tzinfo=UTC), zone)}.", invitation,
                          held_by="caps")
    return SendResult("failed", f"the {how} to {who} could not be handed to the provider; see the invitation's "
                                "history.", invitation)


def refusal_words(reason: str | None):
    """A refusal's reason as words for a staff page: a lazy string (``_l``), read in the page's
    language when drawn; a code no table knows reads as words too ("text_cap" → "text cap")."""
    if not reason:
        return None
    return REASONS.get(reason) or reason.replace("_", " ")


def _english(reason: str) -> str:
    """The reason in English, for ``message`` (the command line, logs): never the page's language."""
    with force_locale("en"):
        return str(refusal_words(reason))


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """``09:00 on Mon 7 Dec 2026 (Europe/London)``."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b %Y} ({zone.key})"
