"""The dispatcher: one pass sends every text that is due, exactly once, obeying every contact rule.

Exactly once by construction: a batch of invitations is *claimed* in one statement (on
PostgreSQL ``FOR UPDATE SKIP LOCKED``, so parallel dispatchers take disjoint rows) and committed
before anything is sent. Just before a text is handed to the provider its claim is *taken*
(``send_started_at`` set, only if the claim is still this dispatcher's), durably no later than the
text: committed before each Twilio call, or in the same transaction as the outbox's texts. Each
send is then confirmed by clearing the claim.

A dispatcher that dies leaves its claims in place. Only a claim that was taken may have reached
the family: it shows as "unknown" to staff and is never sent again automatically, because a
second text to a family is worse than a missing one (a person resolves it: ``unknown.py``). A
claim never taken certainly did not: when it expires (``CLAIM_EXPIRES_AFTER_MINUTES``) it returns
to the queue. A dispatcher still alive but slower than that loses such claims to another and,
finding the claim no longer its own when it comes to take it, leaves them alone.
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..families.consent import Decision, in_force
from ..families.contact import ContactFacts, refusal
from ..families.eligibility import age_on
from ..families.models import Family, Member
from ..partners.models import PartnerContact
from ..instruments.wording import response_wording_hash
from ..publishing.service import publish
from ..publishing.startup import current_catalogue
from ..survey.models import Response
from ..survey.tokens import new_token, token_hash
from ..timeutil import utcnow
from ..sms import conversations
from .caps import Caps
from .channels import ChannelBackend, SendFailed, record_text
from .messages import invitation_text, reminder_text
from .models import OPEN_STATES, SENDABLE, Invitation, InvitationEvent, claim_expired, state_in
from .scheduling import reminder_times
from .planning import contact_reason
from .service import current_schedules, move, partner_facts, plan_date_waves

UTC = ZoneInfo("UTC")
STAFF_CHANNELS = ("interview", "staff_task")
#: Channels the dispatcher sends texts for: a link, or the first question of a conversation.
TEXT_CHANNELS = ("sms_link", "sms_conversation")
#: Channels the dispatcher sends emails for.
EMAIL_CHANNELS = ("email_link",)
#: Every channel the dispatcher sends messages for (texts and emails are claimed and sent alike).
SENT_CHANNELS = TEXT_CHANNELS + EMAIL_CHANNELS
#: Back-off after the provider was busy or down: 5 minutes, doubling, at most 6 hours.
RETRY_FIRST, RETRY_MOST = timedelta(minutes=5), timedelta(hours=6)
#: Clears a claim, and the mark that its send began, together.
RELEASE = dict(pending_send=None, claimed_at=None, claimed_by=None, send_started_at=None)


class DispatchStopped(RuntimeError):
    """The provider refuses our account or sender: every text would fail alike, so the pass stops
    (no family's invitation is failed for it) until an administrator fixes the settings."""


@dataclass
class PassResult:
    expired: int = 0
    due: int = 0
    tasks: int = 0
    sent: int = 0
    reminders: int = 0
    cancelled: int = 0
    deferred: int = 0
    failed: int = 0
    #: Claims another dispatcher took over (ours had expired) before this one came to send them.
    lost: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: "PassResult") -> None:
        for name in ("expired", "due", "tasks", "sent", "reminders", "cancelled", "deferred", "failed", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


@dataclass(frozen=True)
class Senders:
    """The backends one pass sends through: texts (``ChannelBackend``) and emails (``Mailer``)."""

    sms: ChannelBackend
    mail: object

    @property
    def transactional(self) -> bool:
        """Both keep their messages in the database transaction: a batch may be confirmed at once."""
        return self.sms.transactional and self.mail.transactional


def dispatch_once(backend: ChannelBackend, now: datetime | None = None, batch_size: int = 500,
                  worker: str | None = None, mailer=None) -> PassResult:
    """One pass: plan date-anchored waves, expire closed windows, mark opened windows due, issue
    staff tasks, send texts and emails. ``mailer`` defaults to the configured one (``mail.backends``)."""
    now = now or utcnow()
    worker = worker or uuid.uuid4().hex
    result = PassResult()
    if mailer is None:
        from ..mail.backends import mailer_for

        mailer = mailer_for(current_app.config["FEEDBACK_SETTINGS"].mail)
    senders = Senders(backend, mailer)
    _publish_scheduled_instruments()
    # Pauses past their last day are lifted first, so this pass plans and sends what they held back.
    from ..families.service import end_due_pauses, local_today  # families.service imports waves

    end_due_pauses(local_today(now))
    db.session.commit()
    plan_date_waves(now.date())
    result.expired = _bulk_move(list(OPEN_STATES), "expired", "window closed",
                                Invitation.closes_at <= now)
    result.due = _bulk_move(["planned"], "due", "window opened", Invitation.opens_at <= now)
    result.tasks = _issue_staff_tasks(now)
    while True:
        claimed = _claim(now, batch_size, worker)
        if not claimed:
            break
        result.add(_send_claimed(claimed, senders, now, worker))
    return result


def _publish_scheduled_instruments() -> None:
    """Publish every instrument a schedule sends, in a short transaction of its own, before any
    batch: parallel dispatchers publishing mid-batch would wait on each other's inserts."""
    catalogue = current_catalogue()
    for instrument_id in sorted({send.instrument for schedule in current_schedules().values()
                                 for wave in schedule.waves for send in wave.sends}):
        publish(catalogue.latest(instrument_id))
    db.session.commit()


def _bulk_move(from_states: list[str], to_state: str, cause: str, condition) -> int:
    """Move every unclaimed invitation matching ``condition`` and record one event each."""
    now = utcnow()
    total = 0
    while True:
        rows = db.session.execute(
            sa.select(Invitation.id, Invitation.state)
            .where(state_in(from_states), Invitation.pending_send.is_(None), condition)
            .limit(5000).with_for_update(skip_locked=True)
        ).all()
        if not rows:
            db.session.commit()
            return total
        ids = [row.id for row in rows]
        db.session.execute(sa.insert(InvitationEvent), [
            {"invitation_id": row.id, "at": now, "from_state": row.state, "to_state": to_state, "cause": cause}
            for row in rows
        ])
        db.session.execute(sa.update(Invitation).where(Invitation.id.in_(ids))
                           .values(state=to_state, updated_at=now, reason=None), execution_options={"synchronize_session": False})
        db.session.commit()
        total += len(rows)


def _issue_staff_tasks(now: datetime) -> int:
    """Due interviews and key-worker assessments get a response to fill in, shown on staff lists."""
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.state == "due", Invitation.channel.in_(STAFF_CHANNELS),
                                    Invitation.response_id.is_(None)).limit(1000).with_for_update(skip_locked=True)
        .options(selectinload(Invitation.member))
    ).all()
    versions = {}
    for invitation in invitations:
        response, _token = _new_response(invitation, versions, "interview" if invitation.channel == "interview" else "staff")
        invitation.response = response
    db.session.commit()
    return len(invitations)


