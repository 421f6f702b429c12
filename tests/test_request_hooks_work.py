"""Hooks that run on every request do no work where they have nothing to do (issue 24, fourth round),
and exactly their old work everywhere else: the session, Flask-Login's remember cookie, the staff
session check, Flask-Limiter's headers and teardown, Flask's async check, and ``bdi``.
"""
import asyncio
import functools
import inspect
import sys
from decimal import Decimal

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import force_locale
from flask_login import UserMixin, login_user, logout_user
from markupsafe import Markup

from feedback import FeedbackFlask
from feedback.cookie_session import CookieSessionInterface
from feedback.extensions import Limiter, LoginManager, limiter
from feedback.survey import bidi
from tests.conftest import csrf_token
from tests.survey.test_web_flow import walk


# -- the session ------------------------------------------------------------------------------------

def _session_app(interface) -> Flask:
    app = Flask(__name__)
    app.secret_key = "a secret"
    app.session_interface = interface

    @app.get("/untouched")
    def untouched():
        return "untouched"

    @app.get("/read")
    def read():
        return session.get("seen", "nothing")

    @app.get("/write")
    def write():
        session["seen"] = "yes"
        return "written"

    @app.get("/clear")
    def clear():
        session.clear()
        return "cleared"

    return app


def _headers_of(interface, visits):
    client = _session_app(interface).test_client()
    seen = []
    for path in visits:
        response = client.get(path)
        seen.append((path, response.text, response.headers.getlist("Set-Cookie"), response.headers.get("Vary")))
    return seen


@pytest.mark.parametrize("visits", [
    ["/untouched", "/read", "/untouched"],
    ["/write", "/untouched", "/read", "/clear", "/untouched", "/read"],
    ["/read", "/write", "/write", "/clear", "/clear"],
])
def test_the_session_is_saved_exactly_as_flask_saves_it(visits, monkeypatch):
    # The cookie's signature holds the second it was signed: one clock for both runs, so the two
    # cannot differ only by straddling a second.
    from itsdangerous.timed import TimestampSigner
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    ours = _headers_of(CookieSessionInterface(), visits)
    assert ours == _headers_of(SecureCookieSessionInterface(), visits)
    for path, _text, cookies, vary in ours:
        if path == "/untouched":
            assert vary is None  # nothing read the session: no "Vary: Cookie", and no cookie written
            assert not cookies or "seen" not in cookies[0]


def test_a_request_with_other_cookies_but_no_session_one_reads_an_empty_session():
    client = _session_app(CookieSessionInterface()).test_client()
    client.set_cookie("something_else", "1")
    assert client.get("/read").text == "nothing"
    client.get("/write")
    assert client.get("/read").text == "yes"


# -- Flask-Login's remember cookie --------------------------------------------------------------------

class _User(UserMixin):
    def __init__(self, user_id):
        self.id = user_id


def _login_app(**config) -> Flask:
    app = Flask(__name__)
    app.secret_key = "a secret"
    app.config.update(config)
    app.session_interface = CookieSessionInterface()
    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(_User)

    @app.get("/in")
    def sign_in():
        login_user(_User("7"), remember=True)
        return "in"

    @app.get("/out")
    def sign_out():
        logout_user()
        return "out"

    @app.get("/plain")
    def plain():
        return "plain"

    return app


def test_the_remember_cookie_is_still_set_refreshed_and_cleared():
    client = _login_app().test_client()
    signed_in = client.get("/in")
    assert any(cookie.startswith("remember_token=") for cookie in signed_in.headers.getlist("Set-Cookie"))
    assert "Cookie" in signed_in.headers["Vary"]
    assert not any(c.startswith("remember_token=") for c in client.get("/plain").headers.getlist("Set-Cookie"))
    signed_out = client.get("/out")
    assert any(cookie.startswith("remember_token=;") for cookie in signed_out.headers.getlist("Set-Cookie"))
    refreshing = _login_app(REMEMBER_COOKIE_REFRESH_EACH_REQUEST=True).test_client()
    refreshing.get("/in")
    assert any(c.startswith("remember_token=") for c in refreshing.get("/plain").headers.getlist("Set-Cookie"))


