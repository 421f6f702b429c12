"""Which invitations a family should have under a schedule. Pure: facts in, a plan out.

The plan is recomputed from scratch whenever a family's dates, members or consent change; the
service then compares it with the invitations already stored (see ``waves.service``). Every
member × send left out comes with the reason, so a stored invitation that is no longer wanted is
cancelled with that reason rather than silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Mapping

from flask_babel import lazy_gettext as _l

from ..families.consent import Decision, in_force
from ..families.contact import REASONS as CONTACT_REASONS
from ..families.eligibility import age_on, may_answer
from ..instruments.definition import Instrument
from .schedule import Schedule, Send, Wave
from .scheduling import due_date

#: Channels a member may prefer, mapped to the instrument mode each needs.
MODE_OF_CHANNEL = {"sms_link": "web", "sms_conversation": "sms", "interview": "interview", "email_link": "web"}
#: A member who prefers answering by text, asked for an instrument that cannot be answered by text
#: (long free text, tick-all lists), still gets it by text: as a link.
FALLBACK = {"sms_conversation": "sms_link"}


#: Why an invitation was not planned, or was cancelled, in the words shown to staff.
REASONS = {
    **CONTACT_REASONS,
    "no_anchor": _l("the family has no date for this wave yet"),
    "window_closed": _l("the wave's window had already closed"),
    "no_key_worker": _l("the family has no key worker"),
    "role": _l("the wave does not ask members in this role"),
    "too_young": _l("the member is too young for this wave"),
    "not_respondent": _l("the instrument is not meant for this member"),
    "channel_unsupported": _l("the instrument cannot be answered on the member's preferred channel"),
    "not_in_schedule": _l("the schedule no longer includes it"),
    "staff": _l("cancelled by staff"),
    "text_cap": _l("the limit on texts to this member was reached"),
    "contact_inactive": _l("the partner contact is no longer active"),
    "no_contact_consent": _l("the partner contact has not agreed to be surveyed"),
    "not_this_year": _l("the wave's next occurrence replaced it"),
}


@dataclass(frozen=True)
class FamilyFacts:
    entry_date: date | None
    exit_date: date | None
    key_worker_id: int | None
    status: str = "open"


@dataclass(frozen=True)
class MemberFacts:
    id: int
    role: str
    birth_year: int | None
    birth_month: int | None
    channel: str
    decisions: tuple[Decision, ...] = ()
    paused: bool = False
    #: The member's number said STOP: nothing by text until START.
    opted_out: bool = False
    #: The member used an email's unsubscribe link: nothing by email.
    email_opted_out: bool = False

    def age_on(self, day: date) -> int | None:
        if self.birth_year is None or self.birth_month is None:
            return None
        return age_on(self.birth_year, self.birth_month, day)


@dataclass(frozen=True)
class PlannedInvitation:
    recipient_key: str
    member_id: int | None
    staff_id: int | None
    wave: str
    instrument_id: str
    channel: str
    due_on: date
    opens_on: date
    closes_on: date

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.wave, self.instrument_id, self.recipient_key)


@dataclass
class Plan:
    invitations: list[PlannedInvitation] = field(default_factory=list)
    #: (wave, instrument, recipient key) → why it was left out.
    left_out: dict[tuple[str, str, str], str] = field(default_factory=dict)


def anchor_of(wave: Wave, family: FamilyFacts) -> date | None:
    if wave.anchor == "entry":
        return family.entry_date
    if wave.anchor == "exit":
        return family.exit_date
    return None  # fixed calendar dates (the partner survey) are not planned per family


def plan_family(schedule: Schedule, instruments: Mapping[str, Instrument], family: FamilyFacts,
                members: list[MemberFacts], today: date) -> Plan:
    """Every invitation the family should have, and why each one left out was left out.

    Waves whose window has already closed are left out, so recording an old case does not
    produce invitations that could only expire.
    """
    plan = Plan()
    if family.status != "open":
        return _all_left_out(plan, schedule, members, "family_closed")
    for wave in schedule.waves:
        anchor = anchor_of(wave, family)
        for send in wave.sends:
            instrument = instruments[send.instrument]
            recipients = ["key_worker"] if send.to == "key_worker" else [f"m{m.id}" for m in members]
            if send.to not in ("key_worker", "members"):
                continue
            if anchor is None:
                for key in recipients:
                    plan.left_out[(wave.name, send.instrument, key)] = "no_anchor"
                continue
            due = due_date(anchor, wave.offset_months)
            opens, closes = wave.window.dates(due)
            if closes < today:
                for key in recipients:
                    plan.left_out[(wave.name, send.instrument, key)] = "window_closed"
                continue
            if send.to == "key_worker":
                _plan_key_worker(plan, wave, send, family, due, opens, closes)
                continue
            for member in members:
                key = f"m{member.id}"
                reason, channel = member_reason(send, instrument, member, due)
                if reason:
                    plan.left_out[(wave.name, send.instrument, key)] = reason
                    continue
                plan.invitations.append(PlannedInvitation(key, member.id, None, wave.name, send.instrument,
                                                          channel, due, opens, closes))
    return plan


def _all_left_out(plan: Plan, schedule: Schedule, members: list[MemberFacts], reason: str) -> Plan:
    for wave in schedule.waves:
        for send in wave.sends:
            keys = ["key_worker"] if send.to == "key_worker" else [f"m{m.id}" for m in members]
            for key in keys:
                plan.left_out[(wave.name, send.instrument, key)] = reason
    return plan


def _plan_key_worker(plan: Plan, wave: Wave, send: Send, family: FamilyFacts, due, opens, closes) -> None:
    if family.key_worker_id is None:
        plan.left_out[(wave.name, send.instrument, "key_worker")] = "no_key_worker"
        return
    plan.invitations.append(PlannedInvitation("key_worker", None, family.key_worker_id, wave.name,
                                              send.instrument, "staff_task", due, opens, closes))


def member_reason(send: Send, instrument: Instrument, member: MemberFacts, due: date) -> tuple[str | None, str | None]:
    """Why this member gets no invitation for this send (a code of ``REASONS``), or (None, channel)."""
    age = member.age_on(due)
    if send.roles and member.role not in send.roles:
        return "role", None
    if send.min_age is not None and (age is None or age < send.min_age):
        return "too_young", None
    if not may_answer(instrument, member.role, age):
        return "not_respondent", None
    if not in_force(member.decisions, "participation", member.role, age):
        return "no_consent", None
    if member.paused:
        return "paused", None
    if member.channel == "none":
        return "no_channel", None
    channel = choose_channel(member.channel, send, instrument)
    if channel is None:
        return "channel_unsupported", None
    if member.opted_out and channel in ("sms_link", "sms_conversation"):
        return "opted_out", None
    if member.email_opted_out and channel == "email_link":
        return "opted_out_email", None
    return None, channel


def choose_channel(preferred: str, send: Send, instrument: Instrument) -> str | None:
    """The member's own preference if the wave and instrument allow it (an SMS conversation the
    instrument cannot have becomes a link by text), else none."""
    allowed = send.channels or tuple(c for c, mode in MODE_OF_CHANNEL.items() if mode in instrument.modes)
    for channel in (preferred, FALLBACK.get(preferred)):
        if channel in allowed and MODE_OF_CHANNEL.get(channel) in instrument.modes:
            return channel
    return None


@dataclass(frozen=True)
class PartnerFacts:
    """What planning needs of a partner-agency contact."""

    id: int
    active: bool
    consent: bool
    has_email: bool
    opted_out: bool = False
    email_failed: bool = False


@dataclass(frozen=True)
class Occurrence:
    """One year's instance of a date-anchored wave."""

    due_on: date
    opens_on: date
    closes_on: date


