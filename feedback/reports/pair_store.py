"""Answers kept per family so that reports count a narrow table (``KeptAnswer``).

Pairing every family's latest entry and exit answers means visiting every answer of every
assessment: for a service with 20,000 families, member risk factors alone are two million
answers, several seconds of database time on each page view. Pairs change only when a family's
completed responses do, so they are worked out once per family and kept, and a report counts the
kept pairs of its cohort.

Keeping them right without hooks in every place that writes responses: each family's pairs carry
a stamp of what they were made from (how many completed responses at those waves, and the
highest id). Completed responses are never edited and a new response always has a higher id, so
the stamp changes with any response completed, imported, removed or detached by erasure; it
also holds the family's count of member changes (a role corrected, a member removed: members'
pairs keep the role), which the database's triggers on members raise. Before
counting, families' stamps are compared with their responses (one grouped query) and only the
families whose stamp differs are paired again. The stamp is read before the pairs are made, so
pairs made while another response completes are never taken as up to date: the next report finds
the stamp behind and pairs that family again. Which families need comparing comes from the
changes the database notes as they happen (``response_changes``): usually none, so an unchanged
service's report reads no responses at all.

The same keeping serves reports that count each subject's latest answer rather than a pair:
``refresh_latest`` keeps each member's (or household's) latest answer at each wave, for the
distributions, and ``refresh_star`` each family's star moves and gaps (from its first and latest
reading), stamped and made again the same way. Each keeping is one number (a digest of its definition): its rows and
its stamps are found by it.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib

import sqlalchemy as sa

from ..extensions import conflict_insert, db
from ..families.eligibility import CHILD_ROLES
from ..families.models import Family, Member
from ..survey.models import Answer, Response
from .kept_sums import KeptScaleScore, KeptScaleSums
from . import response_changes
from .models import KeptAnswer, KeptStamp

COLUMNS = ["keeping", "subject_id", "slot", "item_id", "family_id", "before", "after"]
#: Up to this many changed families have their answers kept again by id (and stamps written per
#: statement): well below PostgreSQL's 65,535 bound parameters.
CHUNK = 2000

#: Inside ``one_page``: which keepings this page has brought up to date. Outside it:
#: None, nothing remembered.
_page: contextvars.ContextVar[dict | None] = contextvars.ContextVar("report_page", default=None)


@contextlib.contextmanager
def one_page():
    """One report page (the report and those published with it, ``catalogue.run_alongside``):
    each keeping is brought up to date once, however many of its reports read it. need-flow's page
    reads the key worker's assessments four times and the member assessments three; at 100,000
    families a check that finds changes compares thousands of stamps. Nothing outlives the
    block, so the next page checks again and sees any response completed, corrected or erased
    meanwhile."""
    page: dict = {}
    token = _page.set(page)
    try:
        yield page
    finally:
        _page.reset(token)


@contextlib.contextmanager
def reading_kept():
    """Around a count of one keeping's kept rows: on PostgreSQL the planner is told to find them
    by the keeping's index rather than scan the whole table. A keeping's rows lie together in the
    table (made in one pass, a few families at a time after that), but the keeping is a digest,
    whose order says nothing of where its rows lie, so the planner prices a bitmap scan of a
    keeping that is a quarter of the table as reading most of it, and scans every keeping's rows
    instead. Measured at 100,000 families (``ISSUE24_FINDINGS.md``, ninth round): the key
    worker's pairs counted in 0.39 s instead of 0.81, the members' 1.7 s instead of 2.2. Only for
    the statement: the setting is put back as it was."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    was = db.session.scalar(sa.text("SELECT current_setting('enable_seqscan')"))
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    try:
        yield
    finally:
        db.session.execute(sa.text("SELECT set_config('enable_seqscan', :was, true)"), {"was": was})


def page_memo(kind: str, *key):
    """Inside ``one_page``: (the page's dict, the full key) for something a report worked out for
    this page that another report on it may reuse (the cohort select is part of ``key``, as text);
    outside it (None, None): nothing is remembered."""
    page = _page.get()
    if page is None:
        return None, None
    return page, ("memo", kind, *(_cohort_key(part) if isinstance(part, sa.Select) else part for part in key))


