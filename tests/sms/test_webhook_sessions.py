"""Twilio's webhooks carry no cookie: no staff-session fingerprint is worked out for them (issue 24),
while a session that has something in it is still protected exactly as Flask-Login protects it."""
from __future__ import annotations

import pytest

from feedback.extensions import login_manager


@pytest.fixture
def fingerprints(monkeypatch) -> list[None]:
    made: list[None] = []
    real = login_manager._session_identifier_generator

    def counted():
        made.append(None)
        return real()

    monkeypatch.setattr(login_manager, "_session_identifier_generator", counted)
    return made


def test_a_webhook_is_answered_without_a_session_fingerprint(webhooks, north, fingerprints):
    assert webhooks.text("+447911123456", "hello").status_code == 200
    assert fingerprints == []


def test_a_session_taken_to_another_browser_is_still_no_longer_fresh(twilio_app, fingerprints):
    client = twilio_app.test_client()
    with client.session_transaction() as session:
        session["_id"], session["_fresh"] = "the fingerprint of another browser", True
    client.get("/")
    with client.session_transaction() as session:
        assert session["_fresh"] is False
    assert len(fingerprints) == 1
