"""Issue 24: a question's markup is drawn once and reused (``feedback/survey/question_markup.py``).

Reused markup must be exactly what the ``question`` macro draws for the same form, and must never
carry one respondent's answers, errors or token to another, nor outlive the wording it was drawn
from."""
from __future__ import annotations

import dataclasses
import re

import pytest
from flask import g
from werkzeug.datastructures import MultiDict

from tests.conftest import csrf_token
from feedback.instruments.definition import ITEM_TYPES, Choice, Text
from feedback.publishing.startup import current_catalogue
from feedback.survey import question_markup as markup
from feedback.survey.forms import MISSING_SUFFIX, form_data_for, page_form_class
from feedback.survey.question_markup import draw_question, question_markup

#: Typed answers a respondent might give, markup characters included: they must come out escaped.
TYPED = ['7', '"><script>alert(1)</script>', "O'Brien & <b>co</b>", "tab\there\nnew line"]
HOSTILE = "<script>alert('x')</script>"


def _states(item) -> list[dict]:
    """Stored answers to show the item with: none, and each kind of answer it can hold."""
    if item.type in ("single_choice", "agreement", "scale", "yes_no"):
        return [{}] + [{item.id: choice.code} for choice in item.all_choices]
    if item.type == "multiple_choice":
        codes = [choice.code for choice in item.choices]
        return [{}, {item.id: codes[:1]}, {item.id: codes[-2:]}, {item.id: codes}]
    missing = [{item.id: choice.code} for choice in item.missing_codes]
    if item.type == "date":
        return [{}, {item.id: "2024-03-27"}, {item.id: "not a date"}] + missing
    return [{}] + [{item.id: value} for value in TYPED] + missing


def _forms(item, language, texts_key):
    """Forms as a GET draws them (from stored answers) and as a refused POST re-draws them."""
    form_class = page_form_class((item,), language, texts_key)
    for answers in _states(item):
        yield form_class(formdata=None, data=form_data_for((item,), answers))
    if item.type == "date":
        yield form_class(formdata=MultiDict({f"{item.id}-day": "3", f"{item.id}-month": HOSTILE,
                                             f"{item.id}-year": "20&24"}))
    elif item.type in ("number", "text", "long_text"):
        yield form_class(formdata=MultiDict({item.id: HOSTILE}))
    elif item.type == "multiple_choice":  # a forged code is ticked nowhere
        yield form_class(formdata=MultiDict([(item.id, "999"), (item.id, str(item.choices[0].code))]))
    else:
        yield form_class(formdata=MultiDict({item.id: "999"}))


def _languages(instrument) -> list[str]:
    wanted = [code for code in ("en", "cy", "ur") if code in instrument.languages]
    return wanted or list(instrument.languages[:2])


def _assert_same(instrument, item, form, language, errors=None, **layout):
    errors = errors or {}
    drawn = str(draw_question(item, form, errors, language, **layout))
    assert str(question_markup(instrument, item, form, errors, language, **layout)) == drawn  # drawn, or kept
    assert str(question_markup(instrument, item, form, errors, language, **layout)) == drawn  # kept
    return drawn


def test_kept_markup_is_the_macros_own_for_every_item_of_every_instrument(app):
    seen_types, seen_directions = set(), set()
    with app.app_context():
        instruments = list(current_catalogue())
    for instrument in instruments:
        for language in _languages(instrument):
            with app.test_request_context("/s/x/q/y"):
                g.locale = language
                seen_directions.add("rtl" if language in ("ur", "ar") else "ltr")
                for index, item in enumerate(instrument.items):
                    seen_types.add(item.type)
                    for form in _forms(item, language, instrument.texts_key):
                        layout = {"heading": True, "intro_id": "intro" if index % 2 else ""}
                        _assert_same(instrument, item, form, language, **layout)
                    # A screen of several questions: each a fieldset with a smaller legend.
                    blank = page_form_class((item,), language, instrument.texts_key)(formdata=None, data={})
                    _assert_same(instrument, item, blank, language, heading=False)
    assert seen_types == set(ITEM_TYPES) and seen_directions == {"ltr", "rtl"}


def test_typed_answers_are_escaped_and_never_kept(app):
    with app.app_context():
        household = current_catalogue().latest("household")
    item = household.item("comments")
    with app.test_request_context("/s/x/q/comments"):
        g.locale = "en"
        form = page_form_class((item,), "en", household.texts_key)(formdata=None, data={"comments": HOSTILE})
        html = _assert_same(household, item, form, "en", heading=True)
        assert HOSTILE not in html and "&lt;script&gt;" in html
        kept = app.extensions[markup.EXTENSION].entries
        assert kept and not any("script" in segment for segments in kept.values() for segment in segments)


def test_an_item_with_an_error_is_drawn_with_it_and_not_kept(app):
    with app.app_context():
        household = current_catalogue().latest("household")
    item = household.item("has_children")
    with app.test_request_context("/s/x/q/has_children"):
        g.locale = "en"
        form = page_form_class((item,), "en", household.texts_key)(formdata=None, data={})
        before = dict(app.extensions.get(markup.EXTENSION, markup._Cache()).entries)
        html = _assert_same(household, item, form, "en", errors={"has_children": "Select yes or no"}, heading=True)
        assert "Select yes or no" in html and 'aria-describedby="e-has_children"' in html
        assert app.extensions.get(markup.EXTENSION, markup._Cache()).entries == before
        assert "Select yes or no" not in str(question_markup(household, item, form, {}, "en", heading=True))