def _cohort_key(cohort) -> tuple:
    """The cohort select as text with its parameters: the same filters give the same key, a
    different site or period a different one."""
    compiled = cohort.compile()
    return str(compiled), tuple(sorted((name, repr(value)) for name, value in compiled.params.items()))


#: The transaction-level advisory lock (PostgreSQL) between members' roles and their kept pairs:
#: a report holds it shared while it makes a keeping that reads roles again, from before it
#: drops the old rows to its commit; the triggers on ``members`` take it exclusively before noting
#: a role corrected or a member removed (migration ``f3a5c7e9b1d4``, which repeats the number). So
#: a correction in flight is read by the report (which waits for it) and a correction made while a
#: report pairs waits, then finds and notes what the report paired. Reports share it with each
#: other; only corrections wait, and only for reports making rows (never the unchanged case).
ROLE_LOCK = 7_305_118_421_960_447_245

#: The slots of a member's kept pair, by the member's role when kept (``ROLE_SLOTS[True]`` for a
#: child or young person); a pair whose member is not on record has slot ``pair``, as a family's.
ROLE_SLOTS = {True: "child", False: "adult"}


def pairing_id(instrument_id: str, item_ids, level: str, before: str, after: str) -> int:
    """A stable number for one way of pairing (a signed 63-bit digest of its definition). Member
    pairs hold the member's role in their slot since the role slots came (``ROLE_SLOTS``): a
    different definition from the pairs kept before, whose slot was ``pair`` for everyone."""
    return _digest([instrument_id, "member:role slots" if level == "member" else level, before, after,
                    *sorted(item_ids)])


def _digest(parts) -> int:
    """A signed 63-bit digest of a definition: fits PostgreSQL's bigint."""
    return int.from_bytes(hashlib.sha256("\n".join(parts).encode()).digest()[:8], "big") >> 1


def refresh(instrument_id: str, item_ids, level: str, before: str, after: str) -> int:
    """Bring the kept pairs up to date; the pairing's id. Commits when anything was checked
    or paired again."""
    item_ids = sorted(item_ids)
    pairing = pairing_id(instrument_id, item_ids, level, before, after)

    def make(families):
        _pair(pairing, families, instrument_id, item_ids, level, before, after)

    return _keep(pairing, instrument_id, (before, after), make, reads_roles=level == "member")


def refresh_latest(instrument_id: str, item_ids, waves, level: str) -> int:
    """Keep, for every family, the latest answer to each item at each wave (``slot``,
    the answer in ``after``): each member's latest response's (``level="member"``), or each
    family's latest answer to the item, whichever member gave it (``"family"``: one answer per
    household). Returns the id."""
    item_ids, waves = sorted(item_ids), sorted(waves)
    keeping = keeping_id("latest", instrument_id, item_ids, level, waves)

    def make(families):
        _latest(keeping, families, instrument_id, item_ids, waves, level)

    return _keep(keeping, instrument_id, waves, make)


def refresh_star(instrument_id: str, stems, readers, low: float, high: float) -> int:
    """Keep, for every family, what the star chart's summary adds up (``_star_rows``): each
    ``<stem>_<reader>`` item's move from the family's first reading (response, any wave) to its
    latest, for families with two readings or more, and each stem's gap between the first and
    second reader at the latest reading; readings off the ``low``–``high`` scale left out. Returns
    the id."""
    stems, readers = list(stems), list(readers)
    keeping = _digest(["star", instrument_id, f"{low!r}:{high!r}", ",".join(readers), *sorted(stems)])

    def make(families):
        _star_rows(keeping, families, instrument_id, stems, readers, low, high)

    return _keep(keeping, instrument_id, None, make)


def keeping_id(kind: str, instrument_id: str, item_ids, level: str, waves=()) -> int:
    """A stable number for one kind of kept answers over one definition."""
    return _digest([kind, instrument_id, level, ",".join(waves), *sorted(item_ids)])


#: Every keeping this process has checked, with the instrument and waves its stamps count: a page
#: checks all the keepings of one instrument and waves together.
_known: dict[int, tuple[str, tuple | None]] = {}


