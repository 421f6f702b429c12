"""Words, not codes: the one place that says how a stored code reads on a staff page.

Every state, channel, role, audit action, consent kind, family status and instrument a staff page
shows goes through here (the Jinja filters registered by ``init_words``), in the staff catalogue
(this file is under ``feedback/staff``, which ``translations/staff.cfg`` extracts). A code this
module does not know is never an error: it is shown humanised ("two_factor_reset" → "Two factor
reset"), so a new code shows as something readable until it is given words here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: Invitation states (``waves.models.STATES``) and "unknown" (a send in doubt). Lower case: they
#: sit inside sentences ("the invitation is sent") as well as in cells.
STATE_LABELS = {"planned": _l("planned"), "due": _l("due"), "sent": _l("sent"), "opened": _l("opened"),
                "started": _l("started"), "completed": _l("completed"), "expired": _l("expired"),
                "cancelled": _l("cancelled"), "failed": _l("failed"), "unknown": _l("unknown")}

#: How an invitation reaches its respondent (``waves.schedule.CHANNELS``) and a member's preference
#: (``families.models.CHANNELS``, which adds "none").
CHANNEL_LABELS = {"sms_link": _l("Link by text"), "sms_conversation": _l("Questions by text"),
                  "email_link": _l("Link by email"), "interview": _l("Telephone interview"),
                  "staff_task": _l("Task for the key worker"), "none": _l("Do not contact")}

#: Staff roles (``staff.models.ROLES``), family members' roles (``families.models.MEMBER_ROLES``)
#: and partner contacts' roles: the codes never clash, so one table serves all three.
ROLE_LABELS = {"admin": _l("Administrator"), "researcher": _l("Researcher"), "manager": _l("Manager"),
               "practitioner": _l("Practitioner"),
               "mother": _l("Mother"), "father": _l("Father"), "partner": _l("Partner"),
               "other_carer": _l("Other carer"), "child": _l("Child"), "young_person": _l("Young person"),
               "other": _l("Other")}

#: Consent kinds: what it is for (``CONSENT_PURPOSES``) and who gave it (``CONSENT_PARTIES``).
CONSENT_PURPOSE_LABELS = {"participation": _l("Taking part in surveys"), "sms": _l("Being contacted by text"),
                          "email": _l("Being contacted by email")}
CONSENT_PARTY_LABELS = {"self": _l("The member themself"), "parent": _l("Their parent or carer")}

#: A family's status as derived from its dates (``families.status.family_status``); "open" is the
#: stored status of a case not closed, kept for the edit form.
FAMILY_STATUS_LABELS = {"referred": _l("Referred"), "in_support": _l("In support"),
                        "support_ended": _l("Support ended"), "follow_up_complete": _l("Follow-up complete"),
                        "closed": _l("Closed"), "erased": _l("Erased"), "open": _l("Open")}

#: What a text or email was (``OutboxMessage.kind``, ``EmailMessage.kind``, ``Invitation.pending_send``).
SEND_KIND_LABELS = {"invitation": _l("invitation"), "reminder": _l("reminder"), "question": _l("question"),
                    "reply": _l("reply")}

#: The same kinds in a cell or a list of facts ("Kind: Reminder"): capitalised.
MESSAGE_KIND_LABELS = {"invitation": _l("Invitation"), "reminder": _l("Reminder"), "question": _l("Question"),
                       "reply": _l("Reply")}

#: Delivery statuses Twilio reports back (``OutboxMessage.status``), the mail server's ("sent":
#: ``EmailMessage.status``) and the backends (``OutboxMessage.backend``, ``EmailMessage.backend``).
DELIVERY_LABELS = {"queued": _l("queued"), "sent": _l("sent"), "delivered": _l("delivered"),
                   "undelivered": _l("undelivered"), "failed": _l("failed"), "outbox": _l("kept in the outbox"),
                   "twilio": _l("Twilio"), "smtp": _l("the mail server")}

#: Audit actions (``audit.models.ACTIONS``).
AUDIT_ACTION_LABELS = {
    "consent.recorded": _l("Consent recorded"),
    "pause.started": _l("Contact paused"),
    "pause.lifted": _l("Contact pause lifted"),
    "pause.ended": _l("Contact pause ended on its end date"),
    "family.erased": _l("Family erased"),
    "family.viewed": _l("Family viewed"),
    "member.viewed": _l("Member's contact details shown"),
    "invitation.cancelled": _l("Invitation cancelled"),
    "invitation.sent_manually": _l("Invitation sent by hand"),
    "invitation.resolved": _l("Unknown send resolved"),
    "outbox.viewed": _l("Texts sent viewed"),
    "emails.viewed": _l("Emails sent viewed"),
    "interview.opened": _l("Interview or assessment opened"),
    "export.run": _l("Export run"),
    "export.downloaded": _l("Export downloaded"),
    "export.expired": _l("Export deleted (retention limit)"),
    "staff.created": _l("Staff account created"),
    "staff.signed_out": _l("Staff account signed out everywhere"),
    "staff.password_set": _l("Staff password set"),
    "staff.sign_in_slowed": _l("Sign-in slowed after failed attempts"),
    "staff.two_factor_enrolled": _l("Two-step sign-in set up"),
    "staff.recovery_code_used": _l("Recovery code used"),
    "staff.two_factor_reset": _l("Two-step sign-in reset"),
    "staff.deactivated": _l("Staff account deactivated (signed out everywhere)"),
    "staff.reactivated": _l("Staff account reactivated"),
    "api.called": _l("API call"),
    "api_client.created": _l("API client made"),
    "api_client.revoked": _l("API client revoked"),
    "member.opted_out": _l("Member opted out of texts"),
    "member.opted_in": _l("Member opted back in"),
    "report.unsuppressed": _l("Report shown without small-number suppression"),
    "report.unit_saving": _l("Unit saving changed"),
    "responses.imported": _l("Responses imported"),
    "families.imported": _l("Families imported"),
    "contact.created": _l("Partner contact added"),
    "contact.changed": _l("Partner contact changed"),
    "contacts.imported": _l("Partner contacts imported"),
    "contacts.viewed": _l("Partner contacts viewed"),
}

#: What an audit event is about (``AuditEvent.subject_type``: a table's name).
SUBJECT_LABELS = {"families": _l("Family"), "members": _l("Member"), "invitations": _l("Invitation"),
                  "responses": _l("Response"), "staff_users": _l("Staff account"), "export_runs": _l("Export"),
                  "import_batches": _l("Import"), "partner_agencies": _l("Partner agency"),
                  "partner_contacts": _l("Partner contact"), "email_messages": _l("Email"),
                  "contact_pauses": _l("Contact pause"), "unit_savings": _l("Unit saving")}

#: The names of the facts an audit event keeps (``AuditEvent.detail``).
DETAIL_LABELS = {
    "given": _l("consent given"), "purpose": _l("for"), "party": _l("by"), "text_version": _l("consent text version"),
    "channel": _l("channel"), "cause": _l("why"), "member_id": _l("member"), "family_id": _l("family"),
    "shown": _l("shown"), "responses": _l("responses"), "outcome": _l("outcome"), "reached": _l("reached the family"),
    "reason": _l("reason"), "via": _l("through"), "page": _l("page"), "role": _l("role"), "roles": _l("roles"),
    "sites": _l("sites"), "left": _l("recovery codes left"), "failures": _l("failed attempts"),
    "profile": _l("profile"), "hash": _l("profile fingerprint"), "bundle": _l("bundle"), "report": _l("report"),
    "instrument": _l("instrument"), "version": _l("version"), "rows": _l("rows"), "file_sha256": _l("file fingerprint"),
    "agency_id": _l("agency"), "fields": _l("fields changed"), "contacts": _l("contacts"), "before": _l("before"),
    "after": _l("after"), "wave": _l("wave"), "families_created": _l("families added"),
    "members_created": _l("members added"), "retention_days": _l("days kept"), "identifiable": _l("identifiable"),
}
#: How some detail values read ("shown": "phone" is the mobile number that was shown).
DETAIL_VALUE_LABELS = {
    "shown": {"phone": _l("the mobile number"), "email": _l("the email address")},
    "via": {"cli": _l("the command line"), "web": _l("the web pages"), "import": _l("an import")},
    "responses": {"keep": _l("kept de-identified"), "delete": _l("deleted")},
}


def humanise(code) -> str:
    """A code as words when no label is known: ``two_factor_reset`` → "Two factor reset"."""
    if code is None:
        return "—"
    words = re.sub(r"[._\-]+", " ", str(code)).strip()
    return words[:1].upper() + words[1:] if words else "—"


def _label(labels: Mapping, code) -> str:
    found = labels.get(code) if isinstance(code, str) else None
    return str(found) if found is not None else humanise(code)


def state_label(code) -> str:
    return _label(STATE_LABELS, code)


def channel_label(code) -> str:
    return _label(CHANNEL_LABELS, code)


def role_label(code) -> str:
    return _label(ROLE_LABELS, code)


def audit_action_label(code) -> str:
    return _label(AUDIT_ACTION_LABELS, code)


def consent_purpose_label(code) -> str:
    return _label(CONSENT_PURPOSE_LABELS, code)


def consent_party_label(code) -> str:
    return _label(CONSENT_PARTY_LABELS, code)


def family_status_label(code) -> str:
    return _label(FAMILY_STATUS_LABELS, code)


def send_kind_label(code) -> str:
    return _label(SEND_KIND_LABELS, code)


def message_kind_label(code) -> str:
    return _label(MESSAGE_KIND_LABELS, code)


def delivery_label(code) -> str:
    return _label(DELIVERY_LABELS, code)


def subject_label(code) -> str:
    return _label(SUBJECT_LABELS, code)


def _language() -> str:
    try:
        locale = get_locale()
    except Exception:  # outside a request (a CLI command): English
        return "en"
    return locale.language if locale is not None else "en"


def instrument_title(instrument_id) -> str:
    """The title of the instrument's latest version in the current catalogue, in the page's
    language; an instrument no longer in the catalogue is shown by its id, humanised."""
    if not instrument_id:
        return "—"
    try:
        from ..publishing.startup import current_catalogue

        return current_catalogue().latest(str(instrument_id)).title.get(_language())
    except (KeyError, RuntimeError, AttributeError):
        return humanise(instrument_id)


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def detail_value(key: str, value) -> str:
    """One audit fact's value as words."""
    if isinstance(value, bool):
        return yes_no(value)
    if value is None:
        return "—"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(detail_value(key, item) for item in value) or "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{humanise(k).lower()} {detail_value(k, v)}" for k, v in value.items())
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if key in ("channel",):
        return channel_label(value)
    if key in ("role", "roles"):
        return role_label(value)
    if key == "purpose":
        return consent_purpose_label(value).lower() if value in CONSENT_PURPOSE_LABELS else humanise(value)
    if key == "party":
        return consent_party_label(value).lower() if value in CONSENT_PARTY_LABELS else humanise(value)
    if key == "instrument":
        return instrument_title(value)
    if key in DETAIL_VALUE_LABELS and value in DETAIL_VALUE_LABELS[key]:
        return str(DETAIL_VALUE_LABELS[key][value])
    return str(value)


def audit_details(detail: Mapping | None) -> str:
    """An audit event's facts as words: ``{"given": True, "purpose": "sms"}`` →
    "consent given: yes; for: being contacted by text"."""
    if not detail:
        return "—"
    if not isinstance(detail, Mapping):
        return str(detail)
    return "; ".join(f"{_label(DETAIL_LABELS, key) if key in DETAIL_LABELS else humanise(key).lower()}: "
                     f"{detail_value(key, value)}" for key, value in detail.items())


FILTERS = {
    "state_label": state_label, "channel_label": channel_label, "role_label": role_label,
    "audit_action_label": audit_action_label, "consent_purpose_label": consent_purpose_label,
    "consent_party_label": consent_party_label, "family_status_label": family_status_label,
    "send_kind_label": send_kind_label, "message_kind_label": message_kind_label, "delivery_label": delivery_label,
    "instrument_title": instrument_title,
    "audit_details": audit_details, "subject_label": subject_label, "humanise": humanise,
}


def init_words(app) -> None:
    """Register the filters on every template of the app."""
    app.jinja_env.filters.update(FILTERS)


__all__ = [*FILTERS, "init_words"]
