"""Importing a CSV of partner agency contacts: all or nothing, and the same file twice changes nothing.

Checked first (``contact_file``); if any row has a problem nothing is stored. A row whose address
one of its agency's contacts already has updates that contact instead of adding a second one, so
an import of this year's list after last year's adds the new people and changes the rest. Each
contact added or changed is audited and re-planned as on the contact page, and the import as a
whole is audited once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit.service import record
from ..extensions import db
from ..imports.validation import Problem
from ..staff.models import StaffUser
from .contact_file import CheckedFile, ContactRow, check_file
from .models import PartnerAgency, PartnerContact
from .service import PartnerError, add_contact, email_digest, update_contact, visible_agencies

CHANGED_MEANWHILE = ("Someone changed these agencies' contacts while the file was being imported. Nothing was "
                     "imported: import the file again.")


@dataclass(frozen=True)
class ContactImport:
    """What an import did: ``imported``, ``checked`` (a check only: nothing stored) or ``refused``."""

    status: str
    problems: list[Problem] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rows_with_problems: int = 0

    def summary(self) -> str:
        # Read in the staff page's language; English on the command line (no request there).
        if self.status == "refused":
            if self.rows_with_problems:
                return _("Nothing was imported: %(problems)s problem(s) in %(rows)s row(s). Correct the file and "
                         "import it again.", problems=len(self.problems), rows=self.rows_with_problems)
            return _("Nothing was imported: %(problems)s problem(s). Correct the file and import it again.",
                     problems=len(self.problems))
        if self.status == "checked":
            return _("The file is ready to import: %(added)s contact(s) would be added, %(updated)s updated and "
                     "%(unchanged)s left as they are. Nothing has been changed yet.",
                     added=self.added, updated=self.updated, unchanged=self.unchanged)
        return _("Contacts imported: %(added)s added, %(updated)s updated, %(unchanged)s unchanged.",
                 added=self.added, updated=self.updated, unchanged=self.unchanged)


def import_contacts(data: bytes, actor: StaffUser | None, allowed_site_ids: set[int] | None,
                    check_only: bool = False, via: str = "page") -> ContactImport:
    """Check the file and, if every row passes (and not ``check_only``), store it all and commit.

    ``allowed_site_ids``: the sites whose agencies the file may name (None: every agency). An
    agency the importer may not see is refused like one that does not exist.
    """
    agencies: dict[str, list[int]] = {}
    for agency in db.session.scalars(visible_agencies(allowed_site_ids)):
        agencies.setdefault(" ".join(agency.name.lower().split()), []).append(agency.id)
    checked: CheckedFile = check_file(data, agencies)
    if checked.problems:
        return ContactImport("refused", checked.problems, rows_with_problems=checked.rows_with_problems)
    existing = _existing_contacts(checked.rows)
    plan = [(row, existing.get((row.agency_id, email_digest(row.email)))) for row in checked.rows]
    if check_only:
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        for row, contact in plan:
            counts["added" if contact is None else "updated" if differs(contact, row) else "unchanged"] += 1
        return ContactImport("checked", **counts)

    actor_id = actor.id if actor else None
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    try:
        for row, contact in plan:
            if contact is None:
                add_contact(db.session.get(PartnerAgency, row.agency_id), row.name, row.role, row.email, row.consent,
                            row.active, actor_id, via="import")
                counts["added"] += 1
            elif update_contact(contact, row.name, row.role, row.email, row.consent, row.active, actor_id,
                                via="import"):
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        record("contacts.imported", actor_id=actor_id, via=via, file_sha256=hashlib.sha256(data).hexdigest(),
               agencies=len({row.agency_id for row in checked.rows}), **counts)
        db.session.commit()
    except PartnerError:
        # Only when a contact with the same address was added since the check: the file is sound.
        db.session.rollback()
        return ContactImport("refused", [Problem(None, None, CHANGED_MEANWHILE)])
    return ContactImport("imported", **counts)


def differs(contact: PartnerContact, row: ContactRow) -> bool:
    """Whether importing the row would change the contact (its address matches already)."""
    return (contact.name, contact.role, contact.consent, contact.active) != (row.name, row.role, row.consent,
                                                                              row.active)


def _existing_contacts(rows: list[ContactRow]) -> dict[tuple[int, str], PartnerContact]:
    """The contacts the file's rows already name, by (agency id, email digest)."""
    found: dict[tuple[int, str], PartnerContact] = {}
    digests = sorted({email_digest(row.email) for row in rows})
    agency_ids = sorted({row.agency_id for row in rows})
    for start in range(0, len(digests), 500):  # well under every database's limit on bound parameters
        query = sa.select(PartnerContact).where(PartnerContact.agency_id.in_(agency_ids),
                                                PartnerContact.email_digest.in_(digests[start:start + 500])) \
            .order_by(PartnerContact.id)
        for contact in db.session.scalars(query):
            # The oldest of any duplicates made before addresses were checked is the one kept up to date.
            found.setdefault((contact.agency_id, contact.email_digest), contact)
    return found