def _keep(keeping: int, instrument_id: str, waves, make, reads_roles: bool = False) -> int:
    """Make the rows of every family whose stamp differs from its responses again: by id for a
    few, in one pass for many. ``waves`` None: every wave. Inside ``one_page``, a keeping already
    brought up to date is not checked again, and the keepings of an instrument are checked together.

    Which families are compared with their stamps comes from the changes the database noted
    (``response_changes``): none when the instrument's counter is the one this keeping was last
    checked at (no pass over the responses at all, the usual case), those noted since otherwise,
    and every family for a keeping never checked or checked before the notes it needs were pruned.
    Every family, not a report's cohort: a keeping marked as checked is right for any cohort, and a
    family that moves site or dates is already right in its new cohort. ``reads_roles``: the rows
    hold members' roles, made under ``ROLE_LOCK``."""
    page = _page.get()
    if page is not None and ("kept", keeping) in page:
        return keeping
    waves = tuple(waves) if waves is not None else None
    _known[keeping] = (instrument_id, waves)
    checked = ("checked", instrument_id, waves)
    found = page.get(checked, {}).get(keeping) if page is not None else None
    if found is None:
        keepings = [keeping]
        if page is not None:
            keepings += sorted(other for other, (instrument, at) in _known.items()
                               if other != keeping and (instrument, at) == (instrument_id, waves)
                               and ("kept", other) not in page)
        results = _stale(keepings, instrument_id, waves)
        if page is not None:
            page[checked] = results
        found = results[keeping]
    if page is not None:
        page[checked].pop(keeping, None)   # checked once: a second call after making checks again
    changed, scope, counter, marked = found
    if not changed:
        if not marked:
            response_changes.mark_checked(keeping, instrument_id, counter)
            _prune_and_commit(instrument_id)
        if page is not None:
            page[("kept", keeping)] = True
        return keeping
    stale = sorted(changed)
    # A few changed families are made again by id; many (the first report, a large import) in
    # one pass over all those checked, which PostgreSQL plans far better than thousands of ids.
    whole = len(stale) > CHUNK
    families = scope if whole else stale
    if reads_roles and db.session.get_bind().dialect.name == "postgresql":
        # Before the old rows go: two reports making one family's pairs around a correction
        # would otherwise keep one role's rows each (the slot is part of the key).
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:lock)"), {"lock": ROLE_LOCK})
    _forget(families, keeping)
    # Stamps first: what the rows are then made from is never older than their stamp, so a
    # response completed meanwhile makes the next check pair that family again.
    if whole:
        now = _answered(scope, instrument_id, waves).subquery("now")
        db.session.execute(_insert(KeptStamp).from_select(
            ["keeping", "family_id", "responses", "last_response_id", "member_changes"],
            # WHERE true: without it SQLite reads "now ON CONFLICT" as a join's ON (its upsert's
            # parsing ambiguity), and more than CHUNK families changed at once failed there.
            sa.select(sa.literal(keeping, sa.BigInteger), now.c.family_id, now.c.responses, now.c.last_response_id,
                      now.c.member_changes)
            .where(sa.true())))
    else:
        stamps = [{"keeping": keeping, "family_id": family_id, "responses": count, "last_response_id": last,
                   "member_changes": members}
                  for family_id, (count, last, members) in sorted(changed.items()) if count is not None]
        for start in range(0, len(stamps), CHUNK):
            db.session.execute(_insert(KeptStamp), stamps[start:start + CHUNK])
    make(families)
    # Checked at the counter read before the stamps were compared: a change noted since has a
    # higher number, and the next report compares that family again.
    response_changes.mark_checked(keeping, instrument_id, counter)
    _prune_and_commit(instrument_id)
    if whole:
        analyse()
    if page is not None:
        page[("kept", keeping)] = True
    return keeping


def _prune_and_commit(instrument_id: str) -> None:
    """Commit what was kept, then prune the notes in a transaction of their own: pruning updates
    the counter's row, which a correction waiting for ``ROLE_LOCK`` may hold."""
    db.session.commit()
    response_changes.prune(instrument_id)
    db.session.commit()


