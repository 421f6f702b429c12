"""Reading what an export needs from the database: completed responses, with the facts about each
respondent that de-identification later turns into safe columns, and their answers and scores.

Everything here still carries internal ids and real dates; nothing here is ever written to a file
as it is. Queries are Core statements read by pandas in one go per table, not ORM objects: an
export reads tens of thousands of responses, and building an object for each would cost far more
than the statement.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..extensions import db
from ..families.models import Family, Member
from ..staff.models import Site
from ..survey.models import Answer, Response, Score


@dataclass(frozen=True)
class Selection:
    """Which responses an export covers; None means all."""

    instruments: tuple[str, ...] | None = None
    waves: tuple[str, ...] | None = None
    site_codes: tuple[str, ...] | None = None


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
    return query


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


def scores(selection: Selection) -> pd.DataFrame:
    """Scale scores of the selection's responses, long, with the scoring version each was computed with."""
    query = (sa.select(Score.response_id, Score.scale_id, Score.value, Score.answered, Score.items, Score.flagged,
                       Score.band, Score.scoring_version)
             .join(Response, Response.id == Score.response_id).order_by(Score.response_id, Score.scale_id))
    return _frame(_selected(query, selection), ("response_id", "scale_id", "value", "answered", "items", "flagged",
                                                "band", "scoring_version"))


def answers_wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per response, one column per item (items never answered in the selection are absent:
    the caller adds every item of every version from the instruments, so none is silently dropped)."""
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="response_id"))
    return long.pivot(index="response_id", columns="item_id", values="value")


def _frame(query, columns) -> pd.DataFrame:
    # Plain tuples: pandas probing SQLAlchemy Row objects for keys cost more than the query.
    rows = [tuple(row) for row in db.session.execute(query)]
    return pd.DataFrame.from_records(rows, columns=list(columns))
