"""Importing a checked file: families, members and completed, scored responses, all or nothing.

Each row becomes a response exactly as the app makes one (``create_response``, ``save_answers``,
``complete``, so it records the instrument id, version and content hash and is scored by the same
rules), with mode ``import``, the wave named, and the form's date as its completion time. A file is
known by the SHA-256 of its bytes: importing the same file again stores nothing and says when it
was imported before. Nothing is stored unless every row passes (``validation``). An invitation
still open for the same person (or family), instrument and wave is marked completed, so no text
or reminder asks for answers the file already holds.

A partner survey's rows (``validation.answered_for`` "partner") become anonymous responses: no
family, member or contact, linked from no invitation, their times to the day only (as
``survey.anonymous`` writes an anonymous response's), on the form's date or else the import's day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy.exc import IntegrityError

from ..audit.service import record
from ..extensions import db
from ..exports.deidentify import SERVICE_ZONE
from ..families.models import Family, Member
from ..families.service import FamilyError, add_member, create_family, update_family
from ..instruments import Instrument
from ..instruments.derivation import NEEDS_ENTRY
from ..staff.models import Site, StaffUser
from ..survey.anonymous import today
from ..survey.models import Answer, Response
from ..survey.service import complete, create_response, save_answers
from ..timeutil import utcnow
from ..waves.models import OPEN_STATES, Invitation
from ..waves.service import current_schedules, move
from .models import ImportBatch
from .reading import FileProblem, file_sha256, read_table
from .validation import Lookups, Problem, Report, Row, answered_for, keys_in, validate

#: A form gives a day, not a time. Midday UTC is the same calendar day in every zone within eleven
#: hours of UTC, so exports that show completion as a local day show the form's date.
COMPLETED_AT = time(12, 0)
#: Lazy: made into text (``str``) where it is used.
CHANGED_MEANWHILE = _l("Someone recorded one of the file's families or members while it was being imported. "
                       "Nothing was imported: import the file again.")
#: Keeps each look-up well under every database's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class Outcome:
    """What an import did: ``imported``, ``already_imported`` (nothing changed) or ``refused``."""

    status: str
    batch: ImportBatch | None = None
    report: Report | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.report.problems if self.report else []

    def summary(self) -> str:
        batch = self.batch
        if self.status == "imported":
            return _("%(imported)s; %(families)s, %(members)s.",
                     imported=ngettext("Imported %(num)s %(instrument)s v%(version)s response(s) for wave %(wave)s",
                                       "Imported %(num)s %(instrument)s v%(version)s response(s) for wave %(wave)s",
                                       batch.responses, instrument=batch.instrument_id, version=batch.version,
                                       wave=batch.wave),
                     families=ngettext("%(num)s new family(ies)", "%(num)s new family(ies)", batch.families_created),
                     members=ngettext("%(num)s new member(s)", "%(num)s new member(s)", batch.members_created))
        if self.status == "already_imported":
            values = dict(day=f"{batch.imported_at:%d %b %Y}", time=f"{batch.imported_at:%H:%M}",
                          instrument=batch.instrument_id, version=batch.version, wave=batch.wave)
            if batch.imported_by:
                return ngettext("This file was already imported on %(day)s at %(time)s UTC by %(name)s, as %(num)s "
                                "%(instrument)s v%(version)s response(s) for wave %(wave)s. Nothing was changed.",
                                "This file was already imported on %(day)s at %(time)s UTC by %(name)s, as %(num)s "
                                "%(instrument)s v%(version)s response(s) for wave %(wave)s. Nothing was changed.",
                                batch.responses, name=batch.imported_by.name, **values)
            return ngettext("This file was already imported on %(day)s at %(time)s UTC, as %(num)s %(instrument)s "
                            "v%(version)s response(s) for wave %(wave)s. Nothing was changed.",
                            "This file was already imported on %(day)s at %(time)s UTC, as %(num)s %(instrument)s "
                            "v%(version)s response(s) for wave %(wave)s. Nothing was changed.",
                            batch.responses, **values)
        return nothing_imported(len(self.problems), self.report.rows_with_problems)


def nothing_imported(problems: int, rows: int) -> str:
    """What a refused import says (responses, families): how many problems, in how many rows."""
    if rows:
        return ngettext("Nothing was imported: %(num)s problem(s) in %(rows)s row(s). Correct the file and import it "
                        "again.",
                        "Nothing was imported: %(num)s problem(s) in %(rows)s row(s). Correct the file and import it "
                        "again.", problems, rows=rows)
    return ngettext("Nothing was imported: %(num)s problem(s). Correct the file and import it again.",
                    "Nothing was imported: %(num)s problem(s). Correct the file and import it again.", problems)


def import_responses(data: bytes, file_name: str | None, instrument: Instrument, wave: str,
                     actor: StaffUser | None, allowed_site_ids: set[int] | None) -> Outcome:
    """Check the file and, if every row passes, store it all in one transaction and commit.

    ``allowed_site_ids``: the sites the person may import for (None: every site). Rows of any
    other site are problems, like any other, so nothing is stored.
    """
    digest = file_sha256(data)
    earlier = _batch(digest)
    if earlier is not None:
        return Outcome("already_imported", earlier)
    try:
        frame = read_table(data)
    except FileProblem as problem:
        return Outcome("refused", report=Report([], [Problem(problem.row, problem.column, str(problem))]))
    report = validate(instrument, frame, _lookups(frame, instrument, wave, allowed_site_ids))
    if not report.ok:
        return Outcome("refused", report=report)
    actor_id = actor.id if actor else None
    batch = ImportBatch(file_sha256=digest, file_name=(file_name or "")[:255] or None, instrument_id=instrument.id,
                        version=instrument.version, content_hash=instrument.content_hash, wave=wave,
                        imported_by_id=actor_id, imported_at=utcnow(), responses=len(report.rows),
                        families_created=0, members_created=0)
    try:
        db.session.add(batch)
        # The unique hash is claimed first: a second import of the same file running at the same
        # moment waits here for this one, then finds it.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return Outcome("already_imported", _batch(digest))
    try:
        if answered_for(instrument) == "partner":
            for row in report.rows:
                _add_anonymous_response(row, instrument, wave, batch)
            db.session.flush()
        else:
            _store(report.rows, instrument, wave, batch, actor_id)
        record("responses.imported", batch, actor_id=actor_id, file_sha256=digest, instrument=instrument.id,
               version=instrument.version, wave=wave, responses=batch.responses,
               families_created=batch.families_created, members_created=batch.members_created,
               sites=sorted({row.site for row in report.rows if row.site}))
        db.session.commit()
    except (FamilyError, IntegrityError):
        # Someone recorded one of the file's families or members between the checks and now.
        db.session.rollback()
        return Outcome("refused", report=Report([], [Problem(None, None, str(CHANGED_MEANWHILE))]))
    except Exception:
        db.session.rollback()
        raise
    return Outcome("imported", batch)


def _batch(digest: str) -> ImportBatch | None:
    return db.session.scalar(sa.select(ImportBatch).filter_by(file_sha256=digest))


def _chunks(values: list):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _families(keys: set[tuple[str, str]], sites: dict[str, int]) -> dict[tuple[str, str], Family]:
    """The existing families among (site code, case_ref) pairs."""
    codes = {site_id: code for code, site_id in sites.items()}
    found = {}
    for refs in _chunks(sorted({case_ref for _site, case_ref in keys})):
        for family in db.session.scalars(sa.select(Family).where(Family.case_ref.in_(refs))):
            key = (codes.get(family.site_id), family.case_ref)
            if key in keys:
                found[key] = family
    return found


def _lookups(frame, instrument: Instrument, wave: str, allowed_site_ids: set[int] | None) -> Lookups:
    sites = {site.code.lower(): site.id for site in db.session.scalars(sa.select(Site))}
    allowed = None if allowed_site_ids is None else frozenset(
        code for code, site_id in sites.items() if site_id in allowed_site_ids)
    keys = keys_in(frame)
    # Only the sites the person may import for are looked at, so a report never tells them
    # anything about another site's families.
    families = _families({(site, case_ref) for site, case_ref, _m in keys if allowed is None or site in allowed},
                         sites)
    by_id = {family.id: key for key, family in families.items()}
    members, refs, answered = {}, {}, set()
    for ids in _chunks(list(by_id)):
        named = sa.select(Member.id, Member.family_id, Member.member_ref, Member.role).where(
            Member.family_id.in_(ids), Member.member_ref.is_not(None))
        for member_id, family_id, member_ref, role in db.session.execute(named):
            members[(*by_id[family_id], member_ref)] = role
            refs[member_id] = member_ref
        done = sa.select(Response.family_id, Response.member_id).where(
            Response.family_id.in_(ids), Response.instrument_id == instrument.id, Response.wave == wave,
            Response.status == "completed")
        for family_id, member_id in db.session.execute(done):
            # A member with no reference cannot be named in a file, so cannot be repeated by one.
            if member_id is None or member_id in refs:
                answered.add((*by_id[family_id], refs.get(member_id)))
    today = datetime.now(ZoneInfo(SERVICE_ZONE)).date()
    family_dates = {key: (family.referral_date, family.entry_date, family.exit_date)
                    for key, family in families.items()}
    entry = _entry_answers(by_id, instrument) if any(
        item.derive and item.derive.rule in NEEDS_ENTRY for item in instrument.items) else {}
    return Lookups(sites=sites, allowed_sites=allowed, today=today, members=members,
                   answered=frozenset(answered), family_dates=family_dates,
                   wave_point=wave_point(wave), entry_answers=entry)


def wave_point(wave: str) -> str | None:
    """``entry`` or ``exit`` for a wave at the start or end of support (anchored there, no offset)."""
    for schedule in current_schedules().values():
        for found in schedule.waves:
            if found.name == wave and found.anchor in ("entry", "exit") and found.offset_months == 0:
                return found.anchor
    return None


def _entry_answers(by_id: dict[int, tuple[str, str]], instrument: Instrument) -> dict[tuple[str, str], dict]:
    """Each family's stored answers to this instrument (any version) at the start of support, the
    earliest response if there are several: what a derived item such as ``need_escalated`` compares
    the file's answers with."""
    entry_waves = sorted({wave.name for schedule in current_schedules().values() for wave in schedule.waves
                          if wave_point(wave.name) == "entry"})
    found: dict[tuple[str, str], dict] = {}
    for ids in _chunks(list(by_id)):
        query = (sa.select(Response.family_id, Response.id, Answer.item_id, Answer.value)
                 .join(Answer, Answer.response_id == Response.id)
                 .where(Response.family_id.in_(ids), Response.member_id.is_(None),
                        Response.instrument_id == instrument.id, Response.status == "completed",
                        Response.wave.in_(entry_waves))
                 .order_by(Response.completed_at, Response.id))
        earliest: dict[int, int] = {}
        for family_id, response_id, item_id, value in db.session.execute(query):
            if earliest.setdefault(family_id, response_id) == response_id:
                found.setdefault(by_id[family_id], {})[item_id] = value
    return found


