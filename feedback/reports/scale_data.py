"""What scale-change reads, worked out in the database: each scale's scores already paired per
person, and its first-wave item scores summed up for Cronbach's alpha.

At 100,000 families the report used to read every entry answer of every scale (tens of millions
of rows as Python tuples) to compute alpha, and every score of every instrument to pair them:
minutes per page. Alpha needs only, over the people who answered every item, each item's count,
sum and sum of squares and the same of the total (``scale_change.ItemSums``); the paired
statistics need one row per person. The choices are the ones ``scale_change`` makes on the frames
(``entry_items``, ``latest``, ``paired``, ``first_and_latest``): the latest response at a wave, the
latest completed and then the highest id; an answer scores when it is a number inside the scale's
range, mirrored for reverse-scored items.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..extensions import db
from ..instruments.definition import NOT_COLLECTED
from ..survey.models import Answer, Response, Score
from . import pair_store
from .data import Filters, cohort, in_cohort
from .kept_sums import PART, KeptScaleScore, KeptScaleSums
from .scale_change import ItemSums


def scored(filters: Filters, instrument_id: str, scale_ids, wave: str | None = None) -> bool:
    """Whether the cohort has any score on those scales (at ``wave``; None: at any wave, or none),
    asked as EXISTS, which stops at the first score found: the waves scored were read with
    DISTINCT, a pass over all the instrument's scores, to tell only this."""
    query = (sa.select(Response.id)
             .join(Score, Score.response_id == Response.id)
             .where(Response.status == "completed", Response.instrument_id == instrument_id,
                    Score.scale_id.in_(list(scale_ids)), Response.family_id.in_(cohort(filters))))
    if wave is not None:
        query = query.where(Response.wave == wave)
    return bool(db.session.scalar(sa.select(sa.exists(query))))


def _unit(unit: str):
    return Response.member_id if unit == "member_id" else Response.family_id


def _ranked_at_waves(families, instrument_id: str, scale_id: str, unit: str, waves: list):
    """The families' units' scores at ``waves``, ranked within each unit and wave, latest first
    (``rn`` 1): what both the scores read each time and the scores kept choose from."""
    key = _unit(unit)
    return (sa.select(key.label("k"), Response.family_id.label("family_id"), Response.wave.label("wave"),
                      Score.value.label("value"), Score.flagged.label("flagged"),
                      sa.func.row_number().over(partition_by=(key, Response.wave),
                                                order_by=(Response.completed_at.desc(), Response.id.desc()))
                      .label("rn"))
            .join(Score, Score.response_id == Response.id)
            .where(Response.status == "completed", Response.instrument_id == instrument_id,
                   Score.scale_id == scale_id, Score.value.is_not(None), key.is_not(None),
                   Response.wave.in_(waves), Response.family_id.in_(families))
            .subquery("ranked"))


def latest_at_waves_from_scores(filters: Filters, instrument_id: str, scale_id: str, unit: str, waves) -> pd.DataFrame:
    """Each unit's latest score at each of ``waves``: indexed by the unit (ascending, as a pivot
    gives it), one column per wave, NaN where it has none. Units with no score left out."""
    waves = list(dict.fromkeys(waves))
    ranked = _ranked_at_waves(cohort(filters), instrument_id, scale_id, unit, waves)
    columns = [sa.func.max(sa.case((ranked.c.wave == wave, ranked.c.value))) for wave in waves]
    query = sa.select(ranked.c.k, *columns).where(ranked.c.rn == 1).group_by(ranked.c.k).order_by(ranked.c.k)
    rows = [tuple(row) for row in db.session.execute(query)]
    frame = pd.DataFrame.from_records(rows, columns=["k", *waves]).set_index("k")
    return frame.astype(float)


