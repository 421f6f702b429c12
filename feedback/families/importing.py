"""Storing a checked case file: families, members and consent decisions, all or nothing.

Every change goes through the same ``families.service`` functions the family pages use
(``create_family``, ``update_family``, ``add_member``, ``update_member``, ``record_consent``), so
each family's invitations are planned exactly as if staff had typed the file in. A family is
found by (site, case_ref) and a member by (family, member_ref), so importing the same file again
changes nothing; a changed date, phone or other value updates the record.

A family's waves are planned once, after its dates, members and consent decisions are all stored
(``service.replanning_once``), not after each change: the waiting invitations are those a re-plan
after every change gives, at a fraction of the cost. ``store_case_file`` is the storing step on
its own, for callers with their own checks and answers (the API's upserts).

Consent decisions are never edited (see ``Consent``): a decision in the file is added, dated at
midnight of its day with text version ``import``, only when it differs from the decision in
force for that purpose and party, and only when it is not older than that decision (a later
decision on record stands).

With ``skip_long_past``, a family whose exit date is more than ``LONG_PAST_MONTHS`` months ago is
recorded closed, so no wave is planned for it now or when it is changed later. The planner
already leaves out waves whose window has closed, and the latest wave of the shipped schedule
(12 months after exit) closes 28 days after it is due, so such a family would have nothing
planned today either way; closing it keeps a later schedule change from inviting it years on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import record
from ..extensions import db
from ..languages import ui_languages
from ..imports.reading import NO_HEADINGS, FileProblem, file_sha256, read_table
from ..imports.service import nothing_imported
from ..staff.access import practitioners_of
from ..staff.models import Site, StaffUser
from ..timeutil import utcnow
from ..waves.models import WAITING, Invitation
from ..waves.scheduling import due_date
from .case_file import COLUMNS, CaseLookups, FamilyRecord, MemberRecord, Problem, check_case_file
from .consent import latest
from .models import Family, Member
from .service import (KEEP, FamilyError, add_member, create_family, record_consent, replanning_once, update_family,
                      update_member)

#: With ``skip_long_past``: families whose support ended more than this many months ago are closed.
LONG_PAST_MONTHS = 13
CONSENT_TEXT_VERSION = "import"
#: Lazy: made into text (``str``) where it is used.
CHANGED_MEANWHILE = _l("Someone changed one of the file's families or members while it was being imported. "
                       "Nothing was imported: import the file again.")


@dataclass
class Counts:
    families_added: int = 0
    families_updated: int = 0
    families_unchanged: int = 0
    members_added: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    consents_recorded: int = 0
    consents_in_force: int = 0
    consents_older: int = 0
    #: Families recorded closed by ``skip_long_past`` (by this import).
    closed_long_past: int = 0
    #: Invitations waiting to be sent to the file's families after the import.
    invitations_waiting: int = 0

    def add(self, other: "Counts") -> None:
        for name in Counts.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def result(self) -> str:
        """One family's outcome in a word: ``created``, ``updated`` or ``unchanged``."""
        return ("created" if self.families_added else
                "updated" if self.families_updated or self.members_added or self.members_updated
                or self.consents_recorded or self.closed_long_past else "unchanged")


@dataclass
class StoredFamily:
    family: Family
    #: What storing this family did (``invitations_waiting`` is not counted here).
    counts: Counts


class FamilyRefused(FamilyError):
    """The family pages' services refused one family of the file: ``position`` (in the file's
    families) and ``record`` say which; the message says why."""

    def __init__(self, position: int, record_: FamilyRecord, refusal: FamilyError):
        super().__init__(str(refusal))
        self.position = position
        self.record = record_


@dataclass
class FamilyImport:
    """What an import did: ``imported``, ``checked`` (stored nothing, on request) or ``refused``."""

    status: str
    problems: list[Problem] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    rows: int = 0

    def summary(self) -> str:
        if self.status == "refused":
            return nothing_imported(len(self.problems), len({p.row for p in self.problems if p.row is not None}))
        c = self.counts
        lead = _("The file is fine. Importing it would record") if self.status == "checked" else _("Imported")
        text = _("%(lead)s: families %(families_added)s added, %(families_updated)s updated, %(families_unchanged)s "
                 "unchanged; members %(members_added)s added, %(members_updated)s updated, %(members_unchanged)s "
                 "unchanged; consent decisions %(consents_recorded)s recorded, %(consents_in_force)s already in force, "
                 "%(consents_older)s older than the decision on record (left out).", lead=lead,
                 **{name: getattr(c, name) for name in Counts.__dataclass_fields__})
        text += " " + ngettext("%(num)s invitation(s) planned for these families.",
                               "%(num)s invitation(s) planned for these families.", c.invitations_waiting)
        if c.closed_long_past:
            text += " " + ngettext("%(num)s family(ies) whose support ended more than %(months)s months ago recorded "
                                   "closed: no waves are planned for them.",
                                   "%(num)s family(ies) whose support ended more than %(months)s months ago recorded "
                                   "closed: no waves are planned for them.", c.closed_long_past,
                                   months=LONG_PAST_MONTHS)
        if self.status == "checked":
            text += " " + _("Nothing was stored.")
        return text