def _stale(keepings: list[int], instrument_id: str, waves) -> dict[int, tuple]:
    """For each keeping: (the families whose stamp differs from their responses, family ->
    (responses, last response id, member changes) as in ``_changed``; the select of the families compared; the
    counter they were compared at; whether the keeping was already marked checked at it)."""
    # The counter first: every change numbered up to it is committed and seen by the comparison
    # below; one in flight gets a higher number.
    counter, pruned_through = response_changes.counter(instrument_id)
    marks = response_changes.checked_at(keepings)
    results: dict[int, tuple] = {}
    never = [k for k in keepings if k not in marks or marks[k] < pruned_through]
    behind = [k for k in keepings if k not in never and marks[k] != counter]
    for k in keepings:
        if k not in never and k not in behind:
            results[k] = ({}, None, counter, True)
    if never:
        everyone = sa.select(Family.id)
        for k, changed in _changed(everyone, never, instrument_id, waves).items():
            results[k] = (changed, everyone, counter, False)
    if behind:
        noted = response_changes.families_changed(instrument_id, min(marks[k] for k in behind), counter)
        for k, changed in _changed(noted, behind, instrument_id, waves).items():
            results[k] = (changed, noted, counter, False)
    return results


def analyse() -> None:
    """After the rows of a whole cohort were made (the first report, a large import): PostgreSQL's
    statistics of the kept tables brought up to date at once. Planned with the counts of the
    empty tables, the report's counts joined the cohort by nested loops (20,000 families: need-flow's
    page 4.0 → 2.3 s of SQL); autovacuum would get there later, or never where it is off. Waits at
    most a few seconds for the lock (another ANALYZE or VACUUM running) and gives up quietly: the
    rows are right either way."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    try:
        db.session.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
        db.session.execute(sa.text(f"ANALYZE {KeptAnswer.__tablename__}, {KeptScaleSums.__tablename__}, "
                                    f"{KeptScaleScore.__tablename__}, {KeptStamp.__tablename__}"))
        db.session.commit()
    except sa.exc.OperationalError:
        db.session.rollback()


def _changed(cohort, keepings: list[int], instrument_id: str, waves, full_join: bool | None = None) -> dict[int, dict]:
    """For each keeping: the cohort's families whose stamp differs from their responses now,
    family -> (responses, last response id, member changes), all None for a family with none left
    (or gone). By a full join
    on PostgreSQL (``full_join`` None), else without one (the tests ask for each)."""
    answered = _answered(cohort, instrument_id, waves).subquery("answered")
    wanted = sa.union_all(*[sa.select(sa.literal(k, sa.BigInteger).label("keeping")) for k in keepings]
                          ).subquery("wanted")
    stamped = (sa.select(KeptStamp.keeping, KeptStamp.family_id, KeptStamp.responses, KeptStamp.last_response_id,
                         KeptStamp.member_changes)
               .where(KeptStamp.keeping.in_(keepings), KeptStamp.family_id.in_(cohort)).subquery("stamped"))
    now = (sa.select(wanted.c.keeping, answered.c.family_id, answered.c.responses, answered.c.last_response_id,
                     answered.c.member_changes)
           .select_from(answered.join(wanted, sa.true())).subquery("now"))
    if full_join is None:
        full_join = db.session.get_bind().dialect.name == "postgresql"
    if full_join:
        changed = _full_join_changes(now, stamped)
    else:
        changed = _anti_join_changes(now, stamped)
    results: dict[int, dict] = {k: {} for k in keepings}
    for k, family_id, count, last, members in db.session.execute(changed):
        results[k][family_id] = (count, last, members)
    return results


def _full_join_changes(now, stamped):
    """PostgreSQL: one full join of (answered family × keeping) with the stamps, by hash: a family
    answered but not stamped alike (new, changed) comes from the left, a stamp whose family has no
    response left (erased, detached) from the right. Every stamp read belongs to a wanted keeping,
    so a stamp of an answered family always meets its row on the left. (It was a left join and an
    anti join over two materialised CTEs, which PostgreSQL sorted for a merge join, on disk at 4 MB
    ``work_mem``: 0.58 → 0.36 s per check at 20,000 families.)"""
    return (sa.select(sa.func.coalesce(now.c.keeping, stamped.c.keeping),
                      sa.func.coalesce(now.c.family_id, stamped.c.family_id),
                      now.c.responses, now.c.last_response_id, now.c.member_changes)
            .select_from(now.join(stamped, sa.and_(stamped.c.keeping == now.c.keeping,
                                                   stamped.c.family_id == now.c.family_id), full=True))
            .where(sa.or_(stamped.c.family_id.is_(None), now.c.family_id.is_(None), _differs(stamped, now))))


def _differs(stamped, now):
    """A stamp that no longer matches what its family's rows would be made from now."""
    return sa.or_(stamped.c.responses != now.c.responses, stamped.c.last_response_id != now.c.last_response_id,
                  stamped.c.member_changes != now.c.member_changes)