def test_a_request_that_reads_no_session_is_not_marked_as_depending_on_the_cookie():
    client = _login_app().test_client()
    plain = client.get("/plain")
    assert plain.headers.get("Vary") is None and not plain.headers.getlist("Set-Cookie")


# -- survey link pages, the staff session check ----------------------------------------------------

def test_a_links_pages_neither_read_nor_write_the_session(app, client, make_link):
    _, token = make_link()
    first = client.get(f"/s/{token}/start")
    page = client.get(first.location)
    posted = client.post(first.location, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                               "has_children": "yes"})
    for response in (first, page, posted):
        assert "Cookie" not in response.headers.get("Vary", "")
        assert not response.headers.getlist("Set-Cookie")
    assert posted.status_code in (302, 422)  # saved, or refused with the page drawn again: neither uses it


def test_without_a_cookie_the_staff_check_loads_no_user(app, client, monkeypatch):
    by_the_check = []
    manager = app.login_manager
    original = type(manager)._load_user

    def load(self):
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "end_stale_staff_sessions":
                by_the_check.append(1)
            frame = frame.f_back
        return original(self)

    monkeypatch.setattr(type(manager), "_load_user", load)
    refused = client.post("/sms/inbound", data={})  # refused (no signature), after the before-request hooks
    assert refused.status_code in (400, 403)
    assert client.get("/").status_code == 200
    assert by_the_check == []
    client.set_cookie("something", "1")  # a cookie: the check asks Flask-Login, as before
    client.get("/")
    assert by_the_check == [1]


def test_a_stale_staff_session_still_ends_on_any_page(signed_in):
    with signed_in.session_transaction() as staff_session:
        staff_session["last_seen"] -= 31 * 60
    expired = signed_in.get("/")  # not a staff page: the check is still the app's
    assert expired.status_code == 302 and "expired=1" in expired.location
    assert signed_in.get("/staff/").status_code == 302


def test_with_a_request_loader_the_user_is_still_asked_for(app, client, monkeypatch):
    from feedback.extensions import login_manager

    asked = []
    monkeypatch.setattr(login_manager, "_request_callback", lambda request: asked.append(1))
    client.get("/")
    assert asked  # the cookie-less shortcut does not apply: Flask-Login's loader was consulted


# -- Flask-Limiter ------------------------------------------------------------------------------------

def _limited_app(headers=True) -> tuple[Flask, Limiter]:
    app = Flask(__name__)
    app.config["RATELIMIT_HEADERS_ENABLED"] = headers
    own = Limiter(key_func=lambda: "one client", default_limits=[], storage_uri="memory://")
    own.init_app(app)

    @app.get("/limited")
    @own.limit("2 per minute")
    def limited():
        return "limited"

    @app.get("/free")
    def free():
        return "free"

    return app, own


def test_the_limiters_header_hook_is_replaced_and_limits_still_refuse_with_their_headers():
    app, own = _limited_app()
    hooks = app.after_request_funcs[None]
    assert own._inject_headers in hooks
    assert not any(isinstance(hook, functools.partial) for hook in hooks)
    client = app.test_client()
    first = client.get("/limited")
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    client.get("/limited")
    refused = client.get("/limited")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    free = client.get("/free")
    assert free.status_code == 200 and "X-RateLimit-Limit" not in free.headers


def test_a_limit_checked_in_one_request_leaves_nothing_for_the_next():
    app, own = _limited_app()
    client = app.test_client()
    client.get("/limited")
    with app.test_request_context("/free"):
        assert not own._limiter_context_made()
        app.preprocess_request()
        assert not own._limiter_context_made()  # nothing limits /free: nothing made
    with app.test_request_context("/limited"):
        response = app.full_dispatch_request()
        assert own._limiter_context_made() and "X-RateLimit-Limit" in response.headers
    free = client.get("/free")
    assert "X-RateLimit-Limit" not in free.headers


