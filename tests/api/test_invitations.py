"""GET /api/v1/invitations: paged by an opaque cursor in (updated_at, id) order, then only what changed."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback.extensions import db
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation
from tests.api.conftest import bearer, family_body

SOON = (date.today() + timedelta(days=20)).isoformat()


def read_all(api, token, cursor=None, **filters):
    items, pages = [], 0
    while True:
        query = {"limit": 2, **filters, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/invitations", query_string=query, headers=bearer(token)).json
        items += page["items"]
        cursor, pages = page["next_cursor"], pages + 1
        if not page["has_more"]:
            return items, cursor, pages


def test_pages_read_every_invitation_once_then_only_what_changed(app, make_token):
    token = make_token(sites=("north", "south"))
    api = app.test_client()
    for case_ref in ("C-1", "C-2"):
        api.put(f"/api/v1/families/{case_ref}", json=family_body(exit_date=SOON), headers=bearer(token))
    api.put("/api/v1/families/S-1", json=family_body(site="south", exit_date=SOON), headers=bearer(token))
    items, cursor, pages = read_all(api, token)
    with app.app_context():
        assert sorted(item["id"] for item in items) == sorted(db.session.scalars(sa.select(Invitation.id)))
        assert pages > 1
        changed = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).first()
        changed.state, changed.updated_at = "cancelled", utcnow() + timedelta(seconds=1)
        db.session.commit()
        changed_id = changed.id
    later, _, _ = read_all(api, token, cursor)
    assert [item["id"] for item in later] == [changed_id] and later[0]["state"] == "cancelled"
    south, _, _ = read_all(api, token, site="south")
    assert south and {item["site"] for item in south} == {"south"} and {i["case_ref"] for i in south} == {"S-1"}
    wave = items[0]["wave"]
    assert {item["wave"] for item in read_all(api, token, wave=wave)[0]} == {wave}


def test_another_sites_invitation_is_not_found_and_a_bad_cursor_is_named(app, make_token):
    south = make_token(sites=("south",))
    north = make_token(sites=("north",))
    api = app.test_client()
    api.put("/api/v1/families/S-1", json=family_body(site="south", exit_date=SOON), headers=bearer(south))
    invitation_id = api.get("/api/v1/invitations", headers=bearer(south)).json["items"][0]["id"]
    assert api.get(f"/api/v1/invitations/{invitation_id}", headers=bearer(south)).status_code == 200
    assert api.get(f"/api/v1/invitations/{invitation_id}", headers=bearer(north)).status_code == 404
    assert api.get("/api/v1/invitations", headers=bearer(north)).json["items"] == []
    refused = api.get("/api/v1/invitations?cursor=nonsense!", headers=bearer(north))
    assert refused.status_code == 422 and refused.json["errors"] == [
        {"parameter": "cursor", "detail": "Give a next_cursor from an earlier page."}]
