"""A refused "send a survey now" gives its reason in the staff page's language: the reason is kept as a
code and put into words when the page is drawn, never as the service's English sentence."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel.speaklater import LazyString

from feedback.waves.send_now import refusal_words
from tests.conftest import csrf_token
from tests.staff.scene import build_scene, client_as
from tests.waves.test_send_now_page import at_noon, send, words  # noqa: F401 (a fixture)


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


def test_a_reason_is_a_lazy_string_read_in_the_language_of_the_moment(app):
    reason = refusal_words("paused")
    assert isinstance(reason, LazyString)
    with app.test_request_context():
        with force_locale("cy"):
            welsh = str(reason)
        with force_locale("en"):
            assert str(reason) == "contact is paused"
    assert welsh != "contact is paused"  # the staff catalogue has its Welsh
    assert refusal_words("no_such_reason") == "no such reason" and refusal_words(None) is None


def test_a_refusal_on_a_welsh_page_gives_the_reason_in_welsh(app, scene, at_noon):  # noqa: F811
    client = client_as(app, "practitioner_north")
    page = client.get("/staff/").get_data(as_text=True)
    client.post("/staff/language", data={"csrf_token": csrf_token(page), "language": "cy"})
    response = send(client, scene.family, scene.father)  # the father's contact is paused in the scene
    assert response.status_code == 409
    shown = words(response.get_data(as_text=True))
    with app.test_request_context(), force_locale("cy"):
        welsh = str(refusal_words("paused"))
    assert welsh in shown.replace("&#39;", "'") and "contact is paused" not in shown
