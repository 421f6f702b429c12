"""The contact rules checked before any message goes to a family member. Pure: facts in, reason out.

Each rule gives the reason an invitation is cancelled, so staff can see why a member was not
contacted. Rules about *when* (quiet hours, the wave window) live in ``waves.scheduling``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SMS_CHANNELS = {"sms_link", "sms_conversation"}
EMAIL_CHANNELS = {"email_link"}

#: Why a member must not be contacted, in the words shown to staff.
REASONS = {
    "family_closed": _l("the family's case is closed"),
    "no_consent": _l("no consent to take part is in force"),
    "no_sms_consent": _l("no consent to be contacted by text is in force"),
    "paused": _l("contact is paused"),
    "opted_out": _l("the member opted out of texts"),
    "no_phone": _l("there is no mobile number"),
    "phone_invalid": _l("the mobile number does not work"),
    "no_channel": _l("the member asked not to be contacted"),
    "no_email_consent": _l("no consent to be contacted by email is in force"),
    "no_email": _l("there is no email address"),
    "email_invalid": _l("the mail server refused the email address"),
    "opted_out_email": _l("the address unsubscribed from emails"),
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
    #: Email: the same rules as texts (consent in force, an address that works, not unsubscribed).
    email_consent: bool = False
    has_email: bool = False
    email_invalid: bool = False
    email_opted_out: bool = False


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
    if facts.channel in EMAIL_CHANNELS:
        if facts.email_opted_out:
            return "opted_out_email"
        if not facts.email_consent:
            return "no_email_consent"
        if not facts.has_email:
            return "no_email"
        if facts.email_invalid:
            return "email_invalid"
    return None
