"""The contact rules checked before any message goes to a family member. Pure: facts in, reason out.

Each rule gives the reason an invitation is cancelled, so staff can see why a member was not
contacted. Rules about *when* (quiet hours, the wave window) live in ``waves.scheduling``.
"""
from __future__ import annotations

from dataclasses import dataclass

SMS_CHANNELS = {"sms_link", "sms_conversation"}

#: Why a member must not be contacted, in the words shown to staff.
REASONS = {
    "family_closed": "the family's case is closed",
    "no_consent": "no consent to take part is in force",
    "no_sms_consent": "no consent to be contacted by text is in force",
    "paused": "contact is paused",
    "opted_out": "the member opted out of texts",
    "no_phone": "there is no mobile number",
    "phone_invalid": "the mobile number does not work",
    "no_channel": "the member asked not to be contacted",
}


@dataclass(frozen=True)
class ContactFacts:
    family_status: str
    channel: str
    participation_consent: bool
    sms_consent: bool
    paused: bool
    opted_out: bool
    has_phone: bool
    phone_invalid: bool


def refusal(facts: ContactFacts) -> str | None:
    """The first reason this member must not be contacted on this channel, or None."""
    if facts.family_status != "open":
        return "family_closed"
    if facts.channel == "none":
        return "no_channel"
    if not facts.participation_consent:
        return "no_consent"
    if facts.paused:
        return "paused"
    if facts.channel in SMS_CHANNELS:
        if facts.opted_out:
            return "opted_out"
        if not facts.sms_consent:
            return "no_sms_consent"
        if not facts.has_phone:
            return "no_phone"
        if facts.phone_invalid:
            return "phone_invalid"
    return None
