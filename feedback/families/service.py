"""Recording families, members, consent and pauses; each change re-plans the family's invitations."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..audit.service import record
from ..crypto import lookup_digest
from ..extensions import db
from ..survey.models import Answer, Response, Score
from ..timeutil import utcnow
from ..waves.models import Invitation, InvitationEvent, OutboxMessage
from ..waves.service import cancel_waiting
from ..waves.service import replan_family as _replan_now
from .models import Consent, ContactPause, Family, Member
from .phones import normalise_mobile


#: Where the service's days begin and end: a pause "until 1 March" lasts all of 1 March there.
SERVICE_ZONE = ZoneInfo("Europe/London")


def local_today(now: datetime | None = None) -> date:
    """The service's date (in the UK) at ``now`` (naive UTC, as stored; default: the present)."""
    return (now or utcnow()).replace(tzinfo=UTC).astimezone(SERVICE_ZONE).date()


class FamilyError(ValueError):
    """Bad input about a family: the message says what is wrong and what to do; nothing was saved."""


def check_dates(referral: date | None, entry: date | None, exit_: date | None) -> None:
    if entry and exit_ and exit_ < entry:
        raise FamilyError("The exit date is before the entry date. Check both dates.")
    if referral and entry and entry < referral:
        raise FamilyError("The entry date is before the referral date. Check both dates.")


def create_family(site_id: int, case_ref: str, key_worker_id: int | None, referral_date=None, entry_date=None,
                  exit_date=None, actor_id: int | None = None) -> Family:
    case_ref = case_ref.strip()
    if not case_ref:
        raise FamilyError("Enter the case reference.")
    check_dates(referral_date, entry_date, exit_date)
    taken = db.session.scalar(sa.select(Family.id).filter_by(site_id=site_id, case_ref=case_ref))
    if taken:
        raise FamilyError(f"Case reference {case_ref} is already used at this site. Check the reference.")
    family = Family(site_id=site_id, case_ref=case_ref, key_worker_id=key_worker_id, referral_date=referral_date,
                    entry_date=entry_date, exit_date=exit_date)
    db.session.add(family)
    db.session.flush()
    replan_family(family, "family recorded", actor_id)
    return family


def update_family(family: Family, expected_version: int, actor_id: int | None = None, **changes) -> dict:
    """Change dates, key worker or status, refusing if someone else saved the family meanwhile."""
    if family.version != expected_version:
        raise FamilyError("Someone else changed this family while you were editing. "
                          "Your changes were not saved: reload the page to see theirs, then make yours again.")
    merged = {name: changes.get(name, getattr(family, name))
              for name in ("referral_date", "entry_date", "exit_date")}
    check_dates(merged["referral_date"], merged["entry_date"], merged["exit_date"])
    for name, value in changes.items():
        setattr(family, name, value)
    return replan_family(family, "family dates changed", actor_id)


def set_phone(member: Member, typed: str | None) -> None:
    """Validate and store a mobile number (raises ``InvalidPhoneNumber`` with a message for staff).

    Only a different number clears the "does not work" mark: saving the member's name again must
    not make a failed number look usable.
    """
    number = normalise_mobile(typed) if typed and typed.strip() else None
    if number != member.phone:
        member.phone_invalid = False
    member.phone = number
    member.phone_digest = lookup_digest(number) if number else None


def set_email(member: Member, typed: str | None) -> None:
    """Store an email address (already checked by the form) trimmed and lower case, with its digest.

    As with the phone, only a different address clears the "refused by the mail server" mark.
    An unsubscribe is not cleared by a new address: it stays until staff clear it
    (``clear_email_opt_out``), as the member asked.
    """
    address = typed.strip().lower() if typed and typed.strip() else None
    if address != member.email:
        member.email_invalid = False
    member.email = address
    member.email_digest = lookup_digest(address) if address else None


