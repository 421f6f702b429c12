"""API clients' tokens: made by an admin and shown once, kept hashed, refused once revoked or expired."""
from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from feedback.api.clients import ApiClient
from feedback.audit.models import AuditEvent
from feedback.extensions import db
from tests.api.conftest import bearer, family_body
from tests.conftest import csrf_token
from tests.staff.scene import client_as


def test_an_admin_makes_a_client_whose_token_is_shown_once_and_kept_hashed(app, world):
    admin = client_as(app, "admin")
    page = admin.get("/staff/api-clients/new").get_data(as_text=True)
    made = admin.post("/staff/api-clients/new", data={"csrf_token": csrf_token(page), "name": "North case system",
                                                      "scopes": ["families:read"], "site_ids": [str(world["north"])]})
    assert made.status_code == 200
    token = re.search(r'class="api-token">(fbk_[^<]+)<', made.get_data(as_text=True))[1]
    assert token not in admin.get("/staff/api-clients").get_data(as_text=True)
    with app.app_context():
        client = db.session.scalar(sa.select(ApiClient))
        assert client.token_digest == hashlib.sha256(token.encode()).hexdigest()
        assert all(token not in str(value) for value in vars(client).values())
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.subject_type == "api_clients")) \
            == "api_client.created"
    assert app.test_client().get("/api/v1/families/nobody", headers=bearer(token)).status_code == 404


def test_the_client_pages_need_an_admin_and_a_csrf_token(app, world):
    assert client_as(app, "practitioner_north").get("/staff/api-clients").status_code == 403
    admin = client_as(app, "admin")
    refused = admin.post("/staff/api-clients/new", data={"name": "x", "scopes": ["families:read"],
                                                         "site_ids": [str(world["north"])]})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 0


def test_a_revoked_token_is_refused_with_401(app, world, token):
    api = app.test_client()
    assert api.get("/api/v1/invitations", headers=bearer(token)).status_code == 200
    admin = client_as(app, "admin")
    with app.app_context():
        client_id = db.session.scalar(sa.select(ApiClient.id))
    page = admin.get("/staff/api-clients").get_data(as_text=True)
    assert admin.post(f"/staff/api-clients/{client_id}/revoke", data={"csrf_token": csrf_token(page)}).status_code == 302
    refused = api.get("/api/v1/invitations", headers=bearer(token))
    assert refused.status_code == 401 and refused.content_type == "application/problem+json"
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="feedback", error="invalid_token"'


def test_no_token_a_wrong_one_or_an_expired_one_is_refused_with_401(app, make_token):
    api = app.test_client()
    expired = make_token(expired=True)
    for headers in ({}, bearer("fbk_not-a-token"), bearer(expired), {"Authorization": f"Basic {expired}"}):
        refused = api.get("/api/v1/invitations", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert refused.json["status"] == 401


def test_a_missing_scope_is_403_and_another_sites_family_is_404(app, make_token):
    writer = make_token(scopes=("families:write", "families:read"), sites=("south",))
    api = app.test_client()
    assert api.put("/api/v1/families/S-1", json=family_body(site="south"), headers=bearer(writer)).status_code == 201
    assert api.get("/api/v1/invitations", headers=bearer(writer)).status_code == 403
    reader = make_token(scopes=("families:read",), sites=("north",))
    for url in ("/api/v1/families/S-1", "/api/v1/families/S-1?site=south", "/api/v1/families/S-1?site=north"):
        missing = api.get(url, headers=bearer(reader))
        assert missing.status_code == 404 and missing.json["title"] == "Not Found", url
    assert api.get("/api/v1/families/S-1?include=contact", headers=bearer(writer)).status_code == 200


def test_each_client_has_its_own_rate_limit_answered_with_retry_after(app, make_token):
    api = app.test_client()
    limited, other = make_token(rate_limit="2 per minute"), make_token()
    answers = [api.get("/api/v1/invitations", headers=bearer(limited)).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    refused = api.get("/api/v1/invitations", headers=bearer(limited))
    assert refused.content_type == "application/problem+json" and int(refused.headers["Retry-After"]) > 0
    assert api.get("/api/v1/invitations", headers=bearer(other)).status_code == 200


def test_every_call_is_audited_with_its_client_and_a_staff_cookie_never_acts_for_it(app, world, token):
    admin = client_as(app, "admin")  # a browser with a staff session calling the API
    assert admin.put("/api/v1/families/C-1", json=family_body(), headers=bearer(token)).status_code == 201
    assert admin.get("/api/v1/families/C-1", headers=bearer(token)).status_code == 200
    with app.app_context():
        client_id = db.session.scalar(sa.select(ApiClient.id))
        calls = db.session.scalars(sa.select(AuditEvent).filter_by(action="api.called").order_by(AuditEvent.id)).all()
        assert [(c.detail["method"], c.detail["status"], c.detail["api_client"]) for c in calls] == \
            [("PUT", 201, client_id), ("GET", 200, client_id)]
        assert all(event.actor_id is None for event in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action != "api_client.created")))
        viewed = db.session.scalar(sa.select(AuditEvent).filter_by(action="family.viewed"))
        assert viewed.detail == {"api_client": client_id}


def test_the_command_line_creates_lists_and_revokes_clients(app, world):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["api-clients", "create", "Case system", "--scope", "invitations:read", "--site",
                               "north", "--days", "30", "--by", "admin@example.org"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert app.test_client().get("/api/v1/invitations", headers=bearer(token)).status_code == 200
    listed = runner.invoke(args=["api-clients", "list"])
    assert "Case system\tactive\tinvitations:read\tnorth" in listed.output and token not in listed.output
    client_id = listed.output.split("\t")[0]
    assert runner.invoke(args=["api-clients", "revoke", client_id, "--by", "admin@example.org"]).exit_code == 0
    assert app.test_client().get("/api/v1/invitations", headers=bearer(token)).status_code == 401
    assert runner.invoke(args=["api-clients", "create", "x", "--scope", "families:read", "--site", "east"]).exit_code == 1