def _new_response(invitation: Invitation, versions: dict, mode: str) -> tuple[Response, str]:
    instrument = current_catalogue().latest(invitation.instrument_id)
    version = versions.get(instrument.key) or versions.setdefault(instrument.key, publish(instrument))
    token = new_token()
    member = invitation.member
    response = Response(
        token_hash=token_hash(token), instrument_version_id=version.id, instrument_id=instrument.id,
        version=instrument.version, content_hash=instrument.content_hash, mode=mode,
        language=member.language if member else None, family_id=invitation.family_id,
        wording_hash=response_wording_hash(instrument, member.language if member else None),
        member_id=invitation.member_id, wave=invitation.wave, expires_at=invitation.closes_at,
    )
    # No flush here: the batch's responses are inserted together when it commits (one statement
    # per table instead of one round trip per text, the dispatcher's main cost).
    db.session.add(response)
    return response, token


def _claim(now: datetime, batch_size: int, worker: str) -> list[int]:
    """Claim up to ``batch_size`` texts that are due: unclaimed ones, and ones whose claim expired
    before its send began (a dispatcher stopped). A claim whose send began is never taken here."""
    claimable = sa.or_(Invitation.pending_send.is_(None), claim_expired(now))
    candidates = db.session.execute(
        sa.select(Invitation.id, Invitation.state, Invitation.pending_send)
        .where(claimable, Invitation.channel.in_(SENT_CHANNELS), state_in(SENDABLE), Invitation.next_send_at <= now)
        .order_by(Invitation.next_send_at, Invitation.id).limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        db.session.commit()
        return []
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id.in_([row.id for row in candidates]), claimable)
        .values(pending_send=sa.case((Invitation.state == "due", "invitation"), else_="reminder"),
                claimed_at=now, claimed_by=worker, send_started_at=None)
        .returning(Invitation.id),
        execution_options={"synchronize_session": False},
    ).scalars().all()
    claimed_ids = set(claimed)
    taken_over = [row for row in candidates if row.pending_send is not None and row.id in claimed_ids]
    if taken_over:  # rare: say in each history that an earlier claim lapsed unsent
        db.session.execute(sa.insert(InvitationEvent), [
            {"invitation_id": row.id, "at": now, "from_state": row.state, "to_state": row.state,
             "cause": "claimed again: the dispatcher that claimed it stopped before sending"} for row in taken_over
        ])
    db.session.commit()
    return list(claimed)


