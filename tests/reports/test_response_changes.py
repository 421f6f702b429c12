"""Changes noted by the database (``response_changes``): a report on an unchanged service reads no
responses, and whatever changes a completed response — completion, a new import, deletion,
detachment on erasure, a moved wave — is noted, so the kept answers are never served stale."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.reports import pair_store, response_changes
from feedback.reports.data import Filters, transitions
from feedback.reports.response_changes import ChangedFamily, KeptCheck, ResponseChanges
from feedback.survey.models import Answer, Response
from feedback.timeutil import utcnow
from tests.reports.seeding import QUESTIONNAIRES, assessed_family, assessment

NEED = ["level_of_need"]
INSTRUMENT = "practitioner-assessment"


def _need(filters=Filters()) -> dict:
    moves = transitions(filters, INSTRUMENT, NEED)
    return moves.set_index(["before", "after"])["n"].to_dict()


def _noted(instrument_id=INSTRUMENT) -> list[int]:
    """The families noted, in the order of their numbers."""
    return list(db.session.scalars(sa.select(ChangedFamily.family_id)
                                   .where(ChangedFamily.instrument_id == instrument_id)
                                   .order_by(ChangedFamily.changes, ChangedFamily.family_id)))


def _counter(instrument_id=INSTRUMENT) -> int:
    return response_changes.counter(instrument_id)[0]


def _copies(where, token: str):
    """An INSERT … SELECT copying the responses ``where`` picks (as an import would add them)."""
    table = Response.__table__
    columns = [c.key for c in table.columns if c.key not in ("id", "token_hash")]
    return table.insert().from_select(
        columns + ["token_hash"],
        sa.select(*[table.c[k] for k in columns], sa.literal(token).concat(sa.cast(table.c.id, sa.String)))
        .where(where))


class Statements:
    """The SQL statements sent while active, to see which tables a report read."""

    def __init__(self):
        self.sent: list[str] = []

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args):
        self.sent.append(statement)

    def reading(self, table: str) -> list[str]:
        return [s for s in self.sent if f"FROM {table}" in s or f"JOIN {table}" in s]


# --- what the triggers note -------------------------------------------------------------------

def test_completion_is_noted_and_answering_is_not(app, ctx, world):
    from feedback.instruments.loader import load_instrument
    from feedback.survey.service import complete, create_response, save_answers
    from tests.families.helpers import family_with_members

    family, _members = family_with_members(world["north"], None, case_ref="A", exit_=date(2026, 3, 31),
                                           members=(("mother", 1988, 3),))
    db.session.commit()
    before = _counter()
    instrument = load_instrument(QUESTIONNAIRES / INSTRUMENT / "v1.yaml")
    response, _token = create_response(instrument, 28)
    response.family_id, response.wave = family.id, "entry"
    db.session.commit()
    save_answers(response, {"assessment_point": 1}, mode="staff")
    db.session.commit()
    save_answers(response, {"level_of_need": 2}, mode="staff")
    db.session.commit()
    assert _counter() == before and _noted() == []          # open, answered page by page: nothing
    complete(response, instrument)
    db.session.commit()
    assert _counter() == before + 1 and _noted() == [family.id]


def test_every_change_a_stamp_can_see_is_noted(app, ctx, world):
    a = assessed_family(world, "A", "north", 3, 2)
    b = assessed_family(world, "B", "north", 2, 2)
    c = assessed_family(world, "C", "south", 2, 1)
    assert _noted() == [a.id, a.id, b.id, b.id, c.id, c.id]  # each completion
    start = _counter()

    def since():
        return list(db.session.scalars(sa.select(ChangedFamily.family_id).where(
            ChangedFamily.instrument_id == INSTRUMENT, ChangedFamily.changes > start)
            .order_by(ChangedFamily.changes)))

    entry_b = db.session.scalar(sa.select(Response.id).where(Response.family_id == b.id, Response.wave == "entry"))
    db.session.execute(sa.update(Response).where(Response.id == entry_b).values(wave="exit"))      # wave moved
    db.session.commit()
    assert since() == [b.id, b.id]                             # old side, new side
    db.session.execute(sa.update(Response).where(Response.family_id == a.id).values(family_id=None))  # detached
    db.session.commit()
    assert since()[2:] == [a.id, a.id]
    db.session.execute(sa.delete(Response).where(Response.family_id == c.id, Response.wave == "exit"))  # deleted
    db.session.commit()
    assert since()[4:] == [c.id]
    db.session.execute(sa.update(Response).where(Response.family_id == c.id).values(status="expired"))
    db.session.commit()
    assert since()[5:] == [c.id]                               # no longer completed
    quiet = _counter()
    db.session.execute(sa.update(Response).where(Response.family_id == b.id)
                       .values(updated_at=utcnow(), language="cy"))  # nothing a stamp counts
    db.session.execute(sa.update(Response).where(Response.family_id.is_(None)).values(wave="3m"))  # no family
    db.session.commit()
    assert _counter() == quiet


def test_an_import_of_many_responses_is_noted_once_per_instrument_on_postgresql(app, ctx, world):
    """One statement inserting many completed responses takes one number per instrument (by
    statement on PostgreSQL; SQLite numbers each row, its triggers being per row)."""
    families = [assessed_family(world, f"F{n}", "north", 3, 2) for n in range(3)]
    before = _counter()
    db.session.execute(_copies(Response.family_id.in_([f.id for f in families]), "copy-"))
    db.session.commit()
    noted = list(db.session.execute(sa.select(ChangedFamily.changes, ChangedFamily.family_id)
                                    .where(ChangedFamily.changes > before)))
    assert {family for _n, family in noted} == {f.id for f in families}
    if db.session.get_bind().dialect.name == "postgresql":
        assert _counter() == before + 1 and len(noted) == 3     # one number, each family once
    else:
        assert _counter() == before + 6


# --- what a report reads ------------------------------------------------------------------------

def test_a_report_on_an_unchanged_service_reads_no_responses(app, ctx, world):
    assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "south", 2, 2)
    assert _need() == {(3, 2): 1, (2, 2): 1}
    with Statements() as seen:
        assert _need() == {(3, 2): 1, (2, 2): 1}
        assert _need(Filters(site_ids=(world["north"],))) == {(3, 2): 1}
    assert seen.reading("responses") == []
    assert seen.reading("report_kept_stamps") == []


def test_after_a_change_only_the_noted_families_are_compared(app, ctx, world, monkeypatch):
    made = [assessed_family(world, f"F{n}", "north", 3, 2) for n in range(4)]
    assert _need() == {(3, 2): 4}
    compared = []
    real = pair_store._changed

    def spy(scope, keepings, instrument_id, waves, full_join=None):
        found = real(scope, keepings, instrument_id, waves, full_join)
        compared.append(sorted(db.session.scalars(scope)))
        return found

    monkeypatch.setattr(pair_store, "_changed", spy)
    assessment(made[2], "exit", 4)                       # re-assessed: the latest reading counts
    db.session.commit()
    assert _need() == {(3, 2): 3, (3, 4): 1}
    assert compared == [[made[2].id]]
    compared.clear()
    assert _need() == {(3, 2): 3, (3, 4): 1}
    assert compared == []                                # marked checked: nothing compared


def test_a_family_that_moves_site_is_counted_in_its_new_site_at_once(app, ctx, world):
    """The kept answers are checked for every family, so a report for one site never leaves
    another site's families unkept: a family moved between sites (no response changes) is counted
    at once in its new site, and no longer in its old one."""
    assessed_family(world, "N", "north", 3, 2)
    moving = assessed_family(world, "S", "south", 2, 2)
    north = Filters(site_ids=(world["north"],))
    south = Filters(site_ids=(world["south"],))
    assert _need(north) == {(3, 2): 1}                   # only north asked: every family kept
    moving.site_id = world["north"]
    db.session.commit()
    assert _need(north) == {(3, 2): 1, (2, 2): 1}
    assert _need(south) == {}


@pytest.mark.parametrize("policy", ["delete", "deidentify"])
def test_an_erased_family_is_not_counted_after_a_report_marked_checked(app, ctx, world, policy, monkeypatch):
    from feedback.families.service import erase_family

    monkeypatch.setitem(app.config, "FEEDBACK_SETTINGS",
                        dataclasses.replace(app.config["FEEDBACK_SETTINGS"], erasure_responses=policy))
    gone = assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "north", 2, 2)
    assert _need() == {(3, 2): 1, (2, 2): 1}
    assert _need() == {(3, 2): 1, (2, 2): 1}             # marked checked
    erase_family(gone, None)
    db.session.commit()
    assert _need() == {(2, 2): 1}


def test_a_response_completed_while_the_rows_were_made_is_counted_at_the_next_report(
        app, ctx, world, monkeypatch):
    """The keeping is marked checked at the counter read before its stamps were compared, not at
    the counter when it is marked: a response another connection completes after the rows were
    made, before the mark, is compared at the next report. PostgreSQL only: SQLite lets one
    writer in at a time, so nothing can complete between the two."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs a second writer during the report's transaction")
    family = assessed_family(world, "A", "north", 3, 2)
    assert _need() == {(3, 2): 1}
    exit_id = db.session.scalar(sa.select(Response.id).where(Response.family_id == family.id,
                                                             Response.wave == "exit"))
    real = pair_store._pair
    done = []

    def meanwhile(*args, **kwargs):
        real(*args, **kwargs)
        if not done:
            done.append(True)
            # Another connection re-assesses the family at exit (level 1) and commits.
            with db.engine.begin() as other:
                copy = other.execute(_copies(Response.id == exit_id, "again-")
                                     .returning(Response.__table__.c.id)).scalar_one()
                answers = Answer.__table__
                columns = [c.key for c in answers.columns if c.key not in ("id", "response_id")]
                other.execute(answers.insert().from_select(
                    ["response_id", *columns],
                    sa.select(sa.literal(copy), *[answers.c[k] for k in columns]).where(answers.c.response_id == exit_id)))
                other.execute(sa.update(answers).where(answers.c.response_id == copy,
                                                       answers.c.item_id == "level_of_need").values(value=1))

    monkeypatch.setattr(pair_store, "_pair", meanwhile)
    # A first change, so the report makes rows (and marks) rather than finding nothing to do.
    assessment(family, "entry", 3)
    db.session.commit()
    assert _need() == {(3, 2): 1}
    assert done
    # The re-assessment was noted after the counter the report read: compared, and counted now.
    assert _need() == {(3, 1): 1}


