"""Reading what an export needs from the database: completed responses, with the facts about each
respondent that de-identification later turns into safe columns, and their answers and scores.

Everything here still carries internal ids and real dates; nothing here is ever written to a file
as it is. Queries are Core statements read by pandas in one go per table, not ORM objects: an
export reads tens of thousands of responses, and building an object for each would cost far more
than the statement.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..extensions import db
from .answer_grid import AnswerGrid, records_frame
from ..families.models import Family, Member
from ..staff.models import Site
from ..survey.models import Answer, Response, Score


@dataclass(frozen=True)
class Selection:
    """Which responses an export covers; None means all."""

    instruments: tuple[str, ...] | None = None
    waves: tuple[str, ...] | None = None
    site_codes: tuple[str, ...] | None = None
    #: Only the responses of families whose ids lie in this range (both ends included): a block of
    #: the families an export builds at a time (``family_blocks``).
    families: tuple[int, int] | None = None
    #: Only responses without a family (an erased family's kept responses, a partner's).
    without_family: bool = False


RESPONSE_COLUMNS = ("response_id", "instrument", "version", "content_hash", "mode", "language", "wording_hash", "wave",
                    "completed_at", "family_id", "member_id", "site", "role", "birth_year", "birth_month",
                    "entry_date", "exit_date")


def _selected(query, selection: Selection, joined: bool = False):
    """``query`` (over Response) narrowed to the selection's completed responses.

    The selection is applied in SQL rather than as a list of response ids: PostgreSQL takes at
    most 65,535 bound parameters, and a whole service's export has more responses than that.
    """
    query = query.where(Response.status == "completed")
    if selection.instruments is not None:
        query = query.where(Response.instrument_id.in_(selection.instruments))
    if selection.waves is not None:
        query = query.where(Response.wave.in_(selection.waves))
    if selection.site_codes is not None:
        if not joined:
            query = query.join(Family, Family.id == Response.family_id).join(Site, Site.id == Family.site_id)
        query = query.where(Site.code.in_(selection.site_codes))
    if selection.families is not None:
        query = query.where(Response.family_id.between(*selection.families))
    if selection.without_family:
        query = query.where(Response.family_id.is_(None))
    return query


def family_blocks(selection: Selection, size: int) -> list[Selection]:
    """The selection cut into blocks of at most ``size`` families (by id), then one of the responses
    without a family if there are any: every response is in exactly one block, and all of a
    family's responses are in the same one. One block (the selection itself) when it has no more
    than ``size`` families and no response without one."""
    query = _selected(sa.select(Response.family_id).select_from(Response), selection).distinct()
    ids = sorted(family for family in db.session.scalars(query) if family is not None)
    orphans = db.session.scalar(sa.select(sa.exists(
        _selected(sa.select(Response.id), replace(selection, without_family=True)))))
    if len(ids) <= size and not orphans:
        return [selection]
    blocks = [replace(selection, families=(ids[start], ids[min(start + size, len(ids)) - 1]))
              for start in range(0, len(ids), size)]
    if orphans:
        blocks.append(replace(selection, without_family=True))
    return blocks


KEY_COLUMNS = ("response_id", "family_id", "member_id", "wave")


def response_keys(selection: Selection) -> pd.DataFrame:
    """Who answered each completed response of the selection and at which wave, in the order of
    ``responses`` (columns: KEY_COLUMNS): what an export needs of the whole cohort before it builds
    its table a block of families at a time."""
    query = (sa.select(Response.id, Response.family_id, Response.member_id, Response.wave)
             .select_from(Response).order_by(Response.completed_at, Response.id))
    return _frame(_selected(query, selection), KEY_COLUMNS)


def responses(selection: Selection) -> pd.DataFrame:
    """One row per completed response in the selection, oldest first (columns: RESPONSE_COLUMNS).

    Responses of erased families (kept de-identified) have no family, member or site and are
    still counted; a selection by site leaves them out, as their site is no longer known.
    """
    query = (
        sa.select(Response.id.label("response_id"), Response.instrument_id.label("instrument"), Response.version,
                  Response.content_hash, Response.mode, Response.language, Response.wording_hash, Response.wave, Response.completed_at,
                  Response.family_id, Response.member_id, Site.code.label("site"), Member.role,
                  Member.birth_year, Member.birth_month, Family.entry_date, Family.exit_date)
        .select_from(Response)
        .outerjoin(Family, Family.id == Response.family_id)
        .outerjoin(Site, Site.id == Family.site_id)
        .outerjoin(Member, Member.id == Response.member_id)
        .order_by(Response.completed_at, Response.id)
    )
    return _frame(_selected(query, selection, joined=True), RESPONSE_COLUMNS)


def answers(selection: Selection) -> pd.DataFrame:
    """Answers of the selection's responses, long: response_id, item_id, value (a code, number, text or list)."""
    query = sa.select(Answer.response_id, Answer.item_id, Answer.value).join(Response, Response.id == Answer.response_id)
    return _frame(_selected(query, selection), ("response_id", "item_id", "value"))


#: Responses whose answers are read per statement: a chunk's tuples (about 20 answers a response)
#: are held at once, never the instrument's.
ANSWER_CHUNK_RESPONSES = 5_000