def _take(ids: list[int], worker: str, now: datetime) -> list[int]:
    """Mark the sends of these claims as begun, if the claims are still ``worker``'s and not begun:
    the ids of those marked. Not committed here: the caller commits it no later than the text."""
    if not ids:
        return []
    return list(db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id.in_(ids), Invitation.claimed_by == worker, Invitation.pending_send.is_not(None),
               Invitation.send_started_at.is_(None))
        .values(send_started_at=now).returning(Invitation.id),
        execution_options={"synchronize_session": False},
    ).scalars().all())


def _send_claimed(ids: list[int], senders: Senders, now: datetime, worker: str) -> PassResult:
    result = PassResult()
    if senders.transactional:
        # Texts and marks commit together (or roll back together): take the whole batch at once.
        taken = _take(ids, worker, now)
        result.lost = len(ids) - len(taken)
        ids = taken
    invitations = db.session.scalars(
        sa.select(Invitation).where(Invitation.id.in_(ids)).order_by(Invitation.id).options(
            selectinload(Invitation.member).selectinload(Member.consents),
            selectinload(Invitation.family).selectinload(Family.pauses),
            selectinload(Invitation.contact).selectinload(PartnerContact.agency),
        ).execution_options(populate_existing=True)
    ).all()
    schedules = current_schedules()
    settings = current_app.config["FEEDBACK_SETTINGS"]
    base_url = public_base_url(settings)
    versions: dict = {}
    events: list[dict] = []  # every transition of the batch, inserted in one statement
    caps = Caps(invitations, now, settings.sms)
    for index, invitation in enumerate(invitations):
        try:
            outcome = _send_one(invitation, senders, now, schedules[invitation.schedule_id], base_url, versions,
                                events, caps, worker)
        except DispatchStopped:
            _release_untried(invitations[index:], worker)
            _commit(events)
            raise
        if outcome.startswith("cancelled:"):
            result.cancelled += 1
            reason = outcome.split(":", 1)[1]
            result.reasons[reason] = result.reasons.get(reason, 0) + 1
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)
        if not senders.transactional:
            _commit(events)  # confirm each message the moment the provider took it
    _commit(events)
    return result


def _release_untried(invitations: list[Invitation], worker: str) -> None:
    """Give back the rest of a batch the provider stopped: nothing was sent to any of them. Those
    not taken yet are released only if still ours (another dispatcher may hold an expired one)."""
    untaken = [invitation.id for invitation in invitations if invitation.send_started_at is None]
    for invitation in invitations:
        if invitation.send_started_at is not None:
            _update(invitation, **RELEASE)
    if untaken:
        db.session.execute(sa.update(Invitation).where(Invitation.id.in_(untaken), Invitation.claimed_by == worker,
                                                       Invitation.send_started_at.is_(None)).values(**RELEASE),
                           execution_options={"synchronize_session": False})


def _commit(events: list[dict]) -> None:
    if events:
        db.session.execute(sa.insert(InvitationEvent), events)
        events.clear()
    db.session.commit()