def paired_scores_from_scores(filters: Filters, instrument_id: str, scale_id: str, unit: str, changes
                  ) -> dict[tuple[str, str], pd.DataFrame]:
    """For each (before, after) of ``changes``: the units scored at both, columns ``before`` and
    ``after`` (each one's latest score there), ascending by unit."""
    table = latest_at_waves_from_scores(filters, instrument_id, scale_id, unit,
                                        [wave for pair in changes for wave in pair])
    return {(before, after): table[[before, after]].dropna(subset=[before, after]) for before, after in changes}


def _ranked_readings(families, instrument_id: str, scale_id: str, unit: str):
    """The families' units' scored readings at any wave, each with its rank from the first
    (``first_rn``) and from the latest (``last_rn``), in the order completed then by id, and how
    many readings its unit has: what both the readings read each time and those kept choose from."""
    key = _unit(unit)
    return (sa.select(key.label("k"), Response.family_id.label("family_id"), Score.value.label("value"),
                      sa.func.row_number().over(partition_by=key, order_by=(Response.completed_at, Response.id))
                      .label("first_rn"),
                      sa.func.row_number().over(partition_by=key,
                                                order_by=(Response.completed_at.desc(), Response.id.desc()))
                      .label("last_rn"),
                      sa.func.count().over(partition_by=key).label("readings"))
            .join(Score, Score.response_id == Response.id)
            .where(Response.status == "completed", Response.instrument_id == instrument_id,
                   Score.scale_id == scale_id, Score.value.is_not(None), key.is_not(None),
                   Response.family_id.in_(families))
            .subquery("ranked"))


def first_and_latest_from_scores(filters: Filters, instrument_id: str, scale_id: str, unit: str) -> pd.DataFrame:
    """Units with two scored readings or more, any wave: columns ``first`` and ``latest`` (in the
    order completed, then by id), ascending by unit."""
    ranked = _ranked_readings(cohort(filters), instrument_id, scale_id, unit)
    query = (sa.select(ranked.c.k, sa.func.max(sa.case((ranked.c.first_rn == 1, ranked.c.value))),
                       sa.func.max(sa.case((ranked.c.last_rn == 1, ranked.c.value))))
             .where(ranked.c.readings >= 2, sa.or_(ranked.c.first_rn == 1, ranked.c.last_rn == 1))
             .group_by(ranked.c.k).order_by(ranked.c.k))
    rows = [tuple(row) for row in db.session.execute(query)]
    return pd.DataFrame.from_records(rows, columns=["k", "first", "latest"]).set_index("k").astype(float)


def _item_score(scale, item_id: str, number):
    """An answer's score on the scale: the number when scorable (``scoring.scorable``), mirrored
    for a reverse-scored item; NULL otherwise."""
    scorable = sa.and_(number.is_not(None), number != NOT_COLLECTED, number >= scale.low, number <= scale.high)
    value = (scale.low + scale.high) - number if item_id in scale.reverse else number
    return sa.case((sa.and_(Answer.item_id == item_id, scorable), value))