def _anti_join_changes(now, stamped):
    """The same rows without a full join, which SQLite has only from 3.39 (Python 3.11 may be
    linked to an older one): answered families not stamped alike, then stamps with no answered
    family left."""
    changed = (sa.select(now.c.keeping, now.c.family_id, now.c.responses, now.c.last_response_id,
                         now.c.member_changes)
               .select_from(now.outerjoin(stamped, sa.and_(stamped.c.keeping == now.c.keeping,
                                                           stamped.c.family_id == now.c.family_id)))
               .where(sa.or_(stamped.c.family_id.is_(None), _differs(stamped, now))))
    gone = (sa.select(stamped.c.keeping, stamped.c.family_id, sa.null(), sa.null(), sa.null())
            .where(~sa.exists().where(now.c.keeping == stamped.c.keeping, now.c.family_id == stamped.c.family_id)))
    return sa.union_all(changed, gone)


def _answered(cohort, instrument_id: str, waves):
    """The cohort's families with completed responses to the instrument (at ``waves``; None:
    any): family_id, how many (``responses``), the highest id (``last_response_id``) and the
    family's ``member_changes``, the stamp. Read before the rows are made, as the stamp must be: a
    role corrected while they are made leaves a stamp behind the family's count."""
    answered = (sa.select(Response.family_id.label("family_id"), sa.func.count().label("responses"),
                          sa.func.max(Response.id).label("last_response_id"),
                          sa.func.max(Family.member_changes).label("member_changes"))
                .join(Family, Family.id == Response.family_id)
                .where(Response.status == "completed", Response.instrument_id == instrument_id,
                       Response.family_id.in_(cohort))
                .group_by(Response.family_id))
    if waves is not None:
        answered = answered.where(Response.wave.in_(list(waves)))
    return answered


def drop_unread(read) -> int:
    """Drop every keeping not in ``read`` (its rows, sums, scores, stamps and check); how many
    keepings were dropped. A keeping is named by a digest of its definition, so when an upgrade
    changes what a report keeps (``data.transitions``' ``kept_with``), the old definition's rows
    stay behind, read by nothing, in the table every count scans. ``flask report-refresh
    --drop-unread`` calls this with the keepings its reports just read; a keeping dropped that a
    report still wants (one site's scale-change may read other waves than every site's) is made
    again, for every family, the next time it is read."""
    read = set(read)
    present = set(db.session.scalars(sa.select(KeptStamp.keeping).distinct()))
    present |= set(db.session.scalars(sa.select(response_changes.KeptCheck.keeping)))
    unread = sorted(present - read)
    for start in range(0, len(unread), CHUNK):
        chosen = unread[start:start + CHUNK]
        for table in (KeptAnswer, KeptScaleScore, KeptScaleSums, KeptStamp, response_changes.KeptCheck):
            db.session.execute(sa.delete(table).where(table.keeping.in_(chosen)))
    db.session.commit()
    return len(unread)


def read_on(page: dict) -> set[int]:
    """The keepings brought up to date inside a ``one_page`` block (its dict)."""
    return {key[1] for key in page if key[0] == "kept"}


def forget_family(family_id: int) -> None:
    """Drop every kept answer of a family at once (erasure), not at the next report."""
    _forget([family_id])


def _forget(families, keeping: int | None = None) -> None:
    """Drop those families' kept answers, scores and sums (scale-change's) and stamps: of one
    keeping, or (None) of every keeping."""
    for table in (KeptAnswer, KeptScaleScore, KeptScaleSums, KeptStamp):
        statement = sa.delete(table).where(table.family_id.in_(families))
        if keeping is not None:
            statement = statement.where(table.keeping == keeping)
        db.session.execute(statement)