def answers_by_response(selection: Selection, response_ids, chunk_responses: int | None = None) -> pd.DataFrame:
    """The selection's answers, one row per id of ``response_ids`` (in that order) and one column per
    item answered: ``answers_wide(answers(selection)).reindex(response_ids)``, dtypes included.

    Read a range of response ids at a time (an ordinary statement each, over the answers' own
    (response_id, item_id) index), so memory holds the table and one chunk's tuples rather than
    every answer as a tuple and a long frame (``answer_grid``). A server-side cursor did the same
    in 2.5 times the time: psycopg fetches its rows a few hundred per round trip.
    """
    size = chunk_responses or ANSWER_CHUNK_RESPONSES
    grid = AnswerGrid(list(response_ids))
    ordered = sorted(int(i) for i in response_ids)
    # The value as JSON text, decoded here (``decode_json``): the driver's own decoding was half the
    # read's time.
    query = (sa.select(Answer.response_id, Answer.item_id, sa.cast(Answer.value, sa.Text))
             .join(Response, Response.id == Answer.response_id))
    connection = db.session.connection()
    for start in range(0, len(ordered), size):
        ids = ordered[start:start + size]
        low, high = ids[0], ids[-1]
        # A range when the ids are about contiguous (the whole cohort's); a list when they are
        # scattered (a block of families' responses): a range would read every other family's
        # answers between them only to leave them out. The list is put on the responses, whose
        # ids PostgreSQL counts well, so each one's answers are found by the index: on the answers
        # it expected a hundred answers an id (its statistics count a tenth of the distinct ids)
        # and read the whole table instead, two seconds a statement at 100,000 families.
        where = (Answer.response_id.between(low, high) if high - low < 2 * len(ids)
                 else Response.id.in_(ids))
        chunk = _selected(query.where(where), selection)
        rows = _plain_rows(connection, chunk)
        if rows:
            grid.add_columns([row[0] for row in rows], [row[1] for row in rows], decode_json([row[2] for row in rows]))
        del rows
    return grid.frame()


def _plain_rows(connection, query) -> list[tuple]:
    """The statement's rows as the driver's own tuples. None of these columns needs SQLAlchemy's
    result processing (whole numbers, text), and a ``Row`` per answer cost four times the fetch."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def decode_json(texts: list) -> list:
    """``[json.loads(text) for text in texts]`` (None stays None), each distinct text decoded once:
    most answers are one of a few codes. A list or mapping is decoded afresh for each cell, so no two
    cells share one that could be changed in place."""
    codes, distinct = pd.factorize(np.asarray(texts, dtype=object))
    decoded = np.empty(len(distinct) + 1, dtype=object)  # the last: NULL (code -1)
    containers = []
    for code, text in enumerate(distinct):
        decoded[code] = value = json.loads(text)
        if isinstance(value, (list, dict)):
            containers.append(code)
    values = decoded[codes]
    if containers:
        for position in np.flatnonzero(np.isin(codes, containers)):
            values[position] = json.loads(texts[position])
    return values.tolist()


SCORE_COLUMNS = ("response_id", "scale_id", "value", "answered", "items", "flagged", "band", "scoring_version")
#: What the export's table takes of each score (``score_columns``).
PLACED_SCORE_COLUMNS = ("response_id", "scale_id", "value", "flagged", "band", "scoring_version")


def _scores_query(selection: Selection, columns):
    query = (sa.select(*[getattr(Score, name) for name in columns])
             .join(Response, Response.id == Score.response_id).order_by(Score.response_id, Score.scale_id))
    return _selected(query, selection)


def scores(selection: Selection) -> pd.DataFrame:
    """Scale scores of the selection's responses, long, with the scoring version each was computed with."""
    return _frame(_scores_query(selection, SCORE_COLUMNS), SCORE_COLUMNS)


def score_chunks(selection: Selection) -> Iterator[pd.DataFrame]:
    """The scores the export's table takes (``PLACED_SCORE_COLUMNS``), in the order of ``scores``,
    as frames of at most ``RECORD_CHUNK_ROWS`` rows: one chunk's rows in memory at a time."""
    result = db.session.execute(_scores_query(selection, PLACED_SCORE_COLUMNS),
                                execution_options={"stream_results": True, "yield_per": RECORD_CHUNK_ROWS})
    for part in result.partitions():
        yield pd.DataFrame.from_records([tuple(row) for row in part], columns=list(PLACED_SCORE_COLUMNS))


def answers_wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per response, one column per item (items never answered in the selection are absent:
    the caller adds every item of every version from the instruments, so none is silently dropped)."""
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="response_id"))
    return long.pivot(index="response_id", columns="item_id", values="value")


#: Rows of responses or scores read per round trip of a server-side cursor.
RECORD_CHUNK_ROWS = 50_000


def _frame(query, columns) -> pd.DataFrame:
    # Plain tuples: pandas probing SQLAlchemy Row objects for keys cost more than the query. A chunk
    # at a time through a server-side cursor: a national cohort's responses as tuples of Python
    # objects took about a kilobyte each, several times the frame made of them (``records_frame``).
    result = db.session.execute(query, execution_options={"stream_results": True, "yield_per": RECORD_CHUNK_ROWS})
    return records_frame(([tuple(row) for row in part] for part in result.partitions()), columns)
