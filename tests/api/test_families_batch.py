"""POST /api/v1/families:batch, and a family's waves planned once: as three single PUTs, and as the
family pages plan them step by step."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.service import add_member, create_family, record_consent, update_family
from tests.api.conftest import bearer, family_body
from tests.api.test_families import invitations_of, snapshot

TODAY = date.today()
SOON = (TODAY + timedelta(days=20)).isoformat()
TEEN = f"{TODAY.year - 13}-05"


def batch(*families) -> dict:
    return {"families": [{"case_ref": case_ref, **body} for case_ref, body in families]}


def three_families(prefix="B") -> dict:
    return batch(*((f"{prefix}-{n}", family_body(exit_date=SOON)) for n in range(3)))


def invitations_by_ref(app, case_ref) -> list:
    return sorted(invitations_of(app, case_ref), key=repr)


def test_one_bad_family_refuses_the_whole_batch_and_every_problem_is_named(app, token):
    body = three_families()
    body["families"][1]["members"][0]["phone"] = "12345"
    body["families"][1]["exit_date"] = "2025-12-01"
    body["families"][2]["key_worker"] = "nobody@example.org"
    answer = app.test_client().post("/api/v1/families:batch", json=body, headers=bearer(token))
    assert answer.status_code == 422, answer.json
    assert {(error.get("pointer"), error.get("case_ref")) for error in answer.json["errors"]} == {
        ("/families/1/members/0/phone", "B-1"), ("/families/1/exit_date", "B-1"), ("/families/2/key_worker", "B-2")}
    # A value the schema refuses (a role) is refused before any family is checked, named by its pointer.
    marshalled = app.test_client().post("/api/v1/families:batch", json={"families": [
        {"case_ref": "X", **family_body(members=[{"member_ref": "M1", "role": "aunt"}])}]}, headers=bearer(token))
    assert marshalled.status_code == 422
    assert [e["pointer"] for e in marshalled.json["errors"]] == ["/families/0/members/0/role"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Family)) == 0
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action != "api_client.created"))
        assert actions.all() == ["api.called", "api.called"]  # the two refused calls, and nothing else


def test_fields_the_schema_refuses_in_a_batch_are_named_by_their_family_too(app, token):
    body = three_families("S")
    body["families"][0]["members"][0]["role"] = "aunt"        # refused by the schema
    body["families"][2]["exit_date"] = "not a date"            # refused by the schema
    body["families"][1]["case_ref"] = ""                       # an invalid reference is not echoed
    body["families"][1]["members"][0]["role"] = "uncle"
    answer = app.test_client().post("/api/v1/families:batch", json=body, headers=bearer(token))
    assert answer.status_code == 422, answer.json
    named = {(error["pointer"], error.get("case_ref")) for error in answer.json["errors"]}
    assert ("/families/0/members/0/role", "S-0") in named
    assert ("/families/2/exit_date", "S-2") in named
    assert ("/families/1/members/0/role", None) in named and ("/families/1/case_ref", None) in named
    # Each case_ref given is the one at the pointer's position in the body sent.
    for pointer, case_ref in named:
        if case_ref is not None:
            assert body["families"][int(pointer.split("/")[2])]["case_ref"] == case_ref
    # A single PUT names its field by pointer only: the case reference is in the address.
    single = family_body(members=[{"member_ref": "M1", "role": "aunt"}])
    put = app.test_client().put("/api/v1/families/P-1", json=single, headers=bearer(token))
    assert put.status_code == 422 and all("case_ref" not in error for error in put.json["errors"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Family)) == 0


def test_a_case_ref_twice_in_a_batch_is_refused_naming_both_places(app, token):
    body = batch(("D-1", family_body(exit_date=SOON)), ("D-1", family_body(exit_date=SOON)))
    answer = app.test_client().post("/api/v1/families:batch", json=body, headers=bearer(token))
    assert answer.status_code == 422
    assert answer.json["errors"][0]["pointer"] == "/families/1/case_ref"
    assert "/families/0" in answer.json["errors"][0]["detail"]


def test_the_same_batch_twice_changes_nothing_the_second_time(app, token):
    api = app.test_client()
    first = api.post("/api/v1/families:batch", json=three_families(), headers=bearer(token))
    assert first.status_code == 200
    assert [item["result"] for item in first.json["families"]] == ["created"] * 3
    assert all(item["waiting_invitations"] > 0 for item in first.json["families"])
    before = snapshot(app)
    again = api.post("/api/v1/families:batch", json=three_families(), headers=bearer(token))
    assert [item["result"] for item in again.json["families"]] == ["unchanged"] * 3
    assert snapshot(app) == before


def test_a_batch_stores_and_audits_what_three_single_puts_do(app, token):
    api = app.test_client()
    by_batch = api.post("/api/v1/families:batch", json=three_families("B"), headers=bearer(token))
    singles = [api.put(f"/api/v1/families/P-{n}", json=family_body(exit_date=SOON), headers=bearer(token))
               for n in range(3)]
    assert [answer.status_code for answer in singles] == [201] * 3
    for n, item in enumerate(by_batch.json["families"]):
        single = singles[n].json
        assert {**item, "case_ref": None} == {**single, "case_ref": None}
        assert invitations_by_ref(app, f"B-{n}") == invitations_by_ref(app, f"P-{n}")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "api.called")
                                    .order_by(AuditEvent.id)).all()
        per_family = [e.detail for e in events if "family_id" in e.detail]
        assert len(per_family) == 6  # once a family, batched or not
        ignored = {"family_id", "batch_position", "method", "endpoint"}
        assert [{k: v for k, v in d.items() if k not in ignored} for d in per_family[:3]] == \
            [{k: v for k, v in d.items() if k not in ignored} for d in per_family[3:]]
        assert events[3].detail["families"] == 3 and events[3].detail["created"] == 3


def three_members(exit_date: str, teen_parent_consent: bool = True) -> dict:
    teen_consents = [{"purpose": "participation", "given": True, "on": "2026-01-05"}]
    if teen_parent_consent:
        teen_consents.append({"purpose": "participation", "party": "parent", "given": True, "on": "2026-01-05"})
    return family_body(exit_date=exit_date, key_worker="kw_north@example.org", members=[
        {"member_ref": "M1", "role": "mother", "birth_year_month": "1990-04", "phone": "07911 123456",
         "consents": [{"purpose": "participation", "given": True, "on": "2026-01-05"},
                      {"purpose": "sms", "given": True, "on": "2026-01-05"}]},
        {"member_ref": "F1", "role": "father", "birth_year_month": "1988-02", "email": "dad@example.org",
         "consents": [{"purpose": "participation", "given": True, "on": "2026-01-05"}]},
        {"member_ref": "Y1", "role": "young_person", "birth_year_month": TEEN, "phone": "07911 123457",
         "consents": teen_consents}])


def test_a_family_of_three_is_planned_as_the_family_pages_plan_it_step_by_step(app, world, token):
    """Planned once after all its members and decisions (API), or after each of them (the services
    the family pages call, one change at a time): the same invitations, when created and when changed."""
    api = app.test_client()
    assert api.put("/api/v1/families/ONCE", json=three_members(SOON, teen_parent_consent=False),
                   headers=bearer(token)).status_code == 201
    by_batch = api.post("/api/v1/families:batch", json=batch(("BATCH", three_members(SOON, False))),
                        headers=bearer(token))
    assert by_batch.status_code == 200
    with app.app_context():
        family = create_family(world["north"], "STEPS", world["kw_north"], date(2026, 1, 2), date(2026, 1, 5),
                               date.fromisoformat(SOON))
        mum = add_member(family, "mother", None, 1990, 4, "en", "sms_link", "07911 123456", member_ref="M1")
        record_consent(mum, "participation", "self", True, "v1", None)
        record_consent(mum, "sms", "self", True, "v1", None)
        dad = add_member(family, "father", None, 1988, 2, "en", "email_link", None, member_ref="F1",
                         email="dad@example.org")
        record_consent(dad, "participation", "self", True, "v1", None)
        teen = add_member(family, "young_person", None, TODAY.year - 13, 5, "en", "sms_link", "07911 123457",
                          member_ref="Y1")
        record_consent(teen, "participation", "self", True, "v1", None)
        db.session.commit()
    once, steps = invitations_by_ref(app, "ONCE"), invitations_by_ref(app, "STEPS")
    assert once == steps == invitations_by_ref(app, "BATCH")
    assert {member for member, *_ in once} >= {"M1", "F1"} and {row[7] for row in once} == {"planned"}
    assert not any(member == "Y1" for member, *_ in once)  # no parent's consent yet

    # Later: the exit date moves and the teenager's parent consents, in one upsert or step by step.
    later = (TODAY + timedelta(days=45)).isoformat()
    assert api.put("/api/v1/families/ONCE", json=three_members(later), headers=bearer(token)).json["result"] == \
        "updated"
    with app.app_context():
        family = db.session.scalar(sa.select(Family).filter_by(case_ref="STEPS"))
        update_family(family, family.version, None, exit_date=date.fromisoformat(later))
        record_consent(family.members[2], "participation", "parent", True, "v1", None)
        db.session.commit()
    once, steps = invitations_by_ref(app, "ONCE"), invitations_by_ref(app, "STEPS")
    assert once == steps
    assert any(member == "Y1" and row[7] == "planned" for member, *row in [(r[0], *r) for r in once])


def test_the_batch_is_in_the_published_schema_with_its_limit(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    post = document["paths"]["/api/v1/families:batch"]["post"]
    assert post["security"] == [{"bearerAuth": ["families:write"]}] and "422" in post["responses"]
    families = document["components"]["schemas"]["FamilyBatchIn"]["properties"]["families"]
    assert (families["minItems"], families["maxItems"]) == (1, 500)
    assert "case_ref" in document["components"]["schemas"]["FamilyBatchItem"]["required"]
