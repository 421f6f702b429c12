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

import pandas as pd
import sqlalchemy as sa

from ..extensions import db
from ..instruments.definition import NOT_COLLECTED
from ..survey.models import Answer, Response, Score
from .data import Filters, cohort
from .scale_change import ItemSums


def score_waves(filters: Filters, instrument_id: str, scale_ids) -> set[str]:
    """The waves at which the cohort has any score on those scales (none: the instrument is left out)."""
    query = (sa.select(Response.wave).distinct()
             .join(Score, Score.response_id == Response.id)
             .where(Response.status == "completed", Response.instrument_id == instrument_id,
                    Score.scale_id.in_(list(scale_ids)), Response.family_id.in_(cohort(filters))))
    return {wave for (wave,) in db.session.execute(query)}


def _unit(unit: str):
    return Response.member_id if unit == "member_id" else Response.family_id


def latest_at_waves(filters: Filters, instrument_id: str, scale_id: str, unit: str, waves) -> pd.DataFrame:
    """Each unit's latest score at each of ``waves``: indexed by the unit (ascending, as a pivot
    gives it), one column per wave, NaN where it has none. Units with no score left out."""
    waves = list(dict.fromkeys(waves))
    key = _unit(unit)
    ranked = (sa.select(key.label("k"), Response.wave.label("wave"), Score.value.label("value"),
                        sa.func.row_number().over(partition_by=(key, Response.wave),
                                                  order_by=(Response.completed_at.desc(), Response.id.desc()))
                        .label("rn"))
              .join(Score, Score.response_id == Response.id)
              .where(Response.status == "completed", Response.instrument_id == instrument_id,
                     Score.scale_id == scale_id, Score.value.is_not(None), key.is_not(None),
                     Response.wave.in_(waves), Response.family_id.in_(cohort(filters)))
              .subquery("ranked"))
    columns = [sa.func.max(sa.case((ranked.c.wave == wave, ranked.c.value))) for wave in waves]
    query = sa.select(ranked.c.k, *columns).where(ranked.c.rn == 1).group_by(ranked.c.k).order_by(ranked.c.k)
    rows = [tuple(row) for row in db.session.execute(query)]
    frame = pd.DataFrame.from_records(rows, columns=["k", *waves]).set_index("k")
    return frame.astype(float)


def paired_scores(filters: Filters, instrument_id: str, scale_id: str, unit: str, changes
                  ) -> dict[tuple[str, str], pd.DataFrame]:
    """For each (before, after) of ``changes``: the units scored at both, columns ``before`` and
    ``after`` (each one's latest score there), ascending by unit."""
    table = latest_at_waves(filters, instrument_id, scale_id, unit, [wave for pair in changes for wave in pair])
    return {(before, after): table[[before, after]].dropna(subset=[before, after]) for before, after in changes}


def first_and_latest(filters: Filters, instrument_id: str, scale_id: str, unit: str) -> pd.DataFrame:
    """Units with two scored readings or more, any wave: columns ``first`` and ``latest`` (in the
    order completed, then by id), ascending by unit."""
    key = _unit(unit)
    scored = sa.and_(Response.status == "completed", Response.instrument_id == instrument_id,
                     Score.scale_id == scale_id, Score.value.is_not(None), key.is_not(None),
                     Response.family_id.in_(cohort(filters)))
    ranked = (sa.select(key.label("k"), Score.value.label("value"),
                        sa.func.row_number().over(partition_by=key, order_by=(Response.completed_at, Response.id))
                        .label("first_rn"),
                        sa.func.row_number().over(partition_by=key,
                                                  order_by=(Response.completed_at.desc(), Response.id.desc()))
                        .label("last_rn"),
                        sa.func.count().over(partition_by=key).label("readings"))
              .join(Score, Score.response_id == Response.id).where(scored).subquery("ranked"))
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


def item_sums(filters: Filters, instrument_id: str, scales, unit: str, wave: str | None) -> dict[str, ItemSums]:
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
