"""Issue 24: saving a page is one statement on PostgreSQL (the answers' upsert and delete ride along
with the response's UPDATE), two or three on SQLite, with the same outcome on both."""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from feedback.extensions import db
from feedback.survey.models import Answer, Response
from feedback.survey.service import ResponseRef, save_answers


@contextmanager
def statements():
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many):
        # The first word: one WITH … UPDATE on PostgreSQL, its parts one by one on SQLite.
        seen.append(statement.split(None, 1)[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def _answers(response_id: int) -> dict:
    db.session.expire_all()
    return {answer.item_id: answer.value for answer in
            db.session.scalars(sa.select(Answer).where(Answer.response_id == response_id))}


def _ref(response_id: int) -> ResponseRef:
    response = db.session.get(Response, response_id)
    return ResponseRef(response.id, response.started_at, response.family_id)


def test_a_page_saves_its_answers_and_the_response_in_as_few_round_trips_as_the_database_allows(app, make_link):
    response_id, _token = make_link()
    other_id, _other = make_link()
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        ref = _ref(response_id)
        with statements() as seen:
            save_answers(ref, {"f1": 2, "f2": -9, "f3": None}, "web", shown=("cy", "c" * 64), commit=False)
        # The first save: answers in, none cleared yet (f3's delete finds nothing), response started.
        assert seen == (["WITH"] if postgresql else ["INSERT", "DELETE", "UPDATE"])
        db.session.commit()
        assert _answers(response_id) == {"f1": 2, "f2": -9}
        response = db.session.get(Response, response_id)
        started = response.started_at
        assert started is not None and response.updated_at == started
        assert (response.mode, response.language, response.wording_hash) == ("web", "cy", "c" * 64)

        # The same page again: one answer changed, one cleared, one given; the start is kept.
        ref = _ref(response_id)
        with statements() as seen:
            save_answers(ref, {"f1": 3, "f2": None, "f3": 4}, "interview", interviewer_id=None)
        assert seen == (["WITH"] if postgresql else ["INSERT", "DELETE", "UPDATE"])
        assert _answers(response_id) == {"f1": 3, "f3": 4}
        response = db.session.get(Response, response_id)
        assert response.started_at == started and response.mode == "interview" and response.language == "cy"

        # Only cleared answers: no upsert at all.
        ref = _ref(response_id)
        with statements() as seen:
            save_answers(ref, {"f3": None}, "web")
        assert seen == (["WITH"] if postgresql else ["DELETE", "UPDATE"])
        assert _answers(response_id) == {"f1": 3}
        # Another response is never touched.
        assert _answers(other_id) == {}
        other = db.session.get(Response, other_id)
        assert other.started_at is None and other.language is None


def test_every_kind_of_value_comes_back_as_it_was_given(app, make_link):
    response_id, _token = make_link()
    given = {"has_children": 1, "adults": 2.5, "school": [1, 3], "moved_in": "2024-03-27",
             "postcode": "AB1 2CD", "comments": "Line one\nline two: “quoted” & <b>", "rating": 10}
    with app.app_context():
        save_answers(_ref(response_id), given, "web")
        assert _answers(response_id) == given
        save_answers(_ref(response_id), {"school": [2], "comments": None}, "web")
        assert _answers(response_id) == {**{k: v for k, v in given.items() if k != "comments"}, "school": [2]}


def test_a_statement_is_reused_for_pages_of_the_same_shape_only(app, make_link):
    first_id, _first = make_link()
    second_id, _second = make_link()
    with app.app_context():
        save_answers(_ref(first_id), {"f1": 1}, "web")
        save_answers(_ref(second_id), {"f1": 4, "f2": 3}, "web")
        save_answers(_ref(first_id), {"f2": 2}, "web")
        assert _answers(first_id) == {"f1": 1, "f2": 2}
        assert _answers(second_id) == {"f1": 4, "f2": 3}


def test_a_whole_response_at_once_keeps_the_separate_statements(app, make_link):
    """An import or the demo saves every answer together: more than a page holds, so the upsert is
    one executemany and the response's UPDATE its own statement, on either database."""
    from feedback.survey.service import ONE_STATEMENT_ANSWERS

    response_id, _token = make_link()
    many = {f"item_{index}": index for index in range(ONE_STATEMENT_ANSWERS + 1)}
    with app.app_context():
        ref = _ref(response_id)
        with statements() as seen:
            save_answers(ref, many, "import", commit=False)
        assert seen == ["INSERT", "UPDATE"]
        db.session.commit()
        assert _answers(response_id) == many
