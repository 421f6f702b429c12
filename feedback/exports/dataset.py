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


RESPONSE_COLUMNS = ("response_id", "instrument", "version", "content_hash", "mode", "language", "wave",
                    "completed_at", "family_id", "member_id", "site", "role", "birth_year", "birth_month",
                    "entry_date", "exit_date")


def responses(selection: Selection) -> pd.DataFrame:
    """One row per completed response in the selection, oldest first (columns: RESPONSE_COLUMNS).

    Responses of erased families (kept de-identified) have no family, member or site and are
    still counted; a selection by site leaves them out, as their site is no longer known.
    """
    query = (
        sa.select(Response.id.label("response_id"), Response.instrument_id.label("instrument"), Response.version,
                  Response.content_hash, Response.mode, Response.language, Response.wave, Response.completed_at,
                  Response.family_id, Response.member_id, Site.code.label("site"), Member.role,
                  Member.birth_year, Member.birth_month, Family.entry_date, Family.exit_date)
        .select_from(Response)
        .outerjoin(Family, Family.id == Response.family_id)
        .outerjoin(Site, Site.id == Family.site_id)
        .outerjoin(Member, Member.id == Response.member_id)
        .where(Response.status == "completed")
        .order_by(Response.completed_at, Response.id)
    )
    if selection.instruments is not None:
        query = query.where(Response.instrument_id.in_(selection.instruments))
    if selection.waves is not None:
        query = query.where(Response.wave.in_(selection.waves))
    if selection.site_codes is not None:
        query = query.where(Site.code.in_(selection.site_codes))
    return _frame(query, RESPONSE_COLUMNS)


def answers(response_ids) -> pd.DataFrame:
    """Answers of those responses, long: response_id, item_id, value (a code, number, text or list)."""
    query = (sa.select(Answer.response_id, Answer.item_id, Answer.value)
             .where(Answer.response_id.in_(_ids(response_ids))).order_by(Answer.response_id, Answer.item_id))
    return _frame(query, ("response_id", "item_id", "value"))


def scores(response_ids) -> pd.DataFrame:
    """Scale scores of those responses, long, with the scoring version each was computed with."""
    query = (sa.select(Score.response_id, Score.scale_id, Score.value, Score.answered, Score.items, Score.flagged,
                       Score.band, Score.scoring_version)
             .where(Score.response_id.in_(_ids(response_ids))).order_by(Score.response_id, Score.scale_id))
    return _frame(query, ("response_id", "scale_id", "value", "answered", "items", "flagged", "band",
                          "scoring_version"))


def answers_wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per response, one column per item (items never answered in the selection are absent:
    the caller adds every item of every version from the instruments, so none is silently dropped)."""
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="response_id"))
    return long.pivot(index="response_id", columns="item_id", values="value")


def _ids(response_ids) -> list[int]:
    return [int(value) for value in response_ids]


def _frame(query, columns) -> pd.DataFrame:
    rows = db.session.execute(query).all()
    return pd.DataFrame.from_records(rows, columns=list(columns))
