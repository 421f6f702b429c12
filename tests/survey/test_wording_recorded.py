"""Each response records the wording it was answered in: its language's wording hash."""
from __future__ import annotations

from feedback.extensions import db
from feedback.instruments.wording import wording_hash
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response
from feedback.survey.service import create_response
from tests.conftest import csrf_token


def stored(app, response_id) -> tuple[str | None, str | None]:
    with app.app_context():
        response = db.session.get(Response, response_id)
        return response.language, response.wording_hash


def household_hash(app, language: str) -> str:
    with app.app_context():
        return wording_hash(current_catalogue().latest("household"), language)


def test_a_response_created_in_welsh_stores_the_welsh_wording(app):
    with app.app_context():
        response, _token = create_response(current_catalogue().latest("household"), 28, language="cy")
        db.session.commit()
        response_id = response.id
    assert stored(app, response_id) == ("cy", household_hash(app, "cy"))


def test_switching_language_records_the_new_wording(app, client, make_link):
    response_id, token = make_link()
    assert stored(app, response_id) == (None, None)  # not known until chosen or a page is answered
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"})
    assert stored(app, response_id) == ("cy", household_hash(app, "cy"))
    client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "en"})
    assert stored(app, response_id) == ("en", household_hash(app, "en"))


def test_a_page_answered_records_the_language_it_was_shown_in(app, client, make_link):
    response_id, token = make_link()
    page = client.get(f"/s/{token}/q/has_children", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    client.post(f"/s/{token}/q/has_children", data={"csrf_token": csrf_token(page), "has_children": "0"},
                headers={"Accept-Language": "cy"})
    assert stored(app, response_id) == ("cy", household_hash(app, "cy"))
