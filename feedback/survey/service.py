"""Responses in the database: links, saving answers page by page, completing and scoring."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import conflict_insert, db
from ..instruments import Instrument, score_instrument
from ..instruments.wording import response_wording_hash
from ..publishing.service import publish, published_instrument
from ..timeutil import utcnow
from ..transactions import begin_reading, end_reading, reading
from . import navigation
from .anonymous import link_answered, recorded_now
from .models import Answer, Response, Score
from .tokens import looks_like_token, new_token, token_hash

ANSWERS = Answer.__table__
RESPONSES = Response.__table__


def create_response(instrument: Instrument, valid_days: int, respondent_label: str | None = None,
                    language: str | None = None) -> tuple[Response, str]:
    """A new response with its link token. The token is returned once and never stored."""
    version = publish(instrument)
    token = new_token()
    response = Response(
        token_hash=token_hash(token), instrument_version=version, instrument_id=instrument.id,
        version=instrument.version, content_hash=instrument.content_hash,
        respondent_label=respondent_label, language=language,
        wording_hash=response_wording_hash(instrument, language), expires_at=utcnow() + timedelta(days=valid_days),
    )
    db.session.add(response)
    db.session.flush()
    return response, token


# Built once: every survey request runs it, and a reused statement skips rebuilding the query
# and its cache key. The answers come in the same query: every survey page needs them.
_BY_TOKEN_HASH = (sa.select(Response).where(Response.token_hash == sa.bindparam("token_hash"))
                  .options(joinedload(Response.answers)))


def find_by_token(token: str) -> Response | None:
    if not looks_like_token(token):
        return None
    return db.session.execute(_BY_TOKEN_HASH, {"token_hash": token_hash(token)}).unique().scalar_one_or_none()


class ResponseRow:
    """A response read for answering one screen: its columns that the web flow reads, and its
    answers, with no ORM object behind it (``find_row_by_token``). Read-only: saving goes through
    ``save_answers``'s statements; completing and changing the language use the ORM ``Response``.
    """

    __slots__ = ("id", "token_hash", "instrument_version_id", "content_hash", "status", "language", "family_id",
                 "member_id", "anonymous", "expires_at", "started_at", "answers")

    def __init__(self, row, answers: dict):
        (self.id, self.token_hash, self.instrument_version_id, self.content_hash, self.status, self.language,
         self.family_id, self.member_id, self.anonymous, self.expires_at, self.started_at) = row[:11]
        self.answers = answers

    @property
    def instrument_version(self):
        from ..publishing.models import InstrumentVersion

        return db.session.get(InstrumentVersion, self.instrument_version_id)

    def is_expired(self, now: datetime | None = None) -> bool:
        return Response.is_expired(self, now)

    def answer_values(self) -> dict:
        return dict(self.answers)


# The response's columns and its answers in one statement (a row per answer, or one row with no
# answer), read as plain rows: every web survey screen runs it.
_ROW_BY_TOKEN_HASH = (
    sa.select(RESPONSES.c.id, RESPONSES.c.token_hash, RESPONSES.c.instrument_version_id, RESPONSES.c.content_hash,
              RESPONSES.c.status, RESPONSES.c.language, RESPONSES.c.family_id, RESPONSES.c.member_id,
              RESPONSES.c.anonymous, RESPONSES.c.expires_at, RESPONSES.c.started_at,
              ANSWERS.c.item_id, ANSWERS.c.value)
    .select_from(RESPONSES.outerjoin(ANSWERS, ANSWERS.c.response_id == RESPONSES.c.id))
    .where(RESPONSES.c.token_hash == sa.bindparam("token_hash"))
)


def find_row_by_token(token: str) -> ResponseRow | None:
    """What ``find_by_token`` finds, as a ``ResponseRow``: for the screens that only read it.

    Read outside a transaction where it can be (``transactions.begin_reading``): the screen's
    save, if any, is one statement more (``save_answers``).
    """
    if not looks_like_token(token):
        return None
    begin_reading()
    rows = db.session.execute(_ROW_BY_TOKEN_HASH, {"token_hash": token_hash(token)}).all()
    if not rows:
        return None
    return ResponseRow(rows[0], {row[11]: row[12] for row in rows if row[11] is not None})


def instrument_for(response: Response | ResponseRow) -> Instrument:
    return published_instrument(response.content_hash, lambda: response.instrument_version)


class ResponseRef(NamedTuple):
    """What saving answers needs of a response, for a caller that read it without the ORM."""

    id: int
    started_at: datetime | None
    family_id: int | None


def save_answers(response: Response | ResponseRef, values: dict, mode: str, interviewer_id: int | None = None,
                 commit: bool = True, shown: tuple[str, str] | None = None) -> None:
    """Store one page's answers, item by item, in one statement per kind of change.

    An upsert per item means a page submitted twice is stored once, and two tabs saving different
    pages of the same response both keep their answers. ``None`` removes an answer the
    respondent cleared. ``shown`` is the (language, wording hash) the page was read in, recorded
    on the response as what was answered.
    """
    now = recorded_now(response)  # to the day only, for an anonymous response
    given = {item_id: value for item_id, value in values.items() if value is not None}
    cleared = [item_id for item_id, value in values.items() if value is None]
    changes = {"updated_at": now, "mode": mode}
    one_statement = len(given) <= ONE_STATEMENT_ANSWERS and db.engine.dialect.name == "postgresql"
    if not (one_statement and commit and response.started_at is not None and reading()):
        # More than the one statement below (the first answer also moves the invitation on):
        # in a transaction, all or nothing.
        end_reading()
    if response.started_at is None:
        changes["started_at"] = now
        progressed(response, "started")
    if interviewer_id is not None:
        changes["interviewer_id"] = interviewer_id
    if shown is not None:
        changes["language"], changes["wording_hash"] = shown
    if one_statement:
        # One round trip: the answers' upsert and delete ride along as CTEs of the response's
        # UPDATE. After a read outside a transaction (a survey screen), it is atomic on its own.
        params = {"page_response": response.id, "page_saved_at": now, "cleared": cleared, **changes}
        for index, (item_id, value) in enumerate(given.items()):
            params[f"item_{index}"], params[f"value_{index}"] = item_id, value
        db.session.execute(_page_saved(len(given), bool(cleared)), params)
        if commit:
            db.session.commit()
        return
    # Core statements on the tables, not the ORM classes: the ORM's bulk and "synchronize session"
    # paths cost more than the statements, and the commit below expires the loaded objects anyway.
    if given:
        db.session.execute(_upsert_answer(db.engine.dialect.name), [
            {"response_id": response.id, "item_id": item_id, "value": value, "saved_at": now}
            for item_id, value in given.items()
        ])
    if cleared:
        db.session.execute(sa.delete(ANSWERS).where(ANSWERS.c.response_id == response.id,
                                                    ANSWERS.c.item_id.in_(cleared)))
    db.session.execute(_UPDATE_RESPONSE, {"response_id": response.id, **changes})
    if commit:  # an SMS reply saves its answer, the conversation and the inbound text in one commit
        db.session.commit()


# Built once (every answer saved runs it); the columns set come from the parameters given.
_UPDATE_RESPONSE = sa.update(RESPONSES).where(RESPONSES.c.id == sa.bindparam("response_id"))


#: A survey screen saves one answer, a ``together`` page a few: those go in one statement on
#: PostgreSQL. A whole response at once (an import, the demo) keeps the executemany below, rather
#: than a statement with a CTE per answer compiled for each count.
ONE_STATEMENT_ANSWERS = 12


@lru_cache(maxsize=2 * (ONE_STATEMENT_ANSWERS + 1))
def _page_saved(answers: int, clearing: bool):
    """PostgreSQL: a page's save as one statement, ``UPDATE responses`` with the upserts of
    ``answers`` answers and (``clearing``) the delete of the cleared ones as data-modifying CTEs
    (each answer's item differs, so no two of them touch one row).

    Built once per shape. The SET clause comes from the response columns named in the parameters,
    as ``_UPDATE_RESPONSE``'s does; the CTEs' parameters are named unlike any column of either
    table (SQLAlchemy reserves column names for SET and VALUES).
    """
    statement = sa.update(RESPONSES).where(RESPONSES.c.id == sa.bindparam("page_response"))
    for index in range(answers):
        # One single-row upsert per answer, not one multi-row VALUES: SQLAlchemy does not cache
        # the compiled form of a multi-row insert, and compiling it cost more than the round trip.
        insert = conflict_insert("postgresql")(ANSWERS).values(
            response_id=sa.bindparam("page_response", type_=ANSWERS.c.response_id.type),
            item_id=sa.bindparam(f"item_{index}", type_=ANSWERS.c.item_id.type),
            value=sa.bindparam(f"value_{index}", type_=ANSWERS.c.value.type),
            saved_at=sa.bindparam("page_saved_at", type_=ANSWERS.c.saved_at.type),
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["response_id", "item_id"],
            set_={"value": insert.excluded.value, "saved_at": insert.excluded.saved_at},
        )
        statement = statement.add_cte(upsert.cte(f"saved_answer_{index}"))
    if clearing:
        delete = sa.delete(ANSWERS).where(ANSWERS.c.response_id == sa.bindparam("page_response"),
                                          ANSWERS.c.item_id.in_(sa.bindparam("cleared", expanding=True)))
        statement = statement.add_cte(delete.cte("cleared_answers"))
    return statement


@lru_cache(maxsize=4)
def _upsert_answer(dialect: str):
    """One upsert statement per dialect, built once so SQLAlchemy compiles it once."""
    statement = conflict_insert(dialect)(ANSWERS)
    return statement.on_conflict_do_update(
        index_elements=["response_id", "item_id"],
        set_={"value": statement.excluded.value, "saved_at": statement.excluded.saved_at},
    )


def complete(response: Response, instrument: Instrument, commit: bool = True) -> bool:
    """Mark the response completed and score it, once. False when it was already completed.

    Answers to items that the respondent's later answers hid are discarded first, so a dataset
    never holds an answer to a question the respondent was not finally asked.
    """
    db.session.expire(response)  # answers saved by statements the loaded object has not seen
    answers = response.answer_values()
    effective = navigation.effective_answers(instrument, answers)
    hidden = [item_id for item_id in answers if item_id not in effective]
    now = recorded_now(response)  # to the day only, for an anonymous response
    anonymous_hash = response.token_hash if response.anonymous else None
    # The status guard makes completion happen once even when the last page is posted twice at once.
    done = db.session.execute(
        sa.update(Response).where(Response.id == response.id, Response.status == "open")
        .values(status="completed", completed_at=now, updated_at=now)
    )
    if done.rowcount != 1:
        if commit:
            db.session.rollback()
        return False
    progressed(response, "completed")
    if hidden:
        db.session.execute(sa.delete(Answer).where(Answer.response_id == response.id, Answer.item_id.in_(hidden)))
    for result in score_instrument(instrument, effective):
        db.session.add(Score(
            response_id=response.id, scale_id=result.scale_id, value=result.value, answered=result.answered,
            items=result.items, flagged=result.flagged, band=result.band, scoring_version=result.scoring_version,
            scored_at=now,
        ))
    if commit:
        db.session.commit()
        db.session.expire(response)
        if anonymous_hash:
            # Its invitation learns only now, in a transaction of its own (see anonymous.py).
            link_answered(anonymous_hash)
    return True


def remember_member_language(response: Response, language: str) -> None:
    """The respondent chose ``language`` on their survey pages: when the link is a member's, it
    becomes the member's preferred language for texts and links to come. Nothing changes for a
    response with no member (anonymous, a partner contact's, a staff link) or for a language the
    app does not speak. Nothing is committed here, nor logged."""
    if response.member_id is None or response.anonymous:
        return
    from ..families.service import remember_language

    remember_language([response.member_id], language)


def progressed(response: Response | ResponseRef, to_state: str) -> None:
    """Tell the invitation behind a response (if any) that its respondent opened, started or finished."""
    if response.family_id is None:
        return  # not from an invitation: nothing to update, and no query spent finding that out
    from ..waves.service import response_progressed

    response_progressed(response.id, to_state)