def test_the_apps_limiter_still_refuses_a_survey_link_begun_too_often(app, client):
    assert limiter._inject_headers in app.after_request_funcs[None]
    assert limiter.limit_manager  # the app's limits are unchanged; tests/survey/test_anonymous.py counts them


# -- Flask's async check ------------------------------------------------------------------------------

async def _coroutine_function():
    return 1


def _plain_function():
    return 1


class _Hooks:
    def method(self):
        return 1

    async def async_method(self):
        return 1

    def __call__(self):
        return 1


def _marked():
    return 1


if hasattr(inspect, "markcoroutinefunction"):  # Python 3.12+
    inspect.markcoroutinefunction(_marked)


@pytest.mark.parametrize("func", [
    _plain_function, _coroutine_function, _Hooks().method, _Hooks().async_method, _Hooks(),
    functools.partial(_plain_function), functools.partial(_coroutine_function), _marked, len,
    lambda: 1, asyncio.sleep,
])
def test_ensure_sync_decides_as_flask_does(func, monkeypatch):
    app = FeedbackFlask(__name__)
    monkeypatch.setattr(FeedbackFlask, "async_to_sync", lambda self, f: ("wrapped", f))
    expected = ("wrapped", func) if inspect.iscoroutinefunction(func) else func
    assert app.ensure_sync(func) == expected
    assert Flask.ensure_sync(app, func) == expected


# -- bdi ----------------------------------------------------------------------------------------------

def _old_bdi(value, direction=None):
    """``bidi.bdi`` as it was before it asked for the locale once."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = bidi.count_words(value)
    locale = bidi.get_locale()
    if not (bool(locale) and locale.text_direction == "rtl"):
        return Markup("{}").format(value)
    attribute = Markup(' dir="{}"').format(direction) if direction in ("ltr", "rtl") else ""
    return Markup("<bdi{}>{}</bdi>").format(attribute, value)


VALUES = [0, 7, 1234, 2.5, 3.0, Decimal("1234.50"), True, "01234 567890", "<b>&\"'</b>", Markup("<i>kept</i>"),
          None, "", "نام"]


@pytest.mark.parametrize("language", ["en", "cy", "pl", "ur", "ar", "ro"])
def test_bdi_writes_what_it_wrote_before(app, language):
    with app.test_request_context(), force_locale(language):
        for value in VALUES:
            for direction in (None, "ltr", "rtl", "sideways"):
                drawn = bidi.bdi(value, direction)
                assert drawn == _old_bdi(value, direction) and isinstance(drawn, Markup), (value, direction)


def test_each_locale_keeps_its_own_facts_in_one_process(app):
    for _round in range(2):
        for language, identifier, rtl in (("ur", "ur", True), ("en", "en", False), ("ar", "ar", True),
                                          ("pl", "pl", False), ("cy", "cy", False)):
            with app.test_request_context(), force_locale(language):
                assert bidi.right_to_left() is rtl
                assert bidi._locale_facts(bidi.get_locale()) == (identifier, rtl)
                assert bidi.bdi(1234) == (Markup("<bdi>{}</bdi>") if rtl else Markup("{}")).format(
                    bidi.count_words(1234))


class _FakeLocale:
    def __init__(self, number):
        self.language, self.territory, self.script, self.variant, self.modifier = "en", None, None, f"X{number}", None
        self.text_direction = "ltr"

    def __str__(self):
        return f"en_{self.variant}"


def test_the_locale_facts_are_bounded(app, monkeypatch):
    from babel import Locale

    monkeypatch.setattr(bidi, "_LOCALE_FACTS", {})
    for number in range(300):
        assert bidi._locale_facts(_FakeLocale(number)) == (f"en_X{number}", False)
    assert len(bidi._LOCALE_FACTS) <= 256
    assert bidi._locale_facts(Locale.parse("ur")) == ("ur", True)


def test_a_whole_survey_still_answers(app, client, make_link):
    _, token = make_link()
    walk(client, token)
    done = client.get(f"/s/{token}/check")
    assert done.status_code == 200