def _number():
    """An answer as a number where its JSON value is one (true, text and null are not), else NULL.
    Exact on PostgreSQL (numeric), so alpha's sums are exact."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.case((sa.func.json_typeof(Answer.value) == "number",
                        sa.cast(sa.cast(Answer.value, sa.Text), sa.Numeric)))
    text = sa.type_coerce(Answer.value, sa.Text)
    return sa.case((sa.func.json_type(text).in_(("integer", "real")), sa.cast(text, sa.Float)))


def item_sums_in_one_pass(filters: Filters, instrument_id: str, scales, unit: str, wave: str | None
                          ) -> dict[str, ItemSums]:
    """Each scale's item scores summed in the database for Cronbach's alpha, by scale id: each
    unit's latest response at ``wave`` with an answer to one of the scale's items (its first such
    response, any wave, when ``wave`` is None), one row per unit, then counts and sums over the
    units who answered every item (what ``scale_change.entry_items`` and ``cronbach_alpha`` work
    on). One pass over the instrument's answers for all its scales."""
    scales = list(scales)
    if not scales:
        return {}
    key = _unit(unit)
    items = sorted({item for scale in scales for item in scale.items})
    number = _number()
    where = [Response.status == "completed", Response.instrument_id == instrument_id, Answer.item_id.in_(items),
             key.is_not(None), Response.family_id.in_(cohort(filters))]
    if wave is not None:
        where.append(Response.wave == wave)
    # Per response: each scale's item scores (i<scale>_<item>) and whether it answered the scale (a<scale>).
    columns = []
    for s, scale in enumerate(scales):
        columns.append(sa.func.max(sa.case((Answer.item_id.in_(list(scale.items)), 1), else_=0)).label(f"a{s}"))
        columns += [sa.func.max(_item_score(scale, item, number)).label(f"i{s}_{n}")
                    for n, item in enumerate(scale.items)]
    per_response = (sa.select(Response.id.label("rid"), key.label("k"), Response.completed_at.label("at"), *columns)
                    .join(Answer, Answer.response_id == Response.id).where(*where)
                    .group_by(Response.id, key, Response.completed_at).subquery("per_response"))
    when = ((per_response.c.at.desc(), per_response.c.rid.desc()) if wave is not None
            else (per_response.c.at, per_response.c.rid))
    # Per scale, the unit's chosen response is the first in that order among those answering the scale.
    ranks = [sa.func.row_number().over(partition_by=per_response.c.k,
                                       order_by=(per_response.c[f"a{s}"].desc(), *when)).label(f"rn{s}")
             for s in range(len(scales))]
    ranked = sa.select(per_response, *ranks).subquery("ranked")
    totals = []
    for s, scale in enumerate(scales):
        chosen = sa.and_(ranked.c[f"rn{s}"] == 1, ranked.c[f"a{s}"] == 1)
        scores = [ranked.c[f"i{s}_{n}"] for n in range(len(scale.items))]
        complete = sa.and_(chosen, *[score.is_not(None) for score in scores])
        total = sum(scores[1:], scores[0])
        totals += [sa.func.sum(sa.case((chosen, 1), else_=0)), sa.func.sum(sa.case((complete, 1), else_=0))]
        for score in [*scores, total]:
            totals += [sa.func.sum(sa.case((complete, score))), sa.func.sum(sa.case((complete, score * score)))]
    row = list(db.session.execute(sa.select(*totals)).one())
    found = {}
    for scale in scales:
        width = 2 + 2 * (len(scale.items) + 1)
        part, row = row[:width], row[width:]
        sums = [value or 0 for value in part[2::2]]
        squares = [value or 0 for value in part[3::2]]
        found[scale.id] = ItemSums(units=int(part[0] or 0), n=int(part[1] or 0), item_sums=tuple(sums[:-1]),
                                   item_squares=tuple(squares[:-1]), total_sum=sums[-1], total_squares=squares[-1])
    return found


# --- kept per family ---------------------------------------------------------------------------
#
# ``item_sums_in_one_pass`` reads every first-wave answer of the cohort on every page view (580,000
# rows at 20,000 families, 3 million at 100,000: most of the report's time). The sums are sums, so
# each family's share is worked out once (``KeptScaleSums``) and the cohort's are added up. A
# member's responses are all its family's, so each unit's chosen response (and its scores) is
# the same worked out per family as over the cohort: the kept answers (``pair_store``) rest on the
# same. A family's rows are made again whenever its completed responses to the instrument differ
# from its stamp (``STAMPED``), and go when it is erased.


#: The waves every keeping here is stamped by: all of them (None). The rows read one wave or a
#: few, and a stamp over more responses changes whenever theirs do (with some more), so one check
#: of the instrument's responses serves every scale's scores and sums on a page.
STAMPED = None


def sums_keeping(instrument_id: str, scale, unit: str, wave: str | None) -> int:
    """A stable number for one scale's kept sums: everything the rows are made from (the scale's
    items in order, which are reverse-scored, its range, the unit and the wave) is in it, so a
    scale defined otherwise is kept apart."""
    return pair_store._digest(["scale-sums", f"part{PART}", instrument_id, unit, wave or "", str(scale.id),
                               ",".join(scale.items), ",".join(sorted(scale.reverse)), repr(scale.low),
                               repr(scale.high), repr(NOT_COLLECTED)])