def _send_one(invitation: Invitation, senders: Senders, now: datetime, schedule, base_url: str,
              versions: dict, events: list[dict], caps: Caps, worker: str) -> str:
    if not senders.transactional:
        # Take this claim alone (committed just before its text goes): the rest of the batch stays
        # untaken, so if this process dies only this text can be in doubt.
        if not _take([invitation.id], worker, now):
            return "lost"
        set_committed_value(invitation, "send_started_at", now)
    kind = invitation.pending_send
    release = RELEASE
    if invitation.closes_at <= now:
        _update(invitation, **release)
        move(invitation, "expired", "window closed", now, log=events)
        return "expired"
    quiet = schedule.quiet_hours
    if not quiet.allows(now.replace(tzinfo=UTC)):
        _update(invitation, next_send_at=quiet.next_allowed(now.replace(tzinfo=UTC)).replace(tzinfo=None), **release)
        return "deferred"
    member = invitation.member
    reason = _refusal(invitation, now)
    if reason:
        _update(invitation, next_send_at=None, **release)
        move(invitation, "cancelled", f"{reason}: checked before sending", now, reason=reason, log=events)
        return f"cancelled:{reason}"
    if invitation.channel in EMAIL_CHANNELS:
        return _send_email(invitation, kind, senders, now, schedule, base_url, versions, events)
    backend = senders.sms
    capped = caps.check(invitation, quiet)
    if capped:
        cause, later = capped
        if later is not None and later < invitation.closes_at:
            _update(invitation, next_send_at=later, **release)
            move(invitation, invitation.state, f"held back: {cause}", now, log=events)
            return "deferred"
        _update(invitation, next_send_at=None, **release)
        if kind == "invitation":
            move(invitation, "cancelled", f"text_cap: {cause}", now, reason="text_cap", log=events)
            return "cancelled:text_cap"
        move(invitation, invitation.state, f"no more reminders: {cause}", now, log=events)
        return "deferred"
    body = _compose(invitation, kind, base_url, versions)
    if not backend.transactional:
        # The link must work before the text can reach anyone, whatever happens to this process next.
        _commit(events)
    try:
        sid = backend.send(member.phone, body, invitation.id, kind)
    except SendFailed as failure:
        return _failed(invitation, failure, now, schedule, events)
    record_text(member.phone, member.phone_digest, body, kind, backend.name, sid, invitation.id, now)
    caps.sent(invitation, quiet)
    invitation.send_attempts = 0
    _record_sent(invitation, kind, now, schedule, "text sent", log=events)
    return "sent" if kind == "invitation" else "reminders"


def _compose(invitation: Invitation, kind: str, base_url: str, versions: dict) -> str:
    """The text to send: a link, or (for an SMS conversation) its opening and first question; a
    reminder repeats the link, or the question waiting for an answer."""
    member = invitation.member
    if invitation.channel == "sms_conversation":
        if kind == "invitation":
            response, _token = _new_response(invitation, versions, "sms")
            invitation.response = response
            return conversations.open_conversation(invitation, response)
        return conversations.reminder(invitation)
    link = _web_link(invitation, kind, versions, base_url)
    if kind == "invitation":
        instrument = current_catalogue().latest(invitation.instrument_id)
        return invitation_text(member.language, link, instrument.estimated_minutes)
    return reminder_text(member.language, link)


def _web_link(invitation: Invitation, kind: str, versions: dict, base_url: str) -> str:
    """The survey link an invitation (or its reminder) carries. The first message makes it: a new
    response and its token, or, for an anonymous send, only a token that leads to the invitation
    (``survey/anonymous.py`` makes an unlinked response when it is opened). Reminders repeat it."""
    if kind == "invitation":
        if invitation.anonymous:
            token = new_token()
            invitation.link_hash = token_hash(token)
        else:
            response, token = _new_response(invitation, versions, "web")
            invitation.response = response
        invitation.link_token = token
    return f"{base_url}/s/{invitation.link_token}"


def _send_email(invitation: Invitation, kind: str, senders: Senders, now: datetime, schedule, base_url: str,
                versions: dict, events: list[dict]) -> str:
    """Send an invitation, or its reminder, by email: the same claim, checks and confirmation as a text."""
    from ..mail.backends import record_email
    from ..mail.compose import invitation_email
    from ..mail.unsubscribe import new_unsubscribe_token

    settings = current_app.config["FEEDBACK_SETTINGS"]
    contact, member = invitation.contact, invitation.member
    address, digest = (contact.email, contact.email_digest) if contact else (member.email, member.email_digest)
    language = member.language if member else "en"
    link = _web_link(invitation, kind, versions, base_url)
    unsubscribe, unsubscribe_hash = new_unsubscribe_token()
    instrument = current_catalogue().latest(invitation.instrument_id)
    message = invitation_email(
        to=address, language=language, kind=kind, link=link, minutes=instrument.estimated_minutes,
        organisation=settings.organisation.in_language(language), sender=settings.mail.sender,
        reply_to=settings.mail.reply_to, unsubscribe_url=f"{base_url}/u/{unsubscribe}",
        domain=urlsplit(base_url).hostname or "localhost",
    )
    mailer = senders.mail
    if not mailer.transactional:
        _commit(events)  # the link must work before the email can reach anyone
    try:
        mailer.send(message)
    except SendFailed as failure:
        return _email_failed(invitation, failure, now, schedule, events)
    record_email(message, to_digest=digest, kind=kind, backend=mailer.name, invitation_id=invitation.id,
                 unsubscribe_hash=unsubscribe_hash, now=now)
    invitation.send_attempts = 0
    _record_sent(invitation, kind, now, schedule, "email sent", log=events)
    return "sent" if kind == "invitation" else "reminders"