def _pair(pairing: int, families, instrument_id: str, item_ids, level: str, before: str,
          after: str) -> None:
    """Pair those families' answers (ids, or a select of them) in the database: for each subject
    (member or family) and item, the latest completed response's answer at ``before`` and at
    ``after``. A member's pair is kept in the slot of the member's role now (``ROLE_SLOTS``): at
    100,000 families, joining 300,000 members to 3.75 million pairs on each page to split them by
    role was a third of need-flow's page (``ISSUE24_FINDINGS.md``, eleventh round). A role
    corrected later makes the family's pairs again (the members' triggers and the stamp's
    ``member_changes``)."""
    key = Response.member_id if level == "member" else Response.family_id
    ranked = latest_responses(instrument_id, (before, after), key, families)
    value = sa.cast(Answer.value, sa.Text)
    first = sa.func.max(sa.case((ranked.c.wave == before, value)))
    second = sa.func.max(sa.case((ranked.c.wave == after, value)))
    slot = sa.literal("pair")
    if level == "member":
        # Left out of the split by role, still in the counts that ignore it, as the pandas
        # reference counts it: a member no longer on record (only where foreign keys go unenforced).
        slot = sa.func.max(sa.case((Member.role.in_(CHILD_ROLES), ROLE_SLOTS[True]),
                                   (Member.id.is_not(None), ROLE_SLOTS[False]), else_="pair"))
    paired = (sa.select(sa.literal(pairing, sa.BigInteger), ranked.c.k, slot, Answer.item_id,
                        sa.func.max(ranked.c.family_id), first, second)
              .join(Answer, Answer.response_id == ranked.c.response_id)
              .where(ranked.c.rn == 1, Answer.item_id.in_(item_ids))
              .group_by(ranked.c.k, Answer.item_id)
              .having(sa.and_(first.is_not(None), second.is_not(None))))
    if level == "member":
        paired = paired.outerjoin(Member, Member.id == ranked.c.k)
    db.session.execute(_insert(KeptAnswer).from_select(COLUMNS, paired))


def _latest(keeping: int, families, instrument_id: str, item_ids, waves, level: str) -> None:
    value = sa.cast(Answer.value, sa.Text)
    if level == "member":
        ranked = latest_responses(instrument_id, waves, Response.member_id, families)
        rows = (sa.select(sa.literal(keeping, sa.BigInteger), ranked.c.k, ranked.c.wave, Answer.item_id,
                          ranked.c.family_id, sa.null(), value)
                .join(Answer, Answer.response_id == ranked.c.response_id)
                .where(ranked.c.rn == 1, Answer.item_id.in_(item_ids)))
    else:
        ranked = (sa.select(Response.family_id.label("family_id"), Response.wave.label("wave"),
                            Answer.item_id.label("item_id"), value.label("value"),
                            sa.func.row_number().over(
                                partition_by=(Response.family_id, Response.wave, Answer.item_id),
                                order_by=(Response.completed_at.desc(), Response.id.desc())).label("rn"))
                  .join(Answer, Answer.response_id == Response.id)
                  .where(Response.status == "completed", Response.instrument_id == instrument_id,
                         Response.wave.in_(list(waves)), Answer.item_id.in_(item_ids),
                         Response.family_id.in_(families))
                  .subquery("ranked"))
        rows = sa.select(sa.literal(keeping, sa.BigInteger), ranked.c.family_id, ranked.c.wave, ranked.c.item_id,
                         ranked.c.family_id, sa.null(), ranked.c.value).where(ranked.c.rn == 1)
    db.session.execute(_insert(KeptAnswer).from_select(COLUMNS, rows))


#: The slots of a star keeping's moves, by the sign of latest − first.
MOVES = ("up", "same", "down")