def _parts(scale) -> int:
    return max(1, -(-len(scale.items) // PART))


def _columns() -> list[str]:
    return ["keeping", "family_id", "part", "units", "n", "total", "total_squares",
            *[f"{kind}{j}" for j in range(PART) for kind in ("s", "q")]]


def family_sums(keeping: int, families, instrument_id: str, scale, unit: str, wave: str | None, part: int):
    """The rows of ``part`` for those families (ids or a select of them): per family, over each
    unit's chosen response (as ``item_sums_in_one_pass`` chooses it: the latest at ``wave`` with
    an answer to one of the scale's items, or the first such at any wave when ``wave`` is None)."""
    key = _unit(unit)
    number = _number()
    where = [Response.status == "completed", Response.instrument_id == instrument_id,
             Answer.item_id.in_(list(scale.items)), key.is_not(None), Response.family_id.in_(families)]
    if wave is not None:
        where.append(Response.wave == wave)
    columns = [sa.func.max(_item_score(scale, item, number)).label(f"i{n}") for n, item in enumerate(scale.items)]
    per_response = (sa.select(Response.id.label("rid"), key.label("k"), Response.family_id.label("family_id"),
                              Response.completed_at.label("at"), *columns)
                    .join(Answer, Answer.response_id == Response.id).where(*where)
                    .group_by(Response.id, key, Response.family_id, Response.completed_at).subquery("per_response"))
    when = ((per_response.c.at.desc(), per_response.c.rid.desc()) if wave is not None
            else (per_response.c.at, per_response.c.rid))
    rank = sa.func.row_number().over(partition_by=per_response.c.k, order_by=when).label("rn")
    ranked = sa.select(per_response, rank).subquery("ranked")
    scores = [ranked.c[f"i{n}"] for n in range(len(scale.items))]
    complete = sa.and_(*[score.is_not(None) for score in scores])
    zero = sa.literal(0, sa.Integer)
    if part == 0:
        total = sum(scores[1:], scores[0])
        head = [sa.func.count(), sa.func.sum(sa.case((complete, 1), else_=0)),
                sa.func.sum(sa.case((complete, total))), sa.func.sum(sa.case((complete, total * total)))]
    else:
        head = [zero, zero, sa.null(), sa.null()]
    items = []
    for j in range(PART):
        n = part * PART + j
        if n < len(scores):
            items += [sa.func.sum(sa.case((complete, scores[n]))),
                      sa.func.sum(sa.case((complete, scores[n] * scores[n])))]
        else:
            items += [sa.null(), sa.null()]
    return (sa.select(sa.literal(keeping, sa.BigInteger), ranked.c.family_id, sa.literal(part, sa.Integer), *head,
                      *items)
            .where(ranked.c.rn == 1).group_by(ranked.c.family_id))


def keep_sums(instrument_id: str, scale, unit: str, wave: str | None) -> int:
    """Bring the scale's kept sums up to date (``pair_store``'s stamps);
    the keeping's number."""
    keeping = sums_keeping(instrument_id, scale, unit, wave)

    def make(families):
        for part in range(_parts(scale)):
            db.session.execute(pair_store._insert(KeptScaleSums).from_select(
                _columns(), family_sums(keeping, families, instrument_id, scale, unit, wave, part)))

    return pair_store._keep(keeping, instrument_id, STAMPED, make)


def item_sums(filters: Filters, instrument_id: str, scales, unit: str, wave: str | None) -> dict[str, ItemSums]:
    """What ``item_sums_in_one_pass`` gives (by scale id), from the sums kept per family: each
    scale's kept rows brought up to date, then the cohort's added up in one query."""
    scales = list(scales)
    if not scales:
        return {}
    keepings = {keep_sums(instrument_id, scale, unit, wave): scale for scale in scales}
    exact = db.session.get_bind().dialect.name == "postgresql"

    def total(column):  # exact numeric on PostgreSQL; floats on SQLite, as the answers are read there
        summed = sa.func.sum(column)
        return summed if exact else sa.type_coerce(summed, sa.Float)

    table = KeptScaleSums.__table__
    query = (sa.select(table.c.keeping, table.c.part, sa.func.sum(table.c.units), sa.func.sum(table.c.n),
                       total(table.c.total), total(table.c.total_squares),
                       *[total(table.c[f"{kind}{j}"]) for j in range(PART) for kind in ("s", "q")])
             .where(table.c.keeping.in_(list(keepings)), in_cohort(table.c.family_id, filters))
             .group_by(table.c.keeping, table.c.part))
    found: dict[int, dict[int, tuple]] = {keeping: {} for keeping in keepings}
    with pair_store.reading_kept():
        for keeping, part, *values in db.session.execute(query):
            found[keeping][part] = tuple(values)
    sums = {}
    for keeping, scale in keepings.items():
        parts = found[keeping]
        head = parts.get(0, (0, 0, None, None))
        item_sums_, item_squares = [], []
        for n in range(len(scale.items)):
            row = parts.get(n // PART)
            j = n % PART
            item_sums_.append((row[4 + 2 * j] if row else None) or 0)
            item_squares.append((row[5 + 2 * j] if row else None) or 0)
        sums[scale.id] = ItemSums(units=int(head[0] or 0), n=int(head[1] or 0), item_sums=tuple(item_sums_),
                                  item_squares=tuple(item_squares), total_sum=head[2] or 0,
                                  total_squares=head[3] or 0)
    return sums


# --- scores kept per unit ----------------------------------------------------------------------
#
# Pairing ranks every score of the cohort on every page view (the instrument's responses read
# again for each scale). Each unit's latest score at a wave, or its first and latest, is kept
# instead (``KeptScaleScore``), stamped as the sums are, and the cohort's rows read.


def scores_keeping(kind: str, instrument_id: str, scale_id: str, unit: str, waves=()) -> int:
    """A stable number for one scale's kept scores: ``latest`` at ``waves`` or ``readings``."""
    return pair_store._digest(["scale-scores", kind, instrument_id, unit, str(scale_id), ",".join(waves)])


def _latest_rows(keeping: int, families, instrument_id: str, scale_id: str, unit: str, waves):
    """Each unit's latest score at each wave (as ``latest_at_waves_from_scores`` chooses it)."""
    ranked = _ranked_at_waves(families, instrument_id, scale_id, unit, list(waves))
    return sa.select(sa.literal(keeping, sa.BigInteger), ranked.c.k, ranked.c.wave, ranked.c.family_id,
                     ranked.c.value).where(ranked.c.rn == 1)


#: Added to a wave's slot for a kept score that is flagged (at or beyond the scale's cut-off).
FLAGGED = ":flagged"


def _flagged_rows(keeping: int, families, instrument_id: str, scale_id: str, unit: str, waves):
    """``_latest_rows``, and for each of those scores that is flagged a row in slot
    ``<wave>:flagged`` (value 1): the flag is the scored version's own, kept as it was scored."""
    ranked = _ranked_at_waves(families, instrument_id, scale_id, unit, list(waves))
    flags = (sa.select(sa.literal(keeping, sa.BigInteger), ranked.c.k, ranked.c.wave + FLAGGED, ranked.c.family_id,
                       sa.literal(1.0, sa.Float)).where(ranked.c.rn == 1, ranked.c.flagged.is_(True)))
    return [_latest_rows(keeping, families, instrument_id, scale_id, unit, waves), flags]


def _readings_rows(keeping: int, families, instrument_id: str, scale_id: str, unit: str):
    """Each unit with two scored readings or more: its first and latest (as
    ``first_and_latest_from_scores`` chooses them), slots ``first`` and ``latest``."""
    ranked = _ranked_readings(families, instrument_id, scale_id, unit)
    rows = []
    for slot, rank in (("first", ranked.c.first_rn), ("latest", ranked.c.last_rn)):
        rows.append(sa.select(sa.literal(keeping, sa.BigInteger), ranked.c.k, sa.literal(slot, sa.String),
                              ranked.c.family_id, ranked.c.value)
                    .where(rank == 1, ranked.c.readings >= 2))
    return rows


SCORE_COLUMNS = ["keeping", "subject_id", "slot", "family_id", "value"]


def keep_scores(instrument_id: str, scale_id: str, unit: str, waves=None, flagged: bool = False) -> int:
    """Bring the scale's kept scores of the cohort's families up to date: each unit's latest at
    ``waves`` (with ``flagged``, their flags too: ``_flagged_rows``), or (None) its first and latest
    reading. The keeping's number."""
    if waves is not None:
        waves = list(dict.fromkeys(waves))
        keeping = scores_keeping("latest-flagged" if flagged else "latest", instrument_id, scale_id, unit, waves)
    else:
        keeping = scores_keeping("readings", instrument_id, scale_id, unit)

    def make(families):
        if waves is not None and flagged:
            selects = _flagged_rows(keeping, families, instrument_id, scale_id, unit, waves)
        elif waves is not None:
            selects = [_latest_rows(keeping, families, instrument_id, scale_id, unit, waves)]
        else:
            selects = _readings_rows(keeping, families, instrument_id, scale_id, unit)
        for rows in selects:
            db.session.execute(pair_store._insert(KeptScaleScore).from_select(SCORE_COLUMNS, rows))

    return pair_store._keep(keeping, instrument_id, STAMPED, make)


def _kept_table(filters: Filters, keeping: int, slots) -> pd.DataFrame:
    """The cohort's kept scores of one keeping: indexed by unit (ascending), one column per slot,
    NaN where it has none."""
    table = KeptScaleScore.__table__
    columns = [sa.func.max(sa.case((table.c.slot == slot, table.c.value))).label(f"s{n}") for n, slot in enumerate(slots)]
    query = (sa.select(table.c.subject_id, *columns)
             .where(table.c.keeping == keeping, in_cohort(table.c.family_id, filters))
             .group_by(table.c.subject_id).order_by(table.c.subject_id))
    with pair_store.reading_kept():
        if db.session.get_bind().dialect.name == "postgresql":
            return _as_arrays(query.order_by(None).subquery("per_unit"), slots)
        rows = [tuple(row) for row in db.session.execute(query)]
    return pd.DataFrame.from_records(rows, columns=["k", *slots]).set_index("k").astype(float)


def _as_arrays(per_unit, slots) -> pd.DataFrame:
    """PostgreSQL: ``_kept_table``'s table fetched as one row of arrays, one per column, in the
    units' order. At 100,000 families a scale's table is 255,000 units: fetched row by row, making
    the rows took about as long as the query (0.6 s a table, four tables on scale-change's page);
    as arrays, a few hundredths of a second (``ISSUE24_FINDINGS.md``, tenth round)."""
    # No ORDER BY in the aggregates (each would sort the units again): the arrays are built in one
    # pass over the same rows, so their positions agree, and pandas puts the units in order.
    units, *values = db.session.execute(sa.select(*[sa.func.array_agg(column) for column in per_unit.c])).one()
    if units is None:  # no unit: array_agg of nothing is NULL
        return pd.DataFrame(columns=["k", *slots]).set_index("k").astype(float)
    return pd.DataFrame({slot: np.array(column, dtype=float) for slot, column in zip(slots, values)},
                        index=pd.Index(np.array(units, dtype=np.int64), name="k")).sort_index()


def latest_at_waves(filters: Filters, instrument_id: str, scale_id: str, unit: str, waves) -> pd.DataFrame:
    """What ``latest_at_waves_from_scores`` gives, from the scores kept per unit."""
    waves = list(dict.fromkeys(waves))
    keeping = keep_scores(instrument_id, scale_id, unit, waves)
    return _kept_table(filters, keeping, waves)


def paired_scores(filters: Filters, instrument_id: str, scale_id: str, unit: str, changes
                  ) -> dict[tuple[str, str], pd.DataFrame]:
    """For each (before, after) of ``changes``: the units scored at both, columns ``before`` and
    ``after`` (each one's latest score there), ascending by unit (kept: ``keep_scores``)."""
    table = latest_at_waves(filters, instrument_id, scale_id, unit, [wave for pair in changes for wave in pair])
    return {(before, after): table[[before, after]].dropna(subset=[before, after]) for before, after in changes}


def first_and_latest(filters: Filters, instrument_id: str, scale_id: str, unit: str) -> pd.DataFrame:
    """What ``first_and_latest_from_scores`` gives, from the scores kept per unit."""
    keeping = keep_scores(instrument_id, scale_id, unit)
    return _kept_table(filters, keeping, ["first", "latest"])


def latest_score_summary(filters: Filters, instrument_id: str, scale_id: str, waves, changes
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One scale's member scores summed up in the database, over each member's latest score at each
    wave (latest completed, then highest id; scores without a value or a member left out):

    - ``at_waves``: wave, members, value_sum, flagged (at or beyond the cut-off), per wave;
    - ``changes``: before, after, members, change_sum (after − before) per pair of ``changes``,
      over the members scored at both.

    What ``family_functioning.summarise`` works out from ``scores``, without reading a million
    scores into Python: a few rows leave the database. Sums rather than means, as in
    ``star_summary``, so the report divides by the counts it protects. Each member's latest score
    and flag at each wave are kept (``keep_scores``): at 100,000 families ranking every score on
    each page was most of it (``ISSUE24_FINDINGS.md``).
    """
    waves = list(dict.fromkeys(waves))
    keeping = keep_scores(instrument_id, scale_id, "member_id", waves, flagged=True)
    kept = KeptScaleScore.__table__
    # One row per member: its latest value and flag at each wave side by side.
    per_member = (sa.select(*[part for n, wave in enumerate(waves) for part in (
        sa.func.max(sa.case((kept.c.slot == wave, kept.c.value))).label(f"v{n}"),
        sa.func.max(sa.case((kept.c.slot == wave + FLAGGED, 1), else_=0)).label(f"f{n}"))])
        .where(kept.c.keeping == keeping, in_cohort(kept.c.family_id, filters))
        .group_by(kept.c.subject_id).subquery("per_member"))
    at = {wave: n for n, wave in enumerate(waves)}
    columns = []
    for n in range(len(waves)):
        value = per_member.c[f"v{n}"]
        columns += [sa.func.count(value), sa.func.sum(value),
                    sa.func.sum(sa.case((value.is_not(None), per_member.c[f"f{n}"]), else_=0))]
    for before, after in changes:
        difference = per_member.c[f"v{at[after]}"] - per_member.c[f"v{at[before]}"]
        columns += [sa.func.count(difference), sa.func.sum(difference)]
    if waves:
        with pair_store.reading_kept():
            totals = db.session.execute(sa.select(*columns)).one()
    else:
        totals = ()
    at_waves = pd.DataFrame([{"wave": wave, "members": int(totals[3 * n] or 0),
                              "value_sum": float(totals[3 * n + 1] or 0), "flagged": int(totals[3 * n + 2] or 0)}
                             for n, wave in enumerate(waves) if totals[3 * n]],
                            columns=["wave", "members", "value_sum", "flagged"])
    first = 3 * len(waves)
    moved = pd.DataFrame([{"before": before, "after": after, "members": int(totals[first + 2 * k] or 0),
                           "change_sum": float(totals[first + 2 * k + 1] or 0)}
                          for k, (before, after) in enumerate(changes) if totals[first + 2 * k]],
                         columns=["before", "after", "members", "change_sum"])
    return at_waves, moved