def _email_failed(invitation: Invitation, failure: SendFailed, now: datetime, schedule, events: list[dict]) -> str:
    """The mail server refused the email or the connection failed: act on what it says."""
    if failure.kind == "unknown":
        # It may have been delivered: keep the claim, so a person checks (shown as "unknown").
        return "failed"
    if failure.kind == "invalid_address":
        # A hard bounce at send: the address is marked, and nothing more goes to it.
        if invitation.contact is not None:
            invitation.contact.email_failed_at = now
            invitation.contact.email_failure = str(failure)[:500]
        else:
            invitation.member.email_invalid = True
        _update(invitation, next_send_at=None, **RELEASE)
        move(invitation, "failed", f"send failed: {failure}"[:200], now, reason="email_invalid", log=events)
        return "failed"
    if failure.kind == "configuration":
        # Our account or sender is refused: every email would fail alike, but texts need not stop.
        # Held back (not failed) until an administrator fixes the mail settings.
        current_app.logger.error("Email held back: the mail server refuses the app's settings: %s", failure)
        _update(invitation, next_send_at=now + RETRY_MOST, **RELEASE)
        move(invitation, invitation.state, f"held back: the mail server refused our settings ({failure})"[:200], now,
             log=events)
        return "deferred"
    return _failed(invitation, failure, now, schedule, events)


def _failed(invitation: Invitation, failure: SendFailed, now: datetime, schedule, events: list[dict]) -> str:
    """The provider refused or could not be reached: act on what the refusal says about the member."""
    release = RELEASE
    member = invitation.member
    if failure.kind == "unknown":
        # It may have reached the family: keep the claim, so a person checks (shown as "unknown").
        return "failed"
    if failure.kind == "configuration":
        raise DispatchStopped(str(failure))
    if failure.kind == "opted_out":
        _update(invitation, next_send_at=None, **release)
        from ..families.service import opt_out  # families → waves imports run the other way too

        opt_out(member, f"the provider reports the number opted out (error {failure.code})", None, now)
        return "cancelled:opted_out"
    if failure.kind == "invalid_number":
        member.phone_invalid = True
        _update(invitation, next_send_at=None, **release)
        move(invitation, "failed", f"send failed: {failure}", now, reason="phone_invalid", log=events)
        return "failed"
    if not failure.permanent:
        invitation.send_attempts += 1
        wait = min(RETRY_FIRST * 2 ** (invitation.send_attempts - 1), RETRY_MOST)
        retry = schedule.quiet_hours.next_allowed((now + wait).replace(tzinfo=UTC)).replace(tzinfo=None)
        if retry < invitation.closes_at:
            _update(invitation, next_send_at=retry, **release)
            return "failed"
    _update(invitation, next_send_at=None, **release)
    move(invitation, "failed", f"send failed: {failure}", now, log=events)
    return "failed"


def _record_sent(invitation: Invitation, kind: str, now: datetime, schedule, cause: str,
                 actor_id: int | None = None, log: list[dict] | None = None) -> None:
    """Confirm a send: clear the claim, record it, and set when the next reminder (if any) is due."""
    _update(invitation, **RELEASE)
    if kind == "invitation":
        invitation.sent_at = invitation.sent_at or now
        move(invitation, "sent", cause, now, actor_id, log=log)
    else:
        invitation.reminders_sent += 1
        move(invitation, invitation.state, f"reminder {invitation.reminders_sent}: {cause}", now, actor_id, log=log)
    times = reminder_times(invitation.sent_at.replace(tzinfo=UTC), schedule.reminders.after_days,
                           schedule.reminders.limit, invitation.closes_at.replace(tzinfo=UTC), schedule.quiet_hours)
    later = times[invitation.reminders_sent:]
    invitation.next_send_at = later[0].replace(tzinfo=None) if later else None


def _update(invitation: Invitation, **values) -> None:
    for name, value in values.items():
        setattr(invitation, name, value)