def occurrence(wave: Wave, today: date) -> Occurrence:
    """The instance of a date-anchored wave to plan on ``today``: the earliest whose window has
    not closed (so it may be open now, or still to come this year or next).

    The loader keeps anchor dates to days that exist every year (no 29 February) and windows
    under a year, so successive instances never overlap and the search below always ends.
    """
    first_year = today.year - wave.offset_months // 12 - 2
    for year in range(first_year, today.year + 3):
        due = due_date(date(year, *wave.anchor_date), wave.offset_months)
        opens, closes = wave.window.dates(due)
        if closes >= today:
            return Occurrence(due, opens, closes)
    raise AssertionError(f"no occurrence of wave {wave.name} closes on or after {today}")  # pragma: no cover


def contact_reason(contact: PartnerFacts) -> str | None:
    """Why this partner contact gets no invitation (a code of ``REASONS``), or None."""
    if not contact.active:
        return "contact_inactive"
    if not contact.consent:
        return "no_contact_consent"
    if not contact.has_email:
        return "no_email"
    if contact.opted_out:
        return "opted_out_email"
    if contact.email_failed:
        return "email_invalid"
    return None


def plan_contact(schedule: Schedule, contact: PartnerFacts, today: date) -> Plan:
    """Every invitation a partner contact should have now: one per send to ``partner_contacts``
    in each date-anchored wave, for the wave's current occurrence (``occurrence``).

    Left-out keys are (wave, instrument, ``c<id>``); a stored invitation of an earlier occurrence
    is the service's to close (it expires with its window), not the plan's.
    """
    plan = Plan()
    key = f"c{contact.id}"
    reason = contact_reason(contact)
    for wave in schedule.waves:
        sends = [send for send in wave.sends if send.to == "partner_contacts"]
        if wave.anchor != "date" or not sends:
            continue
        when = occurrence(wave, today)
        for send in sends:
            if reason:
                plan.left_out[(wave.name, send.instrument, key)] = reason
                continue
            plan.invitations.append(PlannedInvitation(key, None, None, wave.name, send.instrument, send.channels[0],
                                                      when.due_on, when.opens_on, when.closes_on))
    return plan


def window_moments(opens_on: date, closes_on: date, zone) -> tuple[datetime, datetime]:
    """A window's first and last moments in UTC (naive): from local midnight on the day it opens
    to local midnight after the day it closes."""
    from zoneinfo import ZoneInfo
    utc = ZoneInfo("UTC")
    start = datetime.combine(opens_on, time(0), tzinfo=zone).astimezone(utc).replace(tzinfo=None)
    end = datetime.combine(closes_on + timedelta(days=1), time(0), tzinfo=zone).astimezone(utc).replace(tzinfo=None)
    return start, end