def read_case_file(data: bytes) -> tuple[list[str], dict[int, dict[str, str]]]:
    """The file's headings and its rows (row number → heading → text); ``FileProblem`` if unreadable."""
    try:
        frame = read_table(data)
    except FileProblem as problem:
        if str(problem) == NO_HEADINGS:
            raise FileProblem(_("The first row must hold the column headings (%(columns)s, ...), but it is empty.",
                                columns=", ".join(COLUMNS[:4]))) from None
        raise
    headings = list(frame.columns)
    return headings, {int(number): dict(zip(headings, values)) for number, values in
                      zip(frame.index, frame.itertuples(index=False, name=None))}


def lookups(allowed_site_ids: set[int] | None, today: date) -> CaseLookups:
    query = sa.select(Site)
    if allowed_site_ids is not None:
        query = query.where(Site.id.in_(allowed_site_ids))
    sites = db.session.scalars(query).all()
    practitioners = {user.email.lower(): (user.id, {site.id for site in user.sites})
                     for user in practitioners_of([site.id for site in sites])}
    return CaseLookups({site.code.lower(): site.id for site in sites}, practitioners, today, ui_languages())


def import_families(data: bytes, actor: StaffUser | None, allowed_site_ids: set[int] | None, *,
                    check_only: bool = False, skip_long_past: bool = False, today: date | None = None) -> FamilyImport:
    """Check the file and, if every row passes, store it all in one transaction and commit.

    ``allowed_site_ids``: the sites the importer may see (None: every site); a row of any other
    site is a problem like an unknown site. ``check_only``: do everything, then roll it back.
    """
    today = today or utcnow().date()
    try:
        headings, rows = read_case_file(data)
    except FileProblem as problem:
        return FamilyImport("refused", [Problem(problem.row, problem.column, str(problem))])
    checked = check_case_file(headings, rows, lookups(allowed_site_ids, today))
    if not checked.ok:
        return FamilyImport("refused", checked.problems, rows=len(rows))
    actor_id = actor.id if actor else None
    counts = Counts()
    try:
        stored = store_case_file(checked.families, actor_id, skip_long_past=skip_long_past, today=today)
    except FamilyRefused as refusal:
        db.session.rollback()
        return FamilyImport("refused", [Problem(refusal.record.rows[0], None,
                                                _("Family %(family)s: %(problem)s", family=refusal.record.label,
                                                  problem=refusal))], rows=len(rows))
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        return FamilyImport("refused", [Problem(None, None, str(CHANGED_MEANWHILE))], rows=len(rows))
    for one in stored:
        counts.add(one.counts)
    family_ids = [one.family.id for one in stored]
    counts.invitations_waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.family_id.in_(family_ids), Invitation.state.in_(WAITING))) if family_ids else 0
    if check_only:
        db.session.rollback()
        return FamilyImport("checked", counts=counts, rows=len(rows))
    record("families.imported", actor_id=actor_id, file_sha256=file_sha256(data), rows=len(rows),
           sites=sorted({family.site_code for family in checked.families}), skip_long_past=skip_long_past,
           **{name: getattr(counts, name) for name in Counts.__dataclass_fields__})
    db.session.commit()
    return FamilyImport("imported", counts=counts, rows=len(rows))


def long_past(exit_date: date | None, today: date) -> bool:
    return exit_date is not None and due_date(exit_date, LONG_PAST_MONTHS) < today


#: Families looked up a query at a time when storing a case file.
FIND_CHUNK = 500


def store_case_file(families: list[FamilyRecord], actor_id: int | None, *, skip_long_past: bool = False,
                    today: date | None = None, cause: str = "family imported") -> list[StoredFamily]:
    """Store checked families (``check_case_file``), each with its members and consent decisions,
    through the family pages' services, and plan each family's waves once, after all of it.

    Flushed, not committed: all or nothing is the caller's (commit, or roll back on an exception).
    Raises ``FamilyRefused`` when a service refuses a family, and ``IntegrityError`` or
    ``StaleDataError`` when someone changed one meanwhile (``CHANGED_MEANWHILE``).
    """
    today = today or utcnow().date()
    found = _existing_families(families)
    stored = []
    for position, family_record in enumerate(families):
        counts = Counts()
        try:
            with replanning_once(cause, actor_id):
                family = store_family(family_record, counts, actor_id, skip_long_past, today,
                                      found=found.get((family_record.site_id, family_record.case_ref)))
        except FamilyError as refusal:
            raise FamilyRefused(position, family_record, refusal) from None
        stored.append(StoredFamily(family, counts))
    db.session.flush()
    return stored