def _refusal(invitation: Invitation, now: datetime) -> str | None:
    """Why this invitation must not be sent now (a code of ``planning.REASONS``), or None."""
    if invitation.contact is not None:
        return contact_reason(partner_facts(invitation.contact))
    return refusal(contact_facts(invitation, now))


def contact_facts(invitation: Invitation, now: datetime) -> ContactFacts:
    """Everything the contact rules need, read fresh from the database just before sending."""
    member, family = invitation.member, invitation.family
    age = None
    if member.birth_year and member.birth_month:
        age = age_on(member.birth_year, member.birth_month, now.date())
    decisions = [Decision(c.purpose, c.party, c.given, c.recorded_at) for c in member.consents]
    return ContactFacts(
        family_status=family.status, channel=invitation.channel,
        participation_consent=in_force(decisions, "participation", member.role, age),
        sms_consent=in_force(decisions, "sms", member.role, age),
        paused=any(pause.covers(member.id) for pause in family.pauses),
        opted_out=member.opted_out_at is not None, has_phone=bool(member.phone), phone_invalid=member.phone_invalid,
        email_consent=in_force(decisions, "email", member.role, age), has_email=bool(member.email),
        email_invalid=member.email_invalid, email_opted_out=member.email_opted_out_at is not None,
    )


def public_base_url(settings) -> str:
    if settings.public_base_url:
        return settings.public_base_url
    if settings.production:
        raise RuntimeError("FEEDBACK_PUBLIC_BASE_URL is not set: texts need the address families open links at.")
    # Outside production, where ``flask run`` serves the app (its own settings, with its defaults).
    host = os.environ.get("FLASK_RUN_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('FLASK_RUN_PORT', '5000')}"


def claim_and_send(invitation: Invitation, senders: Senders, now: datetime, actor_id: int | None):
    """Send one invitation now for a member of staff: made due, claimed as the dispatcher claims
    (only by its holder, so a dispatcher already on it wins) and sent through the dispatcher's own
    path, whose checks (consent, opt-out, pause, quiet hours, caps) run again. ``None`` when a
    dispatcher holds it already; otherwise what ``_send_claimed`` did. A ``None`` ``senders.mail``
    is the configured mailer."""
    if invitation.state == "planned":
        move(invitation, "due", "window opened", now)
    invitation.next_send_at = now
    db.session.add(InvitationEvent(invitation=invitation, at=now, from_state=invitation.state,
                                   to_state=invitation.state, cause="send now requested", actor_id=actor_id))
    db.session.commit()
    invitation_id = invitation.id
    worker = f"staff-{actor_id}-{uuid.uuid4().hex[:16]}"  # unique: the claim is taken only by its holder
    claimed = db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation_id, Invitation.pending_send.is_(None),
                                    Invitation.state == "due")
        .values(pending_send="invitation", claimed_at=now, claimed_by=worker)
        .returning(Invitation.id), execution_options={"synchronize_session": False},
    ).scalars().all()
    db.session.commit()
    if not claimed:
        return None
    db.session.expire_all()
    if senders.mail is None:
        from ..mail.backends import mailer_for

        senders = Senders(senders.sms, mailer_for(current_app.config["FEEDBACK_SETTINGS"].mail))
    return _send_claimed(claimed, senders, now, worker)


def send_now(invitation_id: int, backend: ChannelBackend, actor_id: int | None) -> str:
    """Staff asked for one invitation to go now. Same claim and the same checks as the dispatcher,
    so a member who must not be contacted is not; returns what happened, for the staff page."""
    now = utcnow()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation.channel != "sms_link":
        return "Only invitations sent by text can be sent now."
    if invitation.state not in ("planned", "due"):
        return f"Not sent: the invitation is {invitation.display_state}."
    if invitation.opens_at > now:
        return "Not sent: the wave's window has not opened yet."
    schedule = current_schedules()[invitation.schedule_id]
    if not schedule.quiet_hours.allows(now.replace(tzinfo=UTC)):
        return "Not sent: it is quiet hours. The dispatcher will send it when they end."
    result = claim_and_send(invitation, Senders(backend, None), now, actor_id)
    if result is None:
        return "Not sent: a dispatcher is sending it already."
    if result.sent:
        return "Sent."
    if result.cancelled:
        reason = next(iter(result.reasons))
        return f"Not sent, and cancelled: {reason.replace('_', ' ')}."
    return "Not sent: the text could not be delivered to the provider; see the invitation's history."

