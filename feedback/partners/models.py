"""Partner agencies and their contacts.

A contact is not a family member: no family, no consent by a parent, no texts. They are asked by
email (the ``email_link`` channel) on date-anchored waves (``waves/planning.plan_contact``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import DIGEST, Encrypted
from ..extensions import db
from ..staff.models import Site
from ..timeutil import utcnow

IDENTIFYING = {"identifying": True}

#: The fixed vocabulary of sectors, with the words shown to staff.
SECTORS = {
    "education": "Education",
    "health": "Health",
    "police": "Police",
    "housing": "Housing",
    "social_care": "Social care",
    "voluntary": "Voluntary sector",
    "other": "Other",
}
#: A contact's role in their agency, with the words shown to staff.
CONTACT_ROLES = {"manager": "Manager", "practitioner": "Practitioner"}

agency_sites = Table(
    "partner_agency_sites", db.metadata,
    Column("agency_id", ForeignKey("partner_agencies.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class PartnerAgency(db.Model):
    """An agency the service works alongside, at one or more of its sites."""

    __tablename__ = "partner_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: An organisation's name is not personal data.
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    sites: Mapped[list[Site]] = relationship(secondary=agency_sites, order_by="Site.name")
    contacts: Mapped[list[PartnerContact]] = relationship(back_populates="agency", order_by="PartnerContact.id",
                                                          cascade="all, delete-orphan")

    @property
    def site_ids(self) -> set[int]:
        return {site.id for site in self.sites}


class PartnerContact(db.Model):
    """A manager or practitioner in a partner agency who may be surveyed."""

    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("partner_agencies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), info=IDENTIFYING)
    #: ``manager`` or ``practitioner`` (``CONTACT_ROLES``).
    role: Mapped[str] = mapped_column(String(16))
    #: Encrypted at rest; ``email_digest`` (of the lower-cased address) finds a contact without decrypting.
    email: Mapped[str | None] = mapped_column(Encrypted, info=IDENTIFYING)
    email_digest: Mapped[str | None] = mapped_column(DIGEST, index=True, info=IDENTIFYING)
    #: Whether the contact agreed to be surveyed, and when that was recorded.
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Set by the unsubscribe link (or staff): no more email until cleared by staff.
    email_opted_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Set when the mail server refused the address outright (a 5xx at send).
    email_failed_at: Mapped[datetime | None] = mapped_column(DateTime)
    email_failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    agency: Mapped[PartnerAgency] = relationship(back_populates="contacts")