def _retexted(instrument, item_id, words, **changes):
    """The instrument with one question's English words changed (and ``changes`` made)."""
    def retext(item):
        return dataclasses.replace(item, text=Text({**item.text.by_language, "en": words})) if item.id == item_id else item
    pages = tuple(dataclasses.replace(page, items=tuple(retext(item) for item in page.items))
                  for page in instrument.pages)
    return dataclasses.replace(instrument, pages=pages, **changes)


@pytest.mark.parametrize("change", [{"version": 99}, {"content_hash": "another-version-file"},
                                    {"wording_key": "added-words-changed"}, {"id": "household-copy"}])
def test_changed_wording_or_version_is_never_served_from_the_cache(app, change):
    with app.app_context():
        household = current_catalogue().latest("household")
    changed = _retexted(household, "postcode", "Your new postcode wording", **change)
    with app.test_request_context("/s/x/q/postcode"):
        g.locale = "en"
        for instrument in (household, changed, household):
            item = instrument.item("postcode")
            form = page_form_class((item,), "en", instrument.texts_key)(formdata=None, data={})
            html = _assert_same(instrument, item, form, "en", heading=True)
            assert ("Your new postcode wording" in html) == (instrument is changed)


def test_each_language_is_drawn_in_its_own_words(app):
    with app.app_context():
        household = current_catalogue().latest("household")
    item = household.item("adults")
    drawn = {}
    for language in ("en", "cy", "en"):
        with app.test_request_context("/s/x/q/adults"):
            g.locale = language
            form = page_form_class((item,), language, household.texts_key)(formdata=None, data={})
            drawn[language] = _assert_same(household, item, form, language, heading=True)
    assert "How many adults live with you?" in drawn["en"] and "Faint o oedolion" in drawn["cy"]
    assert "Faint o oedolion" not in drawn["en"]


def test_an_instrument_without_a_content_hash_is_never_kept(app):
    with app.app_context():
        household = current_catalogue().latest("household")
    unnamed = dataclasses.replace(household, content_hash="", wording_key="")
    item = unnamed.item("postcode")
    with app.test_request_context("/s/x/q/postcode"):
        g.locale = "en"
        form = page_form_class((item,), "en", "unnamed")(formdata=None, data={})
        app.extensions.pop(markup.EXTENSION, None)
        _assert_same(unnamed, item, form, "en", heading=True)
        assert not app.extensions.get(markup.EXTENSION, markup._Cache()).entries


def test_a_date_with_missing_codes_fills_every_part(app):
    with app.app_context():
        household = current_catalogue().latest("household")
    refused = Choice(-9, Text({"en": "Prefer not to say", "cy": "Gwell peidio"}), missing=True)
    item = dataclasses.replace(household.item("moved_in"), missing_codes=(refused,))
    instrument = dataclasses.replace(household, wording_key="date-with-missing-codes")
    with app.test_request_context("/s/x/q/moved_in"):
        g.locale = "en"
        form_class = page_form_class((item,), "en", instrument.texts_key)
        for data in ({}, {"moved_in": "2020-01-05"}, {"moved_in" + MISSING_SUFFIX: "-9"}):
            html = _assert_same(instrument, item, form_class(formdata=None, data=data), "en", heading=True)
            assert ('value="2020"' in html) == ("moved_in" in data)


def test_the_cache_is_bounded(app, monkeypatch):
    monkeypatch.setattr(markup, "MAX_ENTRIES", 3)
    with app.app_context():
        household = current_catalogue().latest("household")
    app.extensions.pop(markup.EXTENSION, None)
    with app.test_request_context("/s/x/q/f1"):
        g.locale = "en"
        for item in household.items:
            for form in _forms(item, "en", household.texts_key):
                _assert_same(household, item, form, "en", heading=True)
                assert len(app.extensions[markup.EXTENSION].entries) <= 3


def _page(client, token, address):
    return client.get(f"/s/{token}/{address}").get_data(as_text=True)


def test_two_links_never_see_each_others_answers_errors_or_tokens(app, make_link):
    first_client, second_client = app.test_client(), app.test_client()
    _first_id, first = make_link()
    _second_id, second = make_link()
    secret = "42 Acacia Avenue <b>"
    for client, token in ((first_client, first), (second_client, second)):
        _page(client, token, "start")
    # The first respondent types an answer, ticks a choice and is refused once.
    page = _page(first_client, first, "q/postcode")
    assert first_client.post(f"/s/{first}/q/postcode",
                             data={"csrf_token": csrf_token(page), "postcode": "far too long a postcode"}).status_code == 422
    assert first_client.post(f"/s/{first}/q/comments",
                             data={"csrf_token": csrf_token(page), "comments": secret}).status_code == 302
    assert first_client.post(f"/s/{first}/q/has_children",
                             data={"csrf_token": csrf_token(page), "has_children": "1"}).status_code == 302
    first_comments, first_choice = _page(first_client, first, "q/comments"), _page(first_client, first, "q/has_children")
    assert "42 Acacia Avenue &lt;b&gt;" in first_comments
    assert re.search(r'value="1"\s+checked', first_choice)
    # The second respondent, on the same questions, sees only their own empty answers and token.
    second_comments = _page(second_client, second, "q/comments")
    second_choice = _page(second_client, second, "q/has_children")
    second_postcode = _page(second_client, second, "q/postcode")
    assert "Acacia" not in second_comments and "checked" not in second_choice
    assert "govuk-error" not in second_postcode and "far too long" not in second_postcode
    assert csrf_token(second_comments) != csrf_token(first_comments)
    assert csrf_token(first_comments) not in second_comments + second_choice + second_postcode
    # And the first respondent's answers are still theirs after the second's pages were drawn.
    assert "42 Acacia Avenue &lt;b&gt;" in _page(first_client, first, "q/comments")