# --- pruning ------------------------------------------------------------------------------------

def test_noted_changes_are_pruned_once_every_recent_keeping_has_seen_them(app, ctx, world, monkeypatch):
    monkeypatch.setattr(response_changes, "PRUNE_EVERY", 3)
    made = [assessed_family(world, f"F{n}", "north", 3, 2) for n in range(3)]
    assert _need() == {(3, 2): 3}                        # 6 completions seen: pruned
    assert _noted() == []
    assert db.session.get(ResponseChanges, INSTRUMENT).pruned_through == _counter()
    assessment(made[0], "exit", 1)
    db.session.commit()
    assert _noted() == [made[0].id]                      # one new: below PRUNE_EVERY, kept
    assert _need() == {(3, 2): 2, (3, 1): 1}


def test_a_keeping_checked_before_the_notes_it_needs_were_pruned_compares_every_family(
        app, ctx, world, monkeypatch):
    """A keeping not read for over PRUNE_AFTER does not hold back pruning; read again, its check
    is older than what was pruned, so every family is compared and nothing is missed."""
    monkeypatch.setattr(response_changes, "PRUNE_EVERY", 1)
    made = [assessed_family(world, f"F{n}", "north", 3, 2) for n in range(2)]
    assert _need() == {(3, 2): 2}
    need = pair_store.pairing_id(INSTRUMENT, NEED, "family", "entry", "exit")
    # The need keeping is last read long ago; another keeping of the instrument is read now.
    db.session.execute(sa.update(KeptCheck).where(KeptCheck.keeping == need)
                       .values(checked_at=utcnow() - response_changes.PRUNE_AFTER - timedelta(days=1)))
    db.session.commit()
    assessment(made[1], "exit", 4)
    db.session.commit()
    assert transitions(Filters(), INSTRUMENT, ["risk_debt"]).empty   # another keeping: checked, prunes
    assert _noted() == []
    mark = db.session.scalar(sa.select(KeptCheck.changes).where(KeptCheck.keeping == need))
    assert mark < db.session.get(ResponseChanges, INSTRUMENT).pruned_through
    assert _need() == {(3, 2): 1, (3, 4): 1}             # compared every family: the change is seen


def test_report_refresh_recheck_compares_every_family_after_changes_the_triggers_did_not_see(app, ctx, world):
    """Rows restored behind the triggers' back (here: a family's exit response deleted and its
    note removed, as a restore with triggers off would leave things) are found by
    ``report-refresh --recheck``, which forgets every check."""
    family = assessed_family(world, "A", "north", 3, 2)
    assessed_family(world, "B", "north", 2, 2)
    assert _need() == {(3, 2): 1, (2, 2): 1}
    start = _counter()
    db.session.execute(sa.delete(Response).where(Response.family_id == family.id, Response.wave == "exit"))
    db.session.execute(sa.delete(ChangedFamily).where(ChangedFamily.changes > start))
    db.session.execute(sa.update(ResponseChanges).values(changes=start))
    db.session.commit()
    assert _need() == {(3, 2): 1, (2, 2): 1}             # unseen: the kept answers are served as they were
    result = app.test_cli_runner().invoke(args=["report-refresh", "--recheck"])
    assert result.exit_code == 0, result.output
    assert _need() == {(2, 2): 1}
