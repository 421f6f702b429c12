"""A link's page does only the work it needs (issue 24): its words come from one catalogue lookup,
its language words are made once per language, and nobody is signed in on it. Each shortcut draws
exactly what the longer way drew, and keeps nothing that another page, language or app could see.
"""
import dataclasses
import re

import pytest

from feedback.config import Wording
from feedback.survey import views
from tests.conftest import csrf_token
from tests.survey.test_web_flow import walk

TOKEN_VALUE = re.compile(r'(name="csrf_token" value=")[^"]+(")')


def masked(html: str, link: str = "") -> str:
    """A page with its form token blanked (drawn a moment apart, two differ in their time) and its
    link's token named, so that two links' pages can be compared."""
    html = TOKEN_VALUE.sub(r"\1…\2", html)
    return html.replace(link, "<link>") if link else html


def pages_of_a_link(client, token, language):
    """Every kind of page a respondent sees before the check: welcome, a question, the question
    refused (an answer missing, an unknown field), a page not found."""
    client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(client.get(f"/s/{token}").get_data(as_text=True)),
                                              "language": language})
    first = client.get(f"/s/{token}/start").location
    drawn = {"welcome": client.get(f"/s/{token}"), "question": client.get(first)}
    form = csrf_token(drawn["question"].get_data(as_text=True))
    drawn["posted empty"] = client.post(first, data={"csrf_token": form})
    drawn["unknown field"] = client.post(first, data={"csrf_token": form, "no_such_field": "1"})
    drawn["not found"] = client.get(f"/s/{token}/q/no-such-question")
    if "/q/has_children" in first:  # household: a typed answer refused, with its numbers in words
        drawn["typed answer refused"] = client.post(f"/s/{token}/q/adults", data={"csrf_token": form, "adults": "lots"})
    return {name: (page.status_code, masked(page.get_data(as_text=True), token)) for name, page in drawn.items()}


@pytest.mark.parametrize("instrument, language", [("household", "en"), ("household", "cy"), ("follow-up", "ur"),
                                                  ("follow-up", "cy")])
def test_a_links_pages_read_exactly_as_with_a_lookup_per_string(app, make_link, monkeypatch, instrument, language):
    _, token = make_link(instrument)
    one_lookup = pages_of_a_link(app.test_client(), token, language)
    _, token = make_link(instrument)
    with monkeypatch.context() as patched:
        patched.setattr(views, "page_translations", lambda: {})  # Flask-Babel's own, string by string
        per_string = pages_of_a_link(app.test_client(), token, language)
    assert one_lookup == per_string
    assert f'lang="{language}"' in one_lookup["question"][1]


def test_the_check_page_reads_exactly_as_with_a_lookup_per_string(app, make_link, monkeypatch):
    drawn = []
    for patched_words in (False, True):
        _, token = make_link()
        client = app.test_client()
        with monkeypatch.context() as patched:
            if patched_words:
                patched.setattr(views, "page_translations", lambda: {})
            walk(client, token)
            drawn.append(masked(client.get(f"/s/{token}/check").get_data(as_text=True), token))
    assert drawn[0] == drawn[1] and "Check your answers" in drawn[0]


def test_each_page_finds_its_own_languages_words(app, client, make_link):
    _, welsh = make_link()
    _, english = make_link()
    welcome = client.get(f"/s/{welsh}").get_data(as_text=True)
    client.post(f"/s/{welsh}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"})
    for _round in range(2):  # one after the other, in the same process and browser
        assert "Cadw a pharhau" in client.get(f"/s/{welsh}/q/has_children").get_data(as_text=True)
        english_page = client.get(f"/s/{english}/q/has_children").get_data(as_text=True)
        assert "Save and continue" in english_page and "Cadw a pharhau" not in english_page


# -- the language words every page carries ---------------------------------------------------------

def fresh_words(app, language, family_page):
    from feedback.languages import language_name, language_names, text_direction

    settings = app.config["FEEDBACK_SETTINGS"]
    return {"language_names": language_names(), "current_language": language,
            "text_direction": text_direction(language), "organisation": settings.organisation.in_language(language),
            "contact": settings.contact.in_language(language) if family_page else "",
            "staff_language_names": {code: language_name(code) for code in settings.staff_languages}}


def test_language_words_are_those_made_afresh_for_each_language_and_kind_of_page(app):
    from feedback.languages import page_language_words, ui_languages

    with app.test_request_context("/"):
        for _round in range(2):
            for language in ui_languages():
                for family_page in (True, False):
                    kept = page_language_words(language, family_page)
                    assert {key: (dict(value) if key.endswith("names") else value) for key, value in kept.items()} \
                        == fresh_words(app, language, family_page)


def test_language_words_follow_changed_settings_and_are_each_apps_own(app, make_link):
    from feedback.languages import page_language_words

    settings = app.config["FEEDBACK_SETTINGS"]
    _, token = make_link()
    client = app.test_client()
    assert settings.organisation.in_language("en") in client.get(f"/s/{token}").get_data(as_text=True)
    app.config["FEEDBACK_SETTINGS"] = dataclasses.replace(settings, organisation=Wording("Renamed Family Support"),
                                                          contact=Wording("call 0800 000 000"))
    try:
        page = client.get(f"/s/{token}").get_data(as_text=True)
        assert "Renamed Family Support" in page and "0800" in page
        with app.test_request_context("/"):
            assert page_language_words("en", True)["organisation"] == "Renamed Family Support"
            assert page_language_words("en", False)["contact"] == ""  # staff pages carry no contact line
    finally:
        app.config["FEEDBACK_SETTINGS"] = settings
    assert "Renamed Family Support" not in client.get(f"/s/{token}").get_data(as_text=True)


def test_language_words_cannot_be_changed_by_a_page_and_stay_bounded(app):
    from feedback.languages import LANGUAGE_WORDS, page_language_words

    with app.test_request_context("/"):
        words = page_language_words("cy", True)
        with pytest.raises(TypeError):
            words["organisation"] = "changed"
        with pytest.raises(TypeError):
            words["language_names"]["cy"] = "changed"
        for number in range(600):  # a language code taken from a request cannot grow it without end
            page_language_words(f"x{number}", True)
        assert len(app.extensions[LANGUAGE_WORDS][1]) <= 256


# -- nobody is signed in on a link's page ----------------------------------------------------------

def test_a_links_pages_load_no_signed_in_user(app, client, make_link, monkeypatch):
    _, token = make_link()
    loaded = []
    real = type(app.login_manager)._load_user
    monkeypatch.setattr(type(app.login_manager), "_load_user", lambda self: loaded.append(1) or real(self))
    walk(client, token)
    assert loaded == []
    client.get("/staff/login")
    assert loaded == [1]  # staff pages still do


def test_a_member_of_staff_signed_in_in_the_same_browser_can_answer_a_link_and_stays_signed_in(
        app, signed_in, make_link):
    _, token = make_link()
    walk(signed_in, token)
    page = signed_in.get(f"/s/{token}/q/has_children")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert signed_in.get("/staff/").status_code == 200  # not signed out, not sent to sign in


# -- a link's own addresses ------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["", "/feedback"])
def test_a_links_addresses_are_those_url_for_writes(app, make_link, prefix):
    from flask import url_for

    _, token = make_link()
    with app.test_request_context(f"/s/{token}/q/has_children", base_url=f"http://localhost{prefix}/"):
        flow = views._flow(token, read_only=True)
        assert flow.base_url == flow.start_url == url_for("survey.welcome", token=token)
        assert flow.done_url == url_for("survey.done", token=token)
        assert flow.base_url.startswith(f"{prefix}/s/")
