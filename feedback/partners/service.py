"""Recording partner agencies and their contacts, for the staff pages, the import and the CLI.

Every change to a contact is audited (an email address is personal data) and re-plans that
contact's invitations (``waves.service.replan_contact``), so a contact who withdraws consent or
leaves is not asked again. The caller commits; a refusal raises ``PartnerError`` before anything
is changed.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.service import record
from ..crypto import lookup_digest
from ..extensions import db
from ..staff.models import Site
from ..timeutil import utcnow
from .models import CONTACT_ROLES, SECTORS, PartnerAgency, PartnerContact, agency_sites

#: The fields of a contact staff may set (the email apart, which needs its digest kept in step).
CONTACT_FIELDS = ("name", "role", "consent", "active")


class PartnerError(ValueError):
    """A change refused; the message says what was wrong and what to do, ``field`` which form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise_email(typed: str) -> str:
    """An address as stored and digested: trimmed and lower case, so one inbox is one contact."""
    return typed.strip().lower()


def email_digest(address: str) -> str:
    """The lookup digest of an address, the same keyed digest members' phones use."""
    return lookup_digest(normalise_email(address))


def visible_agencies(site_ids: set[int] | None):
    """A select of the agencies working with at least one of these sites (None: every agency)."""
    query = sa.select(PartnerAgency).order_by(PartnerAgency.name, PartnerAgency.id)
    if site_ids is None:
        return query
    working_here = sa.select(agency_sites.c.agency_id).where(agency_sites.c.site_id.in_(site_ids))
    return query.where(PartnerAgency.id.in_(working_here))


def contact_counts(agency_ids: Iterable[int]) -> dict[int, int]:
    """How many contacts each agency has (active or not)."""
    ids = list(agency_ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(PartnerContact.agency_id, sa.func.count())
                                   .where(PartnerContact.agency_id.in_(ids)).group_by(PartnerContact.agency_id)).all())


def _check_agency(name: str, sector: str, site_ids: Iterable[int]) -> tuple[str, list[Site]]:
    name = (name or "").strip()
    if not name:
        raise PartnerError(_("Enter the agency's name."), "name")
    if sector not in SECTORS:
        raise PartnerError(_("Choose a sector: %(sectors)s.", sectors=", ".join(SECTORS)), "sector")
    sites = list(db.session.scalars(sa.select(Site).where(Site.id.in_(list(site_ids))).order_by(Site.name)))
    if not sites:
        raise PartnerError(_("Choose at least one site the agency works with."), "site_ids")
    return name, sites


def create_agency(name: str, sector: str, site_ids: Iterable[int], active: bool = True) -> PartnerAgency:
    """A new agency working with these sites. Refused: no name, an unknown sector, no site."""
    name, sites = _check_agency(name, sector, site_ids)
    agency = PartnerAgency(name=name, sector=sector, active=active, sites=sites)
    db.session.add(agency)
    db.session.flush()
    return agency


def update_agency(agency: PartnerAgency, name: str, sector: str, site_ids: Iterable[int], active: bool,
                  actor_id: int | None = None) -> None:
    """Change an agency. Its contacts are re-planned when whether or where it works changes."""
    name, sites = _check_agency(name, sector, site_ids)
    replan = active != agency.active or {s.id for s in sites} != agency.site_ids
    agency.name, agency.sector, agency.active, agency.sites = name, sector, active, sites
    if replan:
        for contact in agency.contacts:
            _replan(contact, "partner agency changed", actor_id)


def find_contact(agency: PartnerAgency, address: str) -> PartnerContact | None:
    """The agency's contact with this address (however it was capitalised), if any."""
    return db.session.scalar(sa.select(PartnerContact).where(
        PartnerContact.agency_id == agency.id, PartnerContact.email_digest == email_digest(address))
        .order_by(PartnerContact.id).limit(1))


def _check_contact(agency: PartnerAgency, name: str, role: str, email: str,
                   contact: PartnerContact | None = None) -> tuple[str, str]:
    name, email = (name or "").strip(), normalise_email(email or "")
    if not name:
        raise PartnerError(_("Enter the contact's name."), "name")
    if role not in CONTACT_ROLES:
        raise PartnerError(_("Choose a role: %(roles)s.", roles=", ".join(CONTACT_ROLES)), "role")
    if not email:
        raise PartnerError(_("Enter the contact's email address."), "email")
    other = find_contact(agency, email)
    if other is not None and other is not contact:
        raise PartnerError(_("%(agency)s already has a contact with this email address (%(contact)s). "
                             "Change that contact instead of adding another.", agency=agency.name,
                             contact=other.name), "email")
    return name, email


def add_contact(agency: PartnerAgency, name: str, role: str, email: str, consent: bool, active: bool = True,
                actor_id: int | None = None, via: str = "page") -> PartnerContact:
    """Add a contact to an agency, audited and planned. Refused: no name or address, an unknown
    role, an address the agency's contacts already have."""
    name, email = _check_contact(agency, name, role, email)
    now = utcnow()
    # Staff chose yes or no on purpose, so either is a decision recorded now.
    contact = PartnerContact(agency=agency, name=name, role=role, email=email, email_digest=email_digest(email),
                             consent=consent, consent_recorded_at=now, active=active, created_at=now, updated_at=now)
    db.session.add(contact)
    db.session.flush()
    record("contact.created", contact, actor_id=actor_id, agency_id=agency.id, via=via)
    _replan(contact, "partner contact added", actor_id)
    return contact


def update_contact(contact: PartnerContact, name: str, role: str, email: str, consent: bool, active: bool,
                   actor_id: int | None = None, clear_opt_out: bool = False, via: str = "page") -> list[str]:
    """Change a contact; returns the names of the fields changed (none: nothing recorded).

    A new consent decision is dated now; a new address clears the mark of a refused one, as it
    may work. Refused as ``add_contact`` refuses.
    """
    name, email = _check_contact(contact.agency, name, role, email, contact)
    wanted = {"name": name, "role": role, "consent": consent, "active": active}
    changed = [field for field in CONTACT_FIELDS if getattr(contact, field) != wanted[field]]
    now = utcnow()
    for field in changed:
        setattr(contact, field, wanted[field])
    if "consent" in changed:
        contact.consent_recorded_at = now
    if email != contact.email:
        contact.email, contact.email_digest = email, email_digest(email)
        contact.email_failed_at = contact.email_failure = None
        changed.append("email")
    if clear_opt_out and contact.email_opted_out_at is not None:
        contact.email_opted_out_at = None
        changed.append("email_opted_out_at")
    if changed:
        contact.updated_at = now
        record("contact.changed", contact, actor_id=actor_id, agency_id=contact.agency_id, fields=changed, via=via)
        _replan(contact, "partner contact changed", actor_id)
    return changed


def _replan(contact: PartnerContact, cause: str, actor_id: int | None) -> dict:
    # Imported when called: waves.service imports much of the app, and this keeps partners light.
    from ..waves.service import replan_contact

    db.session.flush()
    return replan_contact(contact, cause, actor_id)