def _store(rows: list[Row], instrument: Instrument, wave: str, batch: ImportBatch, actor_id: int | None) -> None:
    sites = {site.code.lower(): site.id for site in db.session.scalars(sa.select(Site))}
    families = _families({(row.site, row.case_ref) for row in rows}, sites)
    for row in rows:
        family = families.get((row.site, row.case_ref))
        if family is None:
            family = families[(row.site, row.case_ref)] = create_family(sites[row.site], row.case_ref, None,
                                                                        actor_id=actor_id)
            batch.families_created += 1
        _fill_family_dates(family, row, actor_id)
        member = None
        if row.member_ref:
            member = db.session.scalar(sa.select(Member).filter_by(family_id=family.id, member_ref=row.member_ref))
            if member is None:
                # Nothing else is known about them: no name, phone or consent, so nobody is contacted
                # until staff complete the record.
                member = add_member(family, row.new_member_role, None, None, None, "en", "sms_link", None,
                                    actor_id=actor_id, member_ref=row.member_ref)
                batch.members_created += 1
        _add_response(row, instrument, wave, batch, family, member)
    db.session.flush()


def _fill_family_dates(family: Family, row: Row, actor_id: int | None) -> None:
    """The row's entry and exit dates, on a family that has none yet, through the staff pages' own
    ``update_family`` (which checks their order and re-plans the waves). The checks refused any
    date that differs from one the family has, so none is replaced here."""
    changes = {column: value for column, value in row.family_dates.items() if getattr(family, column) is None}
    if changes:
        update_family(family, family.version, actor_id, **changes)
        db.session.flush()