def clear_email_opt_out(member: Member, actor_id: int | None) -> None:
    """Staff record that the member asked to be emailed again after unsubscribing; audited.

    The caller re-plans the family, so invitations cancelled by the unsubscribe come back where
    every other rule allows them.
    """
    if member.email_opted_out_at is not None:
        member.email_opted_out_at = None
        record("member.opted_in", member, member.family.site_id, actor_id, channel="email",
               cause="cleared by staff")


def add_member(family: Family, role: str, name: str | None, birth_year: int | None, birth_month: int | None,
               language: str, channel: str, phone: str | None, actor_id: int | None = None,
               member_ref: str | None = None, email: str | None = None,
               interview_times: str | None = None) -> Member:
    member = Member(family=family, role=role, name=name, birth_year=birth_year, birth_month=birth_month,
                    language=language, channel=channel, member_ref=member_ref, interview_times=interview_times)
    set_phone(member, phone)
    set_email(member, email)
    db.session.add(member)
    db.session.flush()
    replan_family(family, "member added", actor_id)
    return member


#: ``update_member``'s default for ``email``: leave the address on record as it is.
KEEP = object()


def update_member(member: Member, expected_version: int, phone: str | None, actor_id: int | None = None, *,
                  email: str | None | object = KEEP, clear_email_unsubscribe: bool = False, **changes) -> None:
    """Change a member; ``phone`` is the number they have afterwards (None: none), ``email`` the
    address (None: none; ``KEEP``, the default: the one on record)."""
    if member.version != expected_version:
        raise FamilyError("Someone else changed this member while you were editing. "
                          "Your changes were not saved: reload the page to see theirs, then make yours again.")
    for name, value in changes.items():
        setattr(member, name, value)
    set_phone(member, phone)
    if email is not KEEP:
        set_email(member, email)
    if clear_email_unsubscribe:
        clear_email_opt_out(member, actor_id)
    replan_family(member.family, "member changed", actor_id)


def record_consent(member: Member, purpose: str, party: str, given: bool, text_version: str,
                   actor_id: int | None) -> Consent:
    """Record a decision; a withdrawal cancels waiting invitations at once (and the dispatcher re-checks)."""
    decision = Consent(member=member, purpose=purpose, party=party, given=given, text_version=text_version,
                       recorded_at=utcnow(), recorded_by_id=actor_id)
    db.session.add(decision)
    record("consent.recorded", member, member.family.site_id, actor_id, purpose=purpose, party=party, given=given,
           text_version=text_version)
    replan_family(member.family, f"consent {'given' if given else 'withdrawn'} ({purpose}, {party})", actor_id)
    return decision


def opt_out(member: Member, cause: str, actor_id: int | None, now=None) -> int:
    """The member's number said STOP (or the provider says it did): no more texts, at once.

    Waiting invitations by text are cancelled; sent ones get no more reminders and any SMS
    conversation stops taking answers. A link already sent still works if the member chooses to
    use it. Telephone interviews are not texts and are left to the key worker, who sees the flag.
    Returns how many invitations were cancelled.
    """
    from ..sms.models import SmsConversation
    from ..waves.dispatcher import TEXT_CHANNELS
    from ..waves.service import move

    now = now or utcnow()
    if member.opted_out_at is None:
        member.opted_out_at = now
        record("member.opted_out", member, member.family.site_id, actor_id, cause=cause)
    invitations = db.session.scalars(sa.select(Invitation).where(
        Invitation.member_id == member.id, Invitation.channel.in_(TEXT_CHANNELS),
        Invitation.state.in_(("planned", "due", "sent", "opened", "started")))).all()
    cancelled = 0
    for invitation in invitations:
        invitation.next_send_at = None
        if invitation.state in ("planned", "due"):
            move(invitation, "cancelled", f"opted_out: {cause}", now, actor_id, reason="opted_out")
            cancelled += 1
    db.session.execute(sa.update(SmsConversation).where(
        SmsConversation.invitation_id.in_([i.id for i in invitations]), SmsConversation.closed_at.is_(None))
        .values(closed_at=now), execution_options={"synchronize_session": False})
    return cancelled