def _star_rows(keeping: int, families, instrument_id: str, stems, readers, low: float, high: float) -> None:
    """Those families' star rows, one ``INSERT … SELECT`` over each family's first and latest
    readings (responses, ordered by completion then id):

    - a move (slot ``up``, ``same`` or ``down``; item ``<stem>_<reader>``): the answer at the
      first reading (``before``) and at the latest (``after``), for a family with two readings or
      more where both are on the scale;
    - a gap (slot ``gap``; item the stem): the first reader's latest answer minus the second's
      (``after``, a number as text), where both are on the scale.

    At 100,000 families the summary counted 1.6 million kept readings twice per page, the gaps
    by pivoting them per family (``ISSUE24_FINDINGS.md``); now it adds up rows already classified
    in one pass. Values off the scale (a "prefer not to say" code, text) count for neither."""
    items = {f"{stem}_{reader}": (stem, reader) for stem in stems for reader in readers}
    ranked = (sa.select(Response.id.label("response_id"), Response.family_id.label("family_id"),
                        sa.func.row_number().over(partition_by=Response.family_id,
                                                  order_by=(Response.completed_at, Response.id)).label("first_rn"),
                        sa.func.row_number().over(partition_by=Response.family_id,
                                                  order_by=(Response.completed_at.desc(), Response.id.desc()))
                        .label("last_rn"),
                        sa.func.count().over(partition_by=Response.family_id).label("readings"))
              .where(Response.status == "completed", Response.instrument_id == instrument_id,
                     Response.family_id.in_(families))
              .subquery("ranked"))
    value = sa.cast(Answer.value, sa.Text)
    number = sa.cast(value, sa.Float)
    on_scale = sa.and_(number >= low, number <= high)
    # Each family's answer to each item at its first (two readings or more) and latest reading,
    # the text as kept elsewhere and the number where it is on the scale.
    per_item = (sa.select(ranked.c.family_id.label("family_id"), Answer.item_id.label("item_id"),
                          sa.func.max(sa.case((sa.and_(ranked.c.first_rn == 1, ranked.c.readings >= 2), value)))
                          .label("first"),
                          sa.func.max(sa.case((ranked.c.last_rn == 1, value))).label("latest"),
                          sa.func.max(sa.case((sa.and_(ranked.c.first_rn == 1, ranked.c.readings >= 2, on_scale),
                                               number))).label("first_n"),
                          sa.func.max(sa.case((sa.and_(ranked.c.last_rn == 1, on_scale), number))).label("latest_n"))
                .join(Answer, Answer.response_id == ranked.c.response_id)
                .where(sa.or_(ranked.c.first_rn == 1, ranked.c.last_rn == 1), Answer.item_id.in_(list(items)))
                .group_by(ranked.c.family_id, Answer.item_id)
                .cte("per_item"))
    moved = sa.case((per_item.c.latest_n > per_item.c.first_n, MOVES[0]),
                    (per_item.c.latest_n == per_item.c.first_n, MOVES[1]), else_=MOVES[2])
    moves = (sa.select(sa.literal(keeping, sa.BigInteger), per_item.c.family_id, moved, per_item.c.item_id,
                       per_item.c.family_id, per_item.c.first, per_item.c.latest)
             .where(per_item.c.first_n.is_not(None), per_item.c.latest_n.is_not(None)))
    first_reader, second_reader = readers
    stem = sa.case(*[(per_item.c.item_id == item, item_stem) for item, (item_stem, _reader) in items.items()])
    latest_of = {reader: sa.func.max(sa.case(*[(per_item.c.item_id == item, per_item.c.latest_n)
                                               for item, (_stem, item_reader) in items.items()
                                               if item_reader == reader]))
                 for reader in (first_reader, second_reader)}
    gap = latest_of[first_reader] - latest_of[second_reader]
    gaps = (sa.select(sa.literal(keeping, sa.BigInteger), per_item.c.family_id, sa.literal("gap"), stem,
                      per_item.c.family_id, sa.null(), sa.cast(gap, sa.Text))
            .where(per_item.c.item_id.in_([item for item, (_s, reader) in items.items()
                                           if reader in (first_reader, second_reader)]))
            .group_by(per_item.c.family_id, stem)
            .having(gap.is_not(None)))
    db.session.execute(_insert(KeptAnswer).from_select(COLUMNS, sa.union_all(moves, gaps)))


def latest_responses(instrument_id: str, waves, key, families):
    """Each ``key``'s (member's or family's) completed responses at each wave, newest first
    (``rn`` 1 is the latest), for those families (ids or a select): a subquery of response_id,
    k, family_id, wave and rn."""
    return (sa.select(Response.id.label("response_id"), key.label("k"), Response.family_id.label("family_id"),
                      Response.wave.label("wave"),
                      sa.func.row_number().over(partition_by=(key, Response.wave),
                                                order_by=(Response.completed_at.desc(), Response.id.desc()))
                      .label("rn"))
            .where(Response.status == "completed", Response.instrument_id == instrument_id,
                   Response.wave.in_(list(waves)), Response.family_id.in_(families), key.is_not(None))
            .subquery("ranked"))


def _insert(model):
    """An insert that leaves a row another report has just made in place (the same row)."""
    return conflict_insert(db.session.get_bind().dialect.name)(model).on_conflict_do_nothing()