def _existing_families(families: list[FamilyRecord]) -> dict[tuple[int, str], Family]:
    """The families of the file already on record, with their members and decisions, a few queries
    for them all (instead of several per family)."""
    keys = list(dict.fromkeys((record_.site_id, record_.case_ref) for record_ in families))
    found = {}
    for start in range(0, len(keys), FIND_CHUNK):
        chunk = keys[start:start + FIND_CHUNK]
        query = (sa.select(Family).where(sa.tuple_(Family.site_id, Family.case_ref).in_(chunk))
                 .options(selectinload(Family.members).selectinload(Member.consents), selectinload(Family.pauses)))
        found.update({(family.site_id, family.case_ref): family for family in db.session.scalars(query)})
    return found


def store_family(record_: FamilyRecord, counts: Counts, actor_id: int | None, skip_long_past: bool = False,
                 today: date | None = None, *, found: Family | None | bool = False) -> Family:
    """Store one checked family with its members and consent decisions (``counts`` adds up what it
    did). Called within ``replanning_once`` (as ``store_case_file`` does), the family is planned once
    at the end; on its own, after each change, as the family pages do. ``found``: the family on
    record, or None if there is none, when the caller looked it up already (default: look it up)."""
    today = today or utcnow().date()
    family = _store_family(record_, counts, actor_id, skip_long_past, today, found)
    for member_record in record_.members:
        member = _store_member(family, member_record, counts, actor_id)
        _store_consents(member, member_record, counts, actor_id)
    return family


def _store_family(record_: FamilyRecord, counts: Counts, actor_id: int | None, skip_long_past: bool,
                  today: date, found: Family | None | bool = False) -> Family:
    family = found if found is not False else db.session.scalar(
        sa.select(Family).filter_by(site_id=record_.site_id, case_ref=record_.case_ref))
    added = family is None
    if added:
        family = create_family(record_.site_id, record_.case_ref, record_.key_worker_id, record_.referral_date,
                               record_.entry_date, record_.exit_date, actor_id)
        _nothing_on_record(family, "members", "pauses")
        changes = {}
    else:
        # An empty cell keeps what is on record.
        names = ("referral_date", "entry_date", "exit_date", "key_worker_id")
        changes = {name: getattr(record_, name) for name in names
                   if getattr(record_, name) is not None and getattr(record_, name) != getattr(family, name)}
        if changes:
            update_family(family, family.version, actor_id, **changes)
    if skip_long_past and family.status == "open" and long_past(family.exit_date, today):
        # Closed before its members are added, so none of them is planned for even for a moment.
        update_family(family, family.version, actor_id, status="closed")
        counts.closed_long_past += 1
        changes["status"] = "closed"
    if added:
        counts.families_added += 1
    elif changes:
        counts.families_updated += 1
    else:
        counts.families_unchanged += 1
    return family


def _nothing_on_record(record_, *collections: str) -> None:
    """A family or member made just now has nothing on record in these collections: say so, so that
    reading them (to plan, or to find a member) does not query the database for each one."""
    for name in collections:
        if name not in record_.__dict__:
            set_committed_value(record_, name, [])


def _store_member(family: Family, record_: MemberRecord, counts: Counts, actor_id: int | None) -> Member:
    member = next((m for m in family.members if m.member_ref == record_.member_ref), None)
    if member is None:
        counts.members_added += 1
        member = add_member(family, record_.role, record_.name, record_.birth_year, record_.birth_month,
                            record_.language or "en", record_.channel or record_.default_channel(), record_.phone,
                            actor_id, member_ref=record_.member_ref, email=record_.email)
        _nothing_on_record(member, "consents")
        return member
    wanted = {"role": record_.role, "name": record_.name, "language": record_.language, "channel": record_.channel}
    if record_.birth_year is not None:
        wanted |= {"birth_year": record_.birth_year, "birth_month": record_.birth_month}
    changes = {name: value for name, value in wanted.items() if value is not None and value != getattr(member, name)}
    new_phone = record_.phone is not None and record_.phone != member.phone
    new_email = record_.email is not None and record_.email != member.email
    if changes or new_phone or new_email:
        update_member(member, member.version, record_.phone if new_phone else member.phone, actor_id,
                      email=record_.email if new_email else KEEP, **changes)
        counts.members_updated += 1
    else:
        counts.members_unchanged += 1
    return member


def _store_consents(member: Member, record_: MemberRecord, counts: Counts, actor_id: int | None) -> None:
    for decision in record_.consents:
        at = datetime.combine(decision.on, time())
        current = latest(member.consents, decision.purpose, decision.party)
        if current is not None and current.given == decision.given:
            counts.consents_in_force += 1
        elif current is not None and at < current.recorded_at:
            counts.consents_older += 1
        else:
            recorded = record_consent(member, decision.purpose, decision.party, decision.given, CONSENT_TEXT_VERSION,
                                      actor_id)
            # Planned (at once, or at the end of ``replanning_once``) with the decision as the latest,
            # which it still is on its own day: it is dated no earlier than the decision it replaces.
            recorded.recorded_at = at
            counts.consents_recorded += 1