def opt_in(member: Member, cause: str, actor_id: int | None) -> dict:
    """Texts switched back on (START): invitations cancelled by the opt-out come back where consent
    and every other rule still allow them."""
    if member.opted_out_at is not None:
        member.opted_out_at = None
        record("member.opted_in", member, member.family.site_id, actor_id, cause=cause)
    return replan_family(member.family, f"opted in again: {cause}", actor_id)


def remember_language(member_ids: list[int], language: str) -> int:
    """The members chose ``language`` for their texts and links (by a keyword texted, or on a
    survey page): it becomes their preferred language. Returns how many changed.

    Refused (nothing changes, 0): a language the app does not speak. Not audited, as a page's
    language switch is not: it says nothing about the family. The version goes up, so a member
    form staff opened before the change reports a conflict rather than putting the old one back.
    """
    from ..languages import ui_languages

    if language not in ui_languages() or not member_ids:
        return 0
    changed = db.session.execute(
        sa.update(Member).where(Member.id.in_(member_ids), Member.language != language)
        .values(language=language, version=Member.version + 1))
    return changed.rowcount


def pause_contact(family: Family, member: Member | None, reason: str, actor_id: int | None,
                  ends_on: date | None = None) -> ContactPause:
    """Stop contacting the member (None: the whole family) from now until ``ends_on`` (its last day;
    None: until someone lifts it). Waiting invitations are cancelled at once."""
    pause = ContactPause(family=family, member_id=member.id if member else None, reason=reason.strip() or None,
                         started_at=utcnow(), started_by_id=actor_id, ends_on=ends_on)
    db.session.add(pause)
    until = {"ends_on": ends_on.isoformat()} if ends_on else {}
    record("pause.started", family, family.site_id, actor_id, member_id=member.id if member else None, **until)
    cancel_waiting(family.id, member.id if member else None, "paused", "contact paused", actor_id)
    return pause


def lift_pause(pause: ContactPause, actor_id: int | None) -> dict:
    """A member of staff lifts the pause: the family's invitations are planned again (counts returned)."""
    return _lift(pause, actor_id, "pause.lifted", "contact pause lifted")


def end_due_pauses(today: date, actor_id: int | None = None) -> int:
    """Lift every pause whose last day (``ends_on``) is before ``today`` (the service's date), as a
    manual lift does, but audited as "pause.ended"; returns how many. Pauses with no end are never
    lifted here. Called at the start of each dispatcher pass; the caller commits. A pause another
    dispatcher is lifting at the same moment is skipped (it is locked), not lifted twice."""
    pauses = db.session.scalars(
        sa.select(ContactPause).where(ContactPause.lifted_at.is_(None), ContactPause.ends_on < today)
        .order_by(ContactPause.family_id, ContactPause.id).with_for_update(skip_locked=True)).all()
    for pause in pauses:
        _lift(pause, actor_id, "pause.ended", "contact pause ended", ends_on=pause.ends_on.isoformat())
    return len(pauses)


def _lift(pause: ContactPause, actor_id: int | None, action: str, cause: str, **detail) -> dict:
    pause.lifted_at = utcnow()
    pause.lifted_by_id = actor_id
    record(action, pause.family, pause.family.site_id, actor_id, member_id=pause.member_id, **detail)
    return replan_family(pause.family, cause, actor_id)


