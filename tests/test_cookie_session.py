"""The session: no signer built for a request without a cookie; a cookie read as Flask reads it."""
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from feedback import create_app
from feedback.cookie_session import CookieSessionInterface


def _app(secret_key="a secret") -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key
    app.session_interface = CookieSessionInterface()

    @app.get("/set")
    def set_():
        session["seen"] = "yes"
        return "set"

    @app.get("/read")
    def read():
        return session.get("seen", "nothing")

    return app


def test_a_request_without_a_cookie_builds_no_signer(monkeypatch):
    built = []
    original = SecureCookieSessionInterface.get_signing_serializer
    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer",
                        lambda self, app: built.append(1) or original(self, app))
    client = _app().test_client()
    assert client.get("/read").text == "nothing"
    assert built == []  # the old interface built one here, before looking for the cookie
    assert client.get("/set").text == "set"
    assert built == [1]  # to write the cookie
    assert client.get("/read").text == "yes"  # the cookie is read back through the signer
    assert built == [1, 1]


def test_a_tampered_or_foreign_cookie_is_an_empty_session():
    app = _app()
    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value
    client.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/read").text == "nothing"
    other = _app("another secret").test_client()
    other.set_cookie("session", cookie)
    assert other.get("/read").text == "nothing"


def test_without_a_secret_key_flask_refuses_to_keep_a_session_as_before():
    app = _app(secret_key=None)
    client = app.test_client()
    assert client.get("/read").text == "nothing"  # a null session reads as empty
    response = client.get("/set")
    assert response.status_code == 500  # Flask's NullSession refuses the write


def test_the_app_uses_it(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    assert isinstance(app.session_interface, CookieSessionInterface)
