"""The shape of a validated follow-up schedule: which instruments go to whom, and when.

A schedule is a list of waves; each wave falls due a number of calendar months after an anchor
(a family's entry or exit, or a fixed date every year), may be answered within a window of days
around that, and sends one or more instruments to family members, the family's key worker or
partner-agency contacts.  These objects are built only by ``schedule_loader.load_schedule`` from
a file that has passed validation, so code that receives one may trust it: every instrument
exists and suits its recipients and channels.  Pure Python: no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Mapping

from .scheduling import QuietHours, Window, due_date

#: How an invitation reaches someone, in the order a member send prefers them by default.
CHANNELS = ("sms_link", "sms_conversation", "interview", "staff_task", "email_link")
#: Who a send goes to: the family's members, the family's key worker (as a staff task), or the
#: service's contacts in partner agencies (not family members; no family is involved).
RECIPIENTS = ("members", "key_worker", "partner_contacts")
ANCHORS = ("entry", "exit", "date")
#: The instrument mode each respondent-facing channel needs.
CHANNEL_MODES = {"sms_link": "web", "sms_conversation": "sms", "interview": "interview", "email_link": "web"}
#: The channels that can reach a family member, in the order a send without ``channels`` lists them
#: (each member's own preference chooses among those allowed).
MEMBER_CHANNELS = ("sms_link", "sms_conversation", "interview", "email_link")
#: The channels that can reach a partner-agency contact (they have an email address, not a phone).
CONTACT_CHANNELS = ("email_link",)
#: Instrument respondent roles filled by family members (``practitioner`` and ``partner_staff`` are not).
FAMILY_RESPONDENT_ROLES = ("parent_carer", "young_person", "child", "family_member")
#: The instrument respondent role each recipient kind must find among an instrument's respondents;
#: ``None`` means any of ``FAMILY_RESPONDENT_ROLES``.
RECIPIENT_RESPONDENT_ROLES = {"members": None, "key_worker": "practitioner", "partner_contacts": "partner_staff"}


def default_channels(to: str, modes: tuple[str, ...]) -> tuple[str, ...]:
    """The channels a send uses when its file names none.

    Members: an SMS link, an SMS conversation, an interview, then an email link, keeping those
    the instrument's modes allow.  Key worker: a staff task.  Partner
    contacts: an email link.
    """
    if to == "key_worker":
        return ("staff_task",)
    if to == "partner_contacts":
        return CONTACT_CHANNELS
    return tuple(channel for channel in MEMBER_CHANNELS if CHANNEL_MODES[channel] in modes)


@dataclass(frozen=True)
class Send:
    """One instrument sent to one kind of recipient in a wave."""

    instrument: str
    #: ``"members"``, ``"key_worker"`` or ``"partner_contacts"`` (see ``RECIPIENTS``).
    to: str
    #: Member roles (``eligibility.MEMBER_ROLES``) the send is limited to; () = any the instrument allows.
    roles: tuple[str, ...] = ()
    #: A minimum age at the due date, on top of the instrument's own respondent rules.
    min_age: int | None = None
    #: Channels in order of preference; the loader always fills in the defaults (``default_channels``).
    channels: tuple[str, ...] = ()
    #: The respondents were promised anonymity: their responses are never linked to who was
    #: invited (only "responded: yes" is kept, for reminders). Partner contacts only.
    anonymous: bool = False


@dataclass(frozen=True)
class Wave:
    #: Stable id: lower-case letters, digits and hyphens, e.g. ``exit-3m``.
    name: str
    #: English label for staff pages.
    title: str
    #: ``"entry"``, ``"exit"`` or ``"date"`` (see ``ANCHORS``).
    anchor: str
    #: Calendar months after the anchor (0–120).
    offset_months: int
    #: Days relative to the due date when the wave may be answered.
    window: Window
    sends: tuple[Send, ...]
    #: ``(month, day)`` of the yearly fixed date when ``anchor == "date"``, e.g. ``(3, 1)``.
    anchor_date: tuple[int, int] | None = None


@dataclass(frozen=True)
class Reminders:
    """Reminders go out these many days after the first message, at most ``limit`` of them."""

    after_days: tuple[int, ...] = (3, 7)
    limit: int = 2


@dataclass(frozen=True)
class Schedule:
    id: str
    title: str
    description: str
    #: Its ``timezone`` is the schedule's time zone.
    quiet_hours: QuietHours
    reminders: Reminders
    waves: tuple[Wave, ...]
    #: SHA-256 of the canonical JSON of the parsed YAML, as for instruments.
    content_hash: str
    path: str = ""
    #: The parsed YAML, kept so the schedule a wave ran under can be stored and re-read exactly.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def wave(self, name: str) -> Wave:
        for wave in self.waves:
            if wave.name == name:
                return wave
        raise KeyError(name)


#: Anchor dates spanning a leap year, over which two waves' windows are compared: months differ in
#: length, so two windows may overlap for some families' anchor dates and not for others'.
SAMPLE_ANCHORS = tuple(date(2024, 1, 1) + timedelta(days=days) for days in range(4 * 365 + 1))
SAMPLE_YEARS = range(2023, 2029)


def windows_can_overlap(a: Wave, b: Wave) -> bool:
    """Whether two waves with the same anchor can be open on the same day: for some family's
    entry or exit date, or for ``date`` waves in any two years (so December and January meet).

    Refuses waves with different anchors: the time between a family's entry and exit is unknown.
    """
    if a.anchor != b.anchor:
        raise ValueError(f"cannot compare a wave anchored on {a.anchor} with one anchored on {b.anchor}")
    if a.anchor == "date":
        spans_a = [a.window.dates(due_date(date(year, *a.anchor_date), a.offset_months)) for year in SAMPLE_YEARS]
        spans_b = [b.window.dates(due_date(date(year, *b.anchor_date), b.offset_months)) for year in SAMPLE_YEARS]
        return any(sa[0] <= sb[1] and sb[0] <= sa[1] for sa in spans_a for sb in spans_b)
    # For one anchor, b's window is a's shifted by the days between their due dates (``gap``):
    # they overlap when a.opens - b.closes <= gap <= a.closes - b.opens.
    low, high = a.window.opens - b.window.closes, a.window.closes - b.window.opens
    return any(low <= gap <= high for gap in _due_gaps(a.offset_months, b.offset_months))


@lru_cache(maxsize=None)
def _due_gaps(months_a: int, months_b: int) -> frozenset[int]:
    """Every number of days from the due date ``months_a`` after an anchor to the one ``months_b`` after."""
    return frozenset((due_date(anchor, months_b) - due_date(anchor, months_a)).days for anchor in SAMPLE_ANCHORS)
