"""Partner agencies and contacts for tests, made through the same services the pages use."""
from __future__ import annotations

from feedback.extensions import db
from feedback.partners.service import add_contact, create_agency


def agency_with_contact(site_ids, name: str = "Northbridge Primary School", email: str = "head@school.example.org",
                        sector: str = "education") -> tuple[int, int]:
    """An agency working with these sites and one consenting manager; returns (agency id, contact id).
    Call inside an app context."""
    agency = create_agency(name, sector, site_ids)
    contact = add_contact(agency, "Hana Head", "manager", email, consent=True)
    db.session.commit()
    return agency.id, contact.id
