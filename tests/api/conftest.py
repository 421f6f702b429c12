"""Fixtures for the API: clients made through the same service as the admin page, and their tokens."""
from __future__ import annotations

from datetime import timedelta

import pytest

from feedback.api.clients import SCOPES, ApiClient, create_client
from feedback.extensions import db
from feedback.timeutil import utcnow


@pytest.fixture
def make_token(app, world):
    """make_token(scopes=SCOPES, sites=("north",), expired=False) → a bearer token."""
    def make(scopes=SCOPES, sites=("north",), expired=False, rate_limit=None) -> str:
        with app.app_context():
            made = create_client("Case system", scopes, [world[site] for site in sites], world["admin"],
                                 rate_limit=rate_limit)
            if expired:
                made.client.expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            return made.token
    return make


@pytest.fixture
def token(make_token) -> str:
    return make_token()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def family_body(site="north", exit_date=None, **changes) -> dict:
    body = {"site": site, "referral_date": "2026-01-02", "entry_date": "2026-01-05", "exit_date": exit_date,
            "members": [
                {"member_ref": "M1", "role": "mother", "name": "Ann", "birth_year_month": "1990-04",
                 "phone": "07911 123456", "language": "en",
                 "consents": [{"purpose": "participation", "given": True, "on": "2026-01-05"},
                              {"purpose": "sms", "given": True, "on": "2026-01-05"}]},
                {"member_ref": "C1", "role": "child", "birth_year_month": "2019-06",
                 "consents": [{"purpose": "participation", "party": "parent", "given": True, "on": "2026-01-05"}]},
            ]}
    body.update(changes)
    return body
