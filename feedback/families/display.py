"""How family details are shown to staff: masked numbers and addresses, ages, consent in force. Pure helpers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers

from .consent import Decision, in_force, latest
from .eligibility import age_on
from .models import CONSENT_PARTIES, CONSENT_PURPOSES, Member


def mask_phone(e164: str | None) -> str:
    """``+447911123456`` → ``+44 7*** ***456``: enough to tell numbers apart, not to dial one."""
    if not e164:
        return "—"
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return "***"
    national = str(number.national_number)
    return f"+{number.country_code} {national[0]}*** ***{national[-3:]}"


def mask_email(address: str | None) -> str:
    """``jo.bloggs@example.org`` → ``j…@example.org``: enough to tell addresses apart, not to write to one."""
    if not address:
        return "—"
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}…@{domain}"


def member_age(member: Member, on: date | None = None) -> int | None:
    if member.birth_year is None or member.birth_month is None:
        return None
    return age_on(member.birth_year, member.birth_month, on or date.today())


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    in_force: bool
    #: The latest decision by each party (None: no decision recorded).
    latest: dict[str, Decision | None]


def consent_states(member: Member, on: date | None = None) -> list[ConsentState]:
    """For each purpose: whether consent is in force now, and each party's latest decision."""
    decisions = [Decision(c.purpose, c.party, c.given, c.recorded_at) for c in member.consents]
    age = member_age(member, on)
    return [ConsentState(purpose, in_force(decisions, purpose, member.role, age),
                         {party: latest(decisions, purpose, party) for party in CONSENT_PARTIES})
            for purpose in CONSENT_PURPOSES]
