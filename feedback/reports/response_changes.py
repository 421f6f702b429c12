"""Which families' completed responses changed, noted by the database as they change, so that a
report can tell "nothing changed since the kept answers were last checked" without reading the
responses.

The kept answers (``pair_store``) carry per-family stamps, and checking every family of a cohort
against its stamp is a pass over all of an instrument's responses: about a second at 100,000
families, on every report page, even when nothing changed. Instead, triggers on ``responses``
note each change a stamp can see — a completed response added, removed, or moved to another
status, family, instrument or wave — as a row naming the family (``ChangedFamily``) under a
per-instrument counter (``ResponseChanges.changes``). A keeping remembers the counter it was last
checked at (``KeptCheck``): the same counter means no family's stamp can differ, and a higher one
names the only families to check.

Why the counter can be trusted as a high-water mark: it is one row per instrument, updated by
every change, so a transaction holds that row's lock from its change to its commit. Numbers are
therefore handed out in commit order: whoever reads the committed counter ``n`` can already read
every change numbered up to ``n``, and a change still in flight gets a higher number than any it
could be confused with. (A sequence would not do: a later number can commit first.) In-progress
saves of a survey page never touch the counter; only completion, deletion, detachment and
imports do.

The triggers, for PostgreSQL and SQLite, are made by the migration that made these tables
(``…_report_response_changes.py``). Triggers on ``members`` note the same way the families of a
member whose role is corrected or who is removed, under each instrument the member completed
(``…_report_member_changes.py``): members' kept pairs hold the role. Whatever bypasses triggers (a superuser's ``session_replication_role = replica``) bypasses
this note too: the kept answers are only a copy, and ``forget_checks`` makes the next report check
every family again.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import conflict_insert, db
from ..timeutil import utcnow

#: A keeping not checked for this long stops holding back the pruning of the noted changes; if
#: it is read again later, it checks every family once.
PRUNE_AFTER = timedelta(days=30)
#: Noted changes are pruned once this many have been seen by every recent keeping.
PRUNE_EVERY = 10_000


class ResponseChanges(db.Model):
    """Per instrument: how many changes to completed responses have been noted (``changes``),
    and below which number the notes were pruned (``pruned_through``)."""

    __tablename__ = "report_response_changes"

    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger)
    pruned_through: Mapped[int] = mapped_column(BigInteger, server_default="0")


class ChangedFamily(db.Model):
    """One noted change: the family whose completed responses to the instrument changed, under
    the instrument's counter at that change. No foreign key: the note outlives an erased family."""

    __tablename__ = "report_changed_families"

    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    family_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class KeptCheck(db.Model):
    """A keeping's kept answers matched every family's stamp when its instrument's counter was
    ``changes``."""

    __tablename__ = "report_kept_checks"

    keeping: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64), index=True)
    changes: Mapped[int] = mapped_column(BigInteger)
    checked_at: Mapped[datetime] = mapped_column(DateTime)


def counter(instrument_id: str) -> tuple[int, int]:
    """The instrument's counter now and the number its notes were pruned through (0, 0 before
    any change was noted)."""
    row = db.session.execute(sa.select(ResponseChanges.changes, ResponseChanges.pruned_through)
                             .where(ResponseChanges.instrument_id == instrument_id)).first()
    return (row.changes, row.pruned_through) if row else (0, 0)


def checked_at(keepings) -> dict[int, int]:
    """keeping -> the counter it was last checked at, for those that have been."""
    return dict(db.session.execute(sa.select(KeptCheck.keeping, KeptCheck.changes)
                                   .where(KeptCheck.keeping.in_(list(keepings)))).all())


def families_changed(instrument_id: str, after: int, through: int):
    """A select of the families noted as changed with numbers in (``after``, ``through``]."""
    return (sa.select(ChangedFamily.family_id)
            .where(ChangedFamily.instrument_id == instrument_id, ChangedFamily.changes > after,
                   ChangedFamily.changes <= through)
            .distinct())


def mark_checked(keeping: int, instrument_id: str, changes: int) -> None:
    """The keeping matched every family's stamp at counter ``changes`` (in the caller's
    transaction, with the rows it made)."""
    insert = conflict_insert(db.session.get_bind().dialect.name)(KeptCheck).values(
        keeping=keeping, instrument_id=instrument_id, changes=changes, checked_at=utcnow())
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["keeping"],
        set_={"instrument_id": instrument_id, "changes": changes, "checked_at": utcnow()}))


def forget_checks() -> None:
    """The next report checks every family against its stamp (after kept rows or stamps were
    changed by hand, or responses by something that bypasses triggers)."""
    db.session.execute(sa.delete(KeptCheck))


def prune(instrument_id: str, now: datetime | None = None) -> int:
    """Drop the instrument's notes that every keeping checked in the last ``PRUNE_AFTER`` has
    seen, once there are ``PRUNE_EVERY`` of them; how many were dropped. A keeping checked longer
    ago than that, or never, finds its counter below ``pruned_through`` and checks every family."""
    recent = (now or utcnow()) - PRUNE_AFTER
    seen = db.session.scalar(sa.select(sa.func.min(KeptCheck.changes))
                             .where(KeptCheck.instrument_id == instrument_id, KeptCheck.checked_at >= recent))
    if seen is None:
        return 0
    _changes, pruned_through = counter(instrument_id)
    if seen - pruned_through < PRUNE_EVERY:
        return 0
    dropped = db.session.execute(sa.delete(ChangedFamily).where(ChangedFamily.instrument_id == instrument_id,
                                                               ChangedFamily.changes <= seen)).rowcount
    db.session.execute(sa.update(ResponseChanges).where(ResponseChanges.instrument_id == instrument_id)
                       .values(pruned_through=seen))
    return dropped
