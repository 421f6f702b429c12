"""A link's screens drawn from kept frames (``screen_frame.py``) read exactly as drawn by the
template, and a frame never serves another respondent's, language's, version's or app's page."""
import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest

from feedback.config import Wording
from feedback.instruments.definition import Text
from feedback.survey import flow as flow_module
from feedback.survey import screen_frame
from tests.conftest import csrf_token
from tests.survey.test_web_flow import HOUSEHOLD, url

# The load test's reading of a page (the first answer offered for each question).
_spec = importlib.util.spec_from_file_location("survey_pages", Path(__file__).parents[1] / "benchmarks" / "survey_pages.py")
_survey_pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_survey_pages)
read_form = _survey_pages.read_form

FORM_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]+(")')


def _masked(html: str) -> str:
    # Two drawings a second apart carry different form tokens (the token holds its time).
    return FORM_TOKEN.sub(r"\1…\2", html)


def _frames(app) -> dict:
    kept = app.extensions.get(screen_frame.EXTENSION)
    return kept.entries if kept else {}


def _both_ways(client, monkeypatch, location):
    """The page at ``location`` drawn from a frame and by the template alone."""
    framed = client.get(location)
    with monkeypatch.context() as patched:
        patched.setattr(flow_module, "draw_screen", lambda *args, **kwargs: None)
        drawn = client.get(location)
    return framed, drawn


def _same_either_way(client, monkeypatch, location):
    framed, drawn = _both_ways(client, monkeypatch, location)
    assert framed.status_code == drawn.status_code == 200, location
    assert _masked(framed.get_data(as_text=True)) == _masked(drawn.get_data(as_text=True)), location
    return framed.get_data(as_text=True)


def _walk_comparing(client, monkeypatch, token):
    """Answer every screen (household's as its own tests do, others with the first answer offered,
    as the load test does); at each, the framed
    page must equal the template's. The addresses seen."""
    location = client.get(url(token, "start")).location
    seen = []
    while not location.endswith("/check"):
        html = _same_either_way(client, monkeypatch, location)
        address = location.split(f"/s/{token}/", 1)[1].split("/")[1]
        answers = {"csrf_token": csrf_token(html), **HOUSEHOLD[address]} if address in HOUSEHOLD else read_form(html)
        posted = client.post(location, data=answers)
        assert posted.status_code == 302  # the framed page's form token is the link's own
        seen.append(location)
        location = posted.location
        assert len(seen) < 30
    return seen


@pytest.mark.parametrize("instrument, language", [("household", "en"), ("household", "cy"), ("follow-up", "ur"),
                                                  ("follow-up", "cy")])
def test_every_screen_from_a_frame_is_the_templates_own(app, make_link, monkeypatch, instrument, language):
    _, token = make_link(instrument)
    client = app.test_client()
    page = client.get(url(token)).get_data(as_text=True)
    client.post(url(token, "language"), data={"csrf_token": csrf_token(page), "language": language})
    seen = _walk_comparing(client, monkeypatch, token)
    assert len(seen) > 3 and _frames(app)
    for location in seen:
        # Again, answered, and as reached from the check page ("Change": no progress line, "Back"
        # to the check page).
        assert f'lang="{language}"' in _same_either_way(client, monkeypatch, location)
        _same_either_way(client, monkeypatch, location + "?from=check")


def test_two_links_on_one_frame_see_only_their_own_token_answers_and_back_link(app, make_link):
    first_client, second_client = app.test_client(), app.test_client()
    _, first = make_link()
    _, second = make_link()
    secret = "42 Acacia Avenue <b>"
    page = first_client.get(url(first, "q/comments")).get_data(as_text=True)
    assert first_client.post(url(first, "q/comments"),
                             data={"csrf_token": csrf_token(page), "comments": secret}).status_code == 302
    first_page = first_client.get(url(first, "q/comments")).get_data(as_text=True)
    second_page = second_client.get(url(second, "q/comments")).get_data(as_text=True)
    assert len(_frames(app)) == 1  # the same frame served both
    assert "42 Acacia Avenue &lt;b&gt;" in first_page and "Acacia" not in second_page
    assert first not in second_page and second in second_page
    assert f'action="/s/{second}/language"' in second_page
    assert csrf_token(first_page) not in second_page
    # Each form token is good for its own link only.
    assert second_client.post(url(second, "q/comments"),
                              data={"csrf_token": csrf_token(first_page), "comments": "x"}).status_code == 400
    assert second_client.post(url(second, "q/comments"),
                              data={"csrf_token": csrf_token(second_page), "comments": "x"}).status_code == 302
    # Nothing of either respondent is in what is kept.
    kept = repr(_frames(app))
    for trace in (first, second, "Acacia", csrf_token(first_page), csrf_token(second_page)):
        assert trace not in kept


def test_each_language_has_its_own_frame(app, make_link):
    _, english = make_link()
    _, welsh = make_link()
    client = app.test_client()
    page = client.get(url(welsh)).get_data(as_text=True)
    client.post(url(welsh, "language"), data={"csrf_token": csrf_token(page), "language": "cy"})
    english_page = app.test_client().get(url(english, "q/comments")).get_data(as_text=True)
    welsh_page = client.get(url(welsh, "q/comments")).get_data(as_text=True)
    again = app.test_client().get(url(english, "q/comments")).get_data(as_text=True)
    assert 'lang="en"' in english_page and 'lang="cy"' in welsh_page
    assert _masked(english_page) == _masked(again)
    assert _masked(english_page) != _masked(welsh_page.replace(welsh, english))
    assert len(_frames(app)) == 2


def _draw_with(app, token, instrument):
    """The comments screen of ``token``'s link drawn for ``instrument`` (a changed copy)."""
    from feedback.survey import views

    with app.test_request_context(f"/s/{token}/q/comments"):
        app.preprocess_request()
        original = views.instrument_for
        views.instrument_for = lambda response: instrument
        try:
            return app.make_response(views.question(token, "comments")).get_data(as_text=True)
        finally:
            views.instrument_for = original


@pytest.mark.parametrize("change", ["version", "wording", "id"])
def test_a_changed_version_wording_or_instrument_is_never_served_from_a_frame(app, make_link, change):
    from feedback.publishing.startup import current_catalogue

    _, token = make_link()
    with app.app_context():
        household = current_catalogue().latest("household")
    first = _draw_with(app, token, household)
    changes = {"version": {"version": household.version + 1},
               "wording": {"wording_key": "another wording"},
               "id": {"id": "household-copy"}}[change]
    # Retitled too, as a new version or wording would be: a frame kept for the old one would show the old title.
    changed = dataclasses.replace(household, title=Text({"en": "A retitled survey"}), **changes)
    entries = len(_frames(app))
    retitled = _draw_with(app, token, changed)
    assert len(_frames(app)) == entries + 1  # drawn afresh under a key of its own
    assert "A retitled survey" in retitled and "A retitled survey" not in first
    assert _masked(_draw_with(app, token, household)) == _masked(first)


def test_new_settings_are_never_served_an_old_frame(app, make_link):
    _, token = make_link()
    client = app.test_client()
    before = client.get(url(token, "q/comments")).get_data(as_text=True)
    settings = app.config["FEEDBACK_SETTINGS"]
    try:
        app.config["FEEDBACK_SETTINGS"] = dataclasses.replace(settings, organisation=Wording("Another Org"))
        after = client.get(url(token, "q/comments")).get_data(as_text=True)
    finally:
        app.config["FEEDBACK_SETTINGS"] = settings
    assert "Northbridge Family Support" in before and "Another Org" in after
    assert "Northbridge Family Support" not in after


def test_a_refused_post_is_drawn_by_the_template_with_its_errors(app, make_link, monkeypatch):
    _, token = make_link()
    client = app.test_client()
    page = client.get(url(token, "q/postcode")).get_data(as_text=True)
    calls = []
    monkeypatch.setattr(flow_module, "draw_screen", lambda *args, **kwargs: calls.append(args))
    refused = client.post(url(token, "q/postcode"), data={"csrf_token": csrf_token(page), "postcode": "far too long a postcode"})
    assert refused.status_code == 422 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert calls == []


def test_frames_are_bounded(app, make_link, monkeypatch):
    monkeypatch.setattr(screen_frame, "MAX_FRAMES", 2)
    _, token = make_link()
    client = app.test_client()
    for address in ("q/comments", "q/postcode", "q/comments", "q/postcode"):
        client.get(url(token, address))
        assert len(_frames(app)) <= 2