def _add_response(row: Row, instrument: Instrument, wave: str, batch: ImportBatch, family: Family,
                  member: Member | None) -> None:
    response, _token = create_response(instrument, valid_days=0,  # the link is never given to anyone
                                       language=instrument.languages[0])  # a file says no language
    response.family_id, response.member_id = family.id, member.id if member else None
    response.wave, response.import_batch_id = wave, batch.id
    db.session.flush()
    save_answers(response, row.answers, mode="import", commit=False)
    complete(response, instrument, commit=False)
    completed_at = datetime.combine(row.completed_on, COMPLETED_AT)
    # The form's date, not the moment of the import; started is not known, so it is the same.
    db.session.execute(sa.update(Response).where(Response.id == response.id)
                       .values(started_at=completed_at, completed_at=completed_at))
    _settle_invitation(response, family, member, instrument, wave)


def _add_anonymous_response(row: Row, instrument: Instrument, wave: str, batch: ImportBatch) -> None:
    """A partner survey's form as an anonymous response: whose it was is not kept, and no invitation
    is settled (an anonymous response is never linked to one)."""
    response, _token = create_response(instrument, valid_days=0,  # the link is never given to anyone
                                       language=instrument.languages[0])  # a file says no language
    response.anonymous, response.wave, response.import_batch_id = True, wave, batch.id
    day = datetime.combine(row.completed_on, time()) if row.completed_on else today()
    response.created_at = response.expires_at = day
    db.session.flush()
    save_answers(response, row.answers, mode="import", commit=False)
    complete(response, instrument, commit=False)
    db.session.execute(sa.update(Response).where(Response.id == response.id)
                       .values(started_at=day, completed_at=day, updated_at=day))


def _settle_invitation(response: Response, family: Family, member: Member | None, instrument: Instrument,
                       wave: str) -> None:
    """An invitation still open for the same answers is done: no text or reminder should ask again."""
    query = sa.select(Invitation).where(Invitation.family_id == family.id, Invitation.instrument_id == instrument.id,
                                        Invitation.wave == wave, Invitation.state.in_(OPEN_STATES))
    query = query.where(Invitation.member_id == member.id) if member else query.where(
        Invitation.recipient_key == "key_worker")
    for invitation in db.session.scalars(query):
        move(invitation, "completed", "answered on paper or elsewhere: imported")
        invitation.next_send_at = None
        if invitation.response_id is None:
            invitation.response_id = response.id
