"""Issue 24: the cheaper request path of a survey screen behaves as the one it replaced.

The screens read the response as plain rows (``find_row_by_token``), Flask-Limiter's
before-request hook is skipped where it has nothing to check, and a saved post signs no CSRF
token it would never show. None of these keeps anything between requests."""
import flask_wtf.csrf
from flask import request

from tests.conftest import csrf_token
from feedback.extensions import db, limiter
from feedback.survey import forms
from feedback.survey.service import find_by_token, find_row_by_token


def test_row_read_is_the_orm_read_and_only_this_respondents(app, client, make_link):
    first_id, first = make_link()
    second_id, second = make_link()
    page = client.get(f"/s/{first}/q/has_children").get_data(as_text=True)
    assert client.post(f"/s/{first}/q/has_children",
                       data={"csrf_token": csrf_token(page), "has_children": "1"}).status_code == 302
    with app.app_context():
        for token, response_id in ((first, first_id), (second, second_id)):
            orm, row = find_by_token(token), find_row_by_token(token)
            assert row.id == orm.id == response_id
            for name in ("token_hash", "instrument_version_id", "content_hash", "status", "language", "family_id",
                         "member_id", "anonymous", "expires_at", "started_at"):
                assert getattr(row, name) == getattr(orm, name), name
            assert row.answer_values() == orm.answer_values()
            assert row.is_expired() == orm.is_expired()
            assert row.instrument_version.id == orm.instrument_version.id
            db.session.rollback()
        assert set(find_row_by_token(first).answer_values()) == {"has_children"}
        assert find_row_by_token(second).answer_values() == {}
        assert find_row_by_token(first[:-1] + ("A" if first[-1] != "A" else "B")) is None
        assert find_row_by_token("not a token") is None


def test_the_next_request_sees_a_change_made_meanwhile(app, client, make_link):
    response_id, token = make_link()
    page = client.get(f"/s/{token}/q/has_children").get_data(as_text=True)
    client.post(f"/s/{token}/q/has_children", data={"csrf_token": csrf_token(page), "has_children": "1"})
    with app.app_context():  # another tab, or staff, changes the response between two requests
        response = find_by_token(token)
        response.status = "completed"
        db.session.commit()
    closed = client.get(f"/s/{token}/q/adults")  # the kind "already sent" page, not the question
    assert closed.status_code == 200 and 'name="adults"' not in closed.get_data(as_text=True)
    page = client.get(f"/s/{token}/q/has_children").get_data(as_text=True)
    assert 'name="has_children"' not in page
    with app.app_context():
        assert find_row_by_token(token).status == "completed"


def test_limiter_hook_skipped_only_where_nothing_could_be_limited(app):
    with app.test_request_context("/s/abc/q/x"):
        assert request.blueprint == "survey" and limiter._nothing_to_check()
    with app.test_request_context("/api/v1/families/abc"):
        assert request.blueprint.startswith("api_") and not limiter._nothing_to_check()
    saved = limiter.limit_manager._default_limits
    try:  # a default limit would apply to every route: the hook runs again
        from flask_limiter import Limit
        limiter.limit_manager.set_default_limits([[Limit("5 per minute")]])
        with app.test_request_context("/s/abc/q/x"):
            assert not limiter._nothing_to_check()
    finally:
        limiter.limit_manager.set_default_limits(saved)


def test_a_saved_post_signs_no_token_and_csrf_still_holds(app, client, make_link, monkeypatch):
    _id, token = make_link()
    page = client.get(f"/s/{token}/q/has_children").get_data(as_text=True)
    signed = []
    real = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(forms, "generate_csrf", lambda *a, **k: signed.append(1) or real(*a, **k))
    assert client.post(f"/s/{token}/q/has_children",
                       data={"csrf_token": csrf_token(page), "has_children": "1"}).status_code == 302
    assert signed == []
    assert client.post(f"/s/{token}/q/adults", data={"adults": "2"}).status_code == 400  # no token
    assert client.post(f"/s/{token}/q/adults", data={"csrf_token": "forged", "adults": "2"}).status_code == 400
    refused = client.post(f"/s/{token}/q/adults", data={"csrf_token": csrf_token(page), "adults": "many"})
    assert refused.status_code == 422
    flask_wtf_token = csrf_token(refused.get_data(as_text=True))
    assert client.post(f"/s/{token}/q/adults", data={"csrf_token": flask_wtf_token, "adults": "2"}).status_code == 302


def test_the_page_forms_token_field_still_draws_a_valid_token(app):
    from feedback.publishing.startup import current_catalogue
    from feedback.survey import navigation
    with app.test_request_context("/s/abc/q/x"):
        instrument = current_catalogue().latest("household")
        items = navigation.screens(instrument)[0].visible_items({})
        form = forms.page_form_class(items, "en", instrument.content_hash)(formdata=None)
        drawn = str(form.csrf_token)
        assert flask_wtf.csrf.generate_csrf() in drawn
        flask_wtf.csrf.validate_csrf(flask_wtf.csrf.generate_csrf())