def erase_family(family: Family, actor_id: int | None) -> str:
    """Remove the family's identifying details; its responses go or stay de-identified, by setting.

    FEEDBACK_ERASURE_RESPONSES=deidentify keeps the answers and scores with no link to any family
    or member (a dataset can still count them); =delete removes them too.
    """
    policy = current_app.config["FEEDBACK_SETTINGS"].erasure_responses
    from ..reports.pair_store import forget_family  # reports build on families, not the other way

    forget_family(family.id)
    responses = sa.select(Response.id).filter_by(family_id=family.id)
    if policy == "delete":
        db.session.execute(sa.delete(Answer).where(Answer.response_id.in_(responses)))
        db.session.execute(sa.delete(Score).where(Score.response_id.in_(responses)))
        db.session.execute(sa.delete(Response).where(Response.family_id == family.id))
    else:
        db.session.execute(sa.update(Response).where(Response.family_id == family.id)
                           .values(family_id=None, member_id=None, respondent_label=None))
    invitation_ids = sa.select(Invitation.id).filter_by(family_id=family.id)
    digests = [member.phone_digest for member in family.members if member.phone_digest]
    db.session.execute(sa.delete(OutboxMessage).where(sa.or_(OutboxMessage.invitation_id.in_(invitation_ids),
                                                             OutboxMessage.to_digest.in_(digests))))
    # What members texted us, and their conversations, are theirs too.
    from ..sms.models import InboundMessage, SmsConversation

    conversation_ids = sa.select(SmsConversation.id).where(SmsConversation.invitation_id.in_(invitation_ids))
    db.session.execute(sa.delete(InboundMessage).where(sa.or_(InboundMessage.conversation_id.in_(conversation_ids),
                                                              InboundMessage.from_digest.in_(digests))))
    db.session.execute(sa.delete(SmsConversation).where(SmsConversation.invitation_id.in_(invitation_ids)))
    # The emails sent to members hold their addresses (and links): they go too, and so do those
    # left without an invitation. Another record's emails to the same address are not this family's.
    from ..mail.models import EmailMessage

    email_digests = [member.email_digest for member in family.members if member.email_digest]
    db.session.execute(sa.delete(EmailMessage).where(sa.or_(
        EmailMessage.invitation_id.in_(invitation_ids),
        sa.and_(EmailMessage.invitation_id.is_(None), EmailMessage.to_digest.in_(email_digests)))))
    # Deleted here, not left to ON DELETE CASCADE: SQLite does not enforce foreign keys unless told to.
    db.session.execute(sa.delete(InvitationEvent).where(InvitationEvent.invitation_id.in_(invitation_ids)))
    db.session.execute(sa.delete(Invitation).where(Invitation.family_id == family.id))
    record("family.erased", family, family.site_id, actor_id, responses=policy)
    family_id = family.id
    db.session.delete(family)  # members, consents, pauses and invitations go with it
    db.session.flush()
    return f"Family {family_id} erased; responses {'deleted' if policy == 'delete' else 'kept de-identified'}."


# --- Re-planning once for many changes (the families import and the API's upserts) ------------------------
#
# Every function above ends by re-planning the family through ``replan_family`` below: at once
# (``waves.service.replan_family``) unless ``replanning_once`` is in force in this context (a
# context variable: other threads and requests are not affected).

_deferred: ContextVar[list | None] = ContextVar("feedback_deferred_replans", default=None)


def replan_family(family: Family, cause: str, actor_id: int | None = None, today: date | None = None) -> dict:
    """Re-plan the family's invitations now, or once at the end of ``replanning_once``."""
    deferred = _deferred.get()
    if deferred is None:
        return _replan_now(family, cause, actor_id, today)
    if not any(noted is family for noted in deferred):
        deferred.append(family)
    return {"planned": 0, "replanned": 0, "cancelled": 0, "revived": 0}


@contextmanager
def replanning_once(cause: str, actor_id: int | None = None):
    """Record changes through the functions above, and re-plan each family they touched once, when
    the block ends (with ``cause``), instead of after every change.

    The invitations waiting afterwards are the same as with a re-plan after each change: the plan
    depends only on the facts at the end. What differs is only what could never have been sent:
    an invitation a step in between would have planned and a later step cancelled (in the same
    transaction) is not made at all. If the block raises, nothing is planned (the caller rolls back).
    """
    families: list[Family] = []
    token = _deferred.set(families)
    try:
        yield
    finally:
        _deferred.reset(token)
    for family in families:
        _replan_now(family, cause, actor_id)
