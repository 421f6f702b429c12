"""PUT and GET /api/v1/families/{case_ref}: the family import's checks and services, over HTTP."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import Consent, Family, Member
from feedback.waves.models import Invitation, InvitationEvent
from tests.api.conftest import bearer, family_body
from tests.conftest import csrf_token
from tests.staff.scene import client_as

SOON = (date.today() + timedelta(days=20)).isoformat()


def snapshot(app) -> dict:
    """Every row the upsert could touch, and the audit log without the per-call entries."""
    with app.app_context():
        rows = {}
        for model in (Family, Member, Consent, Invitation, InvitationEvent):
            table = model.__table__
            rows[table.name] = [tuple(row) for row in db.session.execute(sa.select(table).order_by(table.c.id))]
        rows["audit"] = [(e.action, e.subject_type, e.subject_id, e.detail) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action != "api.called").order_by(AuditEvent.id))]
        return rows


def invitations_of(app, case_ref: str) -> set:
    with app.app_context():
        return set(db.session.execute(
            sa.select(Member.member_ref, Invitation.recipient_key == "key_worker", Invitation.schedule_id,
                      Invitation.wave, Invitation.instrument_id, Invitation.channel, Invitation.due_on,
                      Invitation.state, Invitation.reason, Invitation.opens_at, Invitation.closes_at)
            .join(Family, Family.id == Invitation.family_id).outerjoin(Member, Member.id == Invitation.member_id)
            .where(Family.case_ref == case_ref)).all())


def test_sending_the_same_family_twice_changes_nothing_the_second_time(app, token):
    api = app.test_client()
    first = api.put("/api/v1/families/C-1", json=family_body(exit_date=SOON), headers=bearer(token))
    assert first.status_code == 201 and first.json["result"] == "created"
    assert first.json["waiting_invitations"] > 0
    before = snapshot(app)
    again = api.put("/api/v1/families/C-1", json=family_body(exit_date=SOON), headers=bearer(token))
    assert again.status_code == 200 and again.json["result"] == "unchanged"
    assert snapshot(app) == before


def test_changing_the_exit_date_replans_waves_exactly_as_the_staff_page_does(app, world, token):
    api = app.test_client()
    for case_ref in ("BY-API", "BY-PAGE"):
        assert api.put(f"/api/v1/families/{case_ref}", json=family_body(exit_date=SOON),
                       headers=bearer(token)).status_code == 201
    later = date.today() + timedelta(days=40)
    changed = api.put("/api/v1/families/BY-API", json=family_body(exit_date=later.isoformat()), headers=bearer(token))
    assert changed.json["result"] == "updated"
    with app.app_context():
        family = db.session.scalar(sa.select(Family).filter_by(case_ref="BY-PAGE"))
        family_id, version = family.id, family.version
    practitioner = client_as(app, "practitioner_north")
    url = f"/staff/families/{family_id}/edit"
    page = practitioner.get(url).get_data(as_text=True)
    typed = {f"{name}-{part}": str(getattr(day, attr)) for name, day in (
        ("referral_date", date(2026, 1, 2)), ("entry_date", date(2026, 1, 5)), ("exit_date", later))
        for part, attr in (("day", "day"), ("month", "month"), ("year", "year"))}
    saved = practitioner.post(url, data={"csrf_token": csrf_token(page), "key_worker_id": "0", "status": "open",
                                         "version": version, **typed})
    assert saved.status_code == 302
    by_api, by_page = invitations_of(app, "BY-API"), invitations_of(app, "BY-PAGE")
    assert by_api and by_api == by_page
    assert {row.state for row in by_api} >= {"planned"}


def test_a_body_with_several_bad_fields_is_refused_whole_naming_each(app, token):
    body = family_body(exit_date="2025-12-01", key_worker="nobody@example.org")
    body["members"][0]["phone"] = "12345"
    body["members"][1]["role"] = "aunt"
    body["members"][0]["consents"][0]["on"] = (date.today() + timedelta(days=3)).isoformat()
    refused = app.test_client().put("/api/v1/families/C-1", json=body, headers=bearer(token))
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert refused.json["type"].endswith("#problem-invalid-fields")
    assert {error["pointer"] for error in refused.json["errors"]} == {"/members/1/role"}  # shape first
    body["members"][1]["role"] = "child"
    refused = app.test_client().put("/api/v1/families/C-1", json=body, headers=bearer(token))
    pointers = {error["pointer"] for error in refused.json["errors"]}
    assert pointers == {"/exit_date", "/key_worker", "/members/0/phone", "/members/0/consents/0/on"}
    assert all(error["detail"] for error in refused.json["errors"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Family)) == 0


def test_a_malformed_body_names_each_field_too(app, token):
    body = {"site": 5, "entry_date": "5th May", "members": [{"role": "mother"}]}
    refused = app.test_client().put("/api/v1/families/C-1", json=body, headers=bearer(token))
    assert refused.status_code == 422
    assert {error["pointer"] for error in refused.json["errors"]} == {"/site", "/entry_date", "/members/0/member_ref"}


def test_an_idempotency_key_replays_the_first_answer(app, token):
    api = app.test_client()
    headers = {**bearer(token), "Idempotency-Key": "abc-1"}
    first = api.put("/api/v1/families/C-1", json=family_body(), headers=headers)
    replay = api.put("/api/v1/families/C-1", json=family_body(), headers=headers)
    assert first.status_code == replay.status_code == 201 and replay.json == first.json
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = api.put("/api/v1/families/C-1", json=family_body(exit_date=SOON), headers=headers)
    assert other.status_code == 422 and other.json["type"].endswith("#problem-idempotency-key-reused")


def test_contact_details_are_read_only_on_request_and_audited_as_a_view(app, token):
    api = app.test_client()
    api.put("/api/v1/families/C-1", json=family_body(), headers=bearer(token))
    plain = api.get("/api/v1/families/C-1", headers=bearer(token)).json
    assert plain["members"][0]["has_phone"] and "phone" not in plain["members"][0] and "name" not in plain["members"][0]
    with_contact = api.get("/api/v1/families/C-1?include=contact", headers=bearer(token)).json
    assert with_contact["members"][0]["phone"] == "+447911123456" and with_contact["members"][0]["name"] == "Ann"
    with app.app_context():
        viewed = db.session.scalars(sa.select(AuditEvent).filter_by(action="member.viewed")).all()
        assert len(viewed) == 1 and viewed[0].detail["shown"] == "contact"


def test_errors_under_the_api_are_problems_and_staff_pages_keep_theirs(app, token):
    api = app.test_client()
    wrong_method = api.delete("/api/v1/families/C-1", headers=bearer(token))
    assert wrong_method.status_code == 405 and wrong_method.content_type == "application/problem+json"
    assert "PUT" in wrong_method.headers["Allow"]
    not_json = api.put("/api/v1/families/C-1", data="x", content_type="text/plain", headers=bearer(token))
    assert not_json.status_code in (415, 422) and not_json.content_type == "application/problem+json"
    assert api.get("/staff/nowhere").content_type.startswith("text/html")
