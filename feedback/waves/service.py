"""Invitations in the database: planning them from a family's facts and moving them through their states."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from ..extensions import db
from ..families.consent import Decision
from ..families.models import Family
from ..publishing.startup import current_catalogue
from ..timeutil import utcnow
from .models import MANUAL_WAVE, WAITING, Invitation, InvitationEvent
from .planning import FamilyFacts, MemberFacts, PartnerFacts, PlannedInvitation, plan_contact, plan_family, window_moments
from .schedule import Schedule

UTC = ZoneInfo("UTC")
#: Cancelled invitations these reasons produced come back when the reason goes (e.g. a pause is lifted).
NOT_REVIVED = {"staff", "text_cap"}


def current_schedules() -> dict[str, Schedule]:
    return current_app.extensions["feedback.schedules"]


def move(invitation: Invitation, to_state: str, cause: str, now: datetime | None = None,
         actor_id: int | None = None, reason: str | None = None, log: list[dict] | None = None) -> None:
    """Change state and record the transition with its time and cause.

    With ``log``, the event is appended there as a row for the caller to insert in bulk (the
    dispatcher does, a batch at a time) instead of being added to the session one by one.
    """
    now = now or utcnow()
    event = dict(at=now, from_state=invitation.state, to_state=to_state, cause=cause, actor_id=actor_id)
    if log is None:
        db.session.add(InvitationEvent(invitation=invitation, **event))
    else:
        log.append(dict(invitation_id=invitation.id, **event))
    invitation.state = to_state
    invitation.reason = reason
    invitation.updated_at = now


def family_facts(family: Family) -> tuple[FamilyFacts, list[MemberFacts]]:
    paused_family = any(p.covers(None) and p.member_id is None for p in family.pauses)
    members = [
        MemberFacts(
            id=member.id, role=member.role, birth_year=member.birth_year, birth_month=member.birth_month,
            channel=member.channel,
            decisions=tuple(Decision(c.purpose, c.party, c.given, c.recorded_at) for c in member.consents),
            paused=paused_family or any(p.covers(member.id) for p in family.pauses),
            opted_out=member.opted_out_at is not None,
            email_opted_out=member.email_opted_out_at is not None,
        )
        for member in family.members
    ]
    return FamilyFacts(family.entry_date, family.exit_date, family.key_worker_id, family.status), members


def replan_family(family: Family, cause: str, actor_id: int | None = None, today: date | None = None) -> dict:
    """Bring the family's stored invitations in line with every schedule; returns counts of changes.

    New invitations are planned; waiting ones whose dates or channel changed are re-planned;
    waiting ones no longer wanted are cancelled with the reason; cancelled ones whose reason has
    gone come back. Anything already sent is history and is left alone.
    """
    db.session.flush()  # new members and consent decisions need ids before they can be planned
    now = utcnow()
    today = today or now.date()
    catalogue = current_catalogue()
    facts, members = family_facts(family)
    stored = db.session.scalars(db.select(Invitation).filter_by(family_id=family.id)).all()
    existing = {(i.schedule_id, i.wave, i.instrument_id, i.recipient_key): i for i in stored}
    counts = {"planned": 0, "replanned": 0, "cancelled": 0, "revived": 0}
    wanted = set()
    for schedule in current_schedules().values():
        instruments = {send.instrument: catalogue.latest(send.instrument)
                       for wave in schedule.waves for send in wave.sends}
        plan = plan_family(schedule, instruments, facts, members, today)
        for planned in plan.invitations:
            key = (schedule.id, *planned.key)
            wanted.add(key)
            values = dict(_timing(schedule, planned), member_id=planned.member_id, staff_id=planned.staff_id)
            invitation = existing.get(key)
            if invitation is None:
                invitation = Invitation(family_id=family.id, schedule_id=schedule.id, wave=planned.wave,
                                        instrument_id=planned.instrument_id, recipient_key=planned.recipient_key,
                                        state="planned", created_at=now, updated_at=now, **values)
                db.session.add(invitation)
                db.session.add(InvitationEvent(invitation=invitation, at=now, from_state=None, to_state="planned",
                                               cause=cause, actor_id=actor_id))
                counts["planned"] += 1
            else:
                _bring_in_line(invitation, values, cause, actor_id, now, counts)
        for key, reason in plan.left_out.items():
            invitation = existing.get((schedule.id, *key))
            if invitation is not None and invitation.state in WAITING:
                move(invitation, "cancelled", f"{reason}: {cause}", now, actor_id, reason=reason)
                counts["cancelled"] += 1
            wanted.add((schedule.id, *key))
    for key, invitation in existing.items():
        if key not in wanted and invitation.state in WAITING and not invitation.wave.startswith(MANUAL_WAVE):
            move(invitation, "cancelled", f"not_in_schedule: {cause}", now, actor_id, reason="not_in_schedule")
            counts["cancelled"] += 1
    return counts


def partner_facts(contact) -> PartnerFacts:
    return PartnerFacts(id=contact.id, active=contact.active and contact.agency.active, consent=contact.consent,
                        has_email=bool(contact.email), opted_out=contact.email_opted_out_at is not None,
                        email_failed=contact.email_failed_at is not None)


def _bring_in_line(invitation: Invitation, values: dict, cause: str, actor_id: int | None, now: datetime,
                   counts: dict) -> None:
    """A stored invitation the plan still wants: re-plan it while it waits if its dates or channel
    changed; bring it back if it was cancelled for a reason that has gone (and its window is still
    open). Anything sent is history and is left alone."""
    if invitation.state in WAITING:
        if any(getattr(invitation, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(invitation, name, value)
            move(invitation, "planned", f"re-planned: {cause}", now, actor_id)
            counts["replanned"] += 1
    elif invitation.state == "cancelled" and invitation.reason not in NOT_REVIVED and values["closes_at"] > now:
        for name, value in values.items():
            setattr(invitation, name, value)
        move(invitation, "planned", f"planned again: {cause}", now, actor_id)
        counts["revived"] += 1


def _timing(schedule: Schedule, planned: PlannedInvitation) -> dict:
    """The stored moments of a planned invitation: its window in the schedule's time zone, and its
    first send when quiet hours allow."""
    opens_at, closes_at = window_moments(planned.opens_on, planned.closes_on, ZoneInfo(schedule.quiet_hours.timezone))
    first_send = schedule.quiet_hours.next_allowed(opens_at.replace(tzinfo=UTC)).replace(tzinfo=None)
    return dict(channel=planned.channel, due_on=planned.due_on, opens_at=opens_at, closes_at=closes_at,
                next_send_at=first_send)


def replan_contact(contact, cause: str, actor_id: int | None = None, today: date | None = None) -> dict:
    """Bring a partner contact's invitations in line with every date-anchored wave; returns counts.

    As ``replan_family``: the current occurrence of each wave is planned (or re-planned while it
    waits), waiting invitations the plan leaves out are cancelled with the reason, cancelled ones
    whose reason went come back. Invitations of earlier occurrences are history: they were sent or
    expire with their windows. New invitations are inserted with ON CONFLICT DO NOTHING on the
    contact's (schedule, wave, instrument, due date), so two dispatchers planning the same
    contact at once add one invitation, not two (nor an error).
    """
    now = utcnow()
    today = today or now.date()
    facts = partner_facts(contact)
    stored = db.session.scalars(db.select(Invitation).filter_by(contact_id=contact.id)).all()
    existing = {(i.schedule_id, i.wave, i.instrument_id, i.due_on): i for i in stored}
    counts = {"planned": 0, "replanned": 0, "cancelled": 0, "revived": 0}
    for schedule in current_schedules().values():
        plan = plan_contact(schedule, facts, today)
        anonymous = {(wave.name, send.instrument): send.anonymous for wave in schedule.waves for send in wave.sends}
        current = {}
        for planned in plan.invitations:
            values = _timing(schedule, planned)
            current[(planned.wave, planned.instrument_id)] = planned.due_on
            invitation = existing.get((schedule.id, planned.wave, planned.instrument_id, planned.due_on))
            if invitation is None:
                if _insert_contact_invitation(contact.id, schedule.id, planned, values,
                                              anonymous[(planned.wave, planned.instrument_id)], cause, actor_id, now):
                    counts["planned"] += 1
            else:
                _bring_in_line(invitation, values, cause, actor_id, now, counts)
        for (wave, instrument_id, _key), reason in plan.left_out.items():
            for invitation in stored:
                if (invitation.schedule_id, invitation.wave, invitation.instrument_id) == (schedule.id, wave, instrument_id) \
                        and invitation.state in WAITING:
                    move(invitation, "cancelled", f"{reason}: {cause}", now, actor_id, reason=reason)
                    counts["cancelled"] += 1
        for invitation in stored:
            due = current.get((invitation.wave, invitation.instrument_id))
            if invitation.schedule_id == schedule.id and invitation.state in WAITING and due is not None \
                    and invitation.due_on != due and invitation.closes_at > datetime.combine(today, time()):
                # A waiting invitation of another year whose window is still to come (e.g. planned
                # before the wave's dates changed). One whose window closed expires as history.
                move(invitation, "cancelled", f"not_this_year: {cause}", now, actor_id, reason="not_this_year")
                counts["cancelled"] += 1
    return counts


def _insert_contact_invitation(contact_id: int, schedule_id: str, planned: PlannedInvitation, values: dict,
                               anonymous: bool, cause: str, actor_id: int | None, now: datetime) -> bool:
    """Insert one contact's invitation unless an equal one exists (another planner's); True if added."""
    from ..extensions import conflict_insert

    statement = conflict_insert(db.engine.dialect.name)(Invitation.__table__).values(
        family_id=None, contact_id=contact_id, member_id=None, staff_id=None, schedule_id=schedule_id,
        wave=planned.wave, instrument_id=planned.instrument_id, recipient_key=planned.recipient_key,
        state="planned", reminders_sent=0, send_attempts=0, anonymous=anonymous, created_at=now, updated_at=now,
        **values,
    ).on_conflict_do_nothing().returning(Invitation.__table__.c.id)
    added = db.session.execute(statement).scalar_one_or_none()
    if added is None:
        return False
    db.session.add(InvitationEvent(invitation_id=added, at=now, from_state=None, to_state="planned", cause=cause,
                                   actor_id=actor_id))
    return True


def plan_date_waves(today: date | None = None, cause: str = "the wave's date came round") -> dict:
    """Plan every partner contact for the date-anchored waves' current occurrences (the dispatcher
    does this each pass, so next year's wave is planned without anyone asking). One planner at a
    time on PostgreSQL (a transaction-level advisory lock; a second dispatcher skips it)."""
    from sqlalchemy.orm import selectinload

    from ..partners.models import PartnerContact

    if not any(send.to == "partner_contacts" for schedule in current_schedules().values()
               for wave in schedule.waves for send in wave.sends):
        return {}
    if db.engine.dialect.name == "postgresql":
        if not db.session.execute(db.text("SELECT pg_try_advisory_xact_lock(hashtext('feedback.plan_date_waves'))")).scalar():
            db.session.commit()
            return {}
    totals = {"planned": 0, "replanned": 0, "cancelled": 0, "revived": 0}
    contacts = db.session.scalars(db.select(PartnerContact).options(selectinload(PartnerContact.agency))).all()
    for contact in contacts:
        for name, count in replan_contact(contact, cause, today=today).items():
            totals[name] += count
    db.session.commit()
    return totals


def cancel_waiting(family_id: int, member_id: int | None, reason: str, cause: str, actor_id: int | None = None) -> int:
    """Cancel the waiting invitations of one member, or of the whole family when ``member_id`` is None."""
    query = db.select(Invitation).filter(Invitation.family_id == family_id, Invitation.state.in_(WAITING))
    if member_id is not None:
        query = query.filter(Invitation.member_id == member_id)
    invitations = db.session.scalars(query).all()
    for invitation in invitations:
        move(invitation, "cancelled", cause, actor_id=actor_id, reason=reason)
    return len(invitations)


def response_progressed(response_id: int, to_state: str) -> None:
    """The respondent opened, started or completed the survey an invitation led to."""
    order = ("sent", "opened", "started", "completed")
    invitation = db.session.scalars(db.select(Invitation).filter_by(response_id=response_id)).first()
    if invitation is None:
        return
    # States only move forward; "due" covers interview tasks, which are never "sent".
    if invitation.state in ("due", *order[:order.index(to_state)]):
        move(invitation, to_state, f"respondent {to_state} the survey")
        if to_state == "completed":
            invitation.next_send_at = None
