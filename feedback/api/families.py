"""/api/v1/families/{case_ref}: upsert a family from the case-management system, and read it.

PUT goes through the family import's own checks and storing (``families.case_file`` and
``families.importing``), which go through the family pages' services: a family sent here is
planned exactly as if staff had typed it in, and sending the same body again changes nothing.
The body becomes the rows of a one-family case file (one row per member), so each refusal names
its field by a JSON pointer instead of a row and column.

Contact details: GET leaves out names, phones and emails (``has_phone``/``has_email`` say whether
there are any). ``?include=contact`` adds them for a client with the families:write scope (it
sends them in the first place) and is audited as staff's "show the number" is: one
``member.viewed`` per member shown, besides the ``family.viewed`` every GET records.
"""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Response, g, json, request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import record
from ..extensions import db
from ..families.case_file import CONSENT_COLUMNS, COLUMNS, FAMILY_COLUMNS, MEMBER_COLUMNS, check_case_file
from ..families.consent import latest
from ..families.importing import (CHANGED_MEANWHILE, Counts, _store_consents, _store_family, _store_member,
                                  lookups)
from ..families.models import CONSENT_PARTIES, CONSENT_PURPOSES, Family
from ..families.service import FamilyError
from ..staff.models import Site
from ..timeutil import utcnow
from ..waves.models import WAITING, Invitation
from .auth import current_client, protect, requires, security
from .clients import IdempotentResponse
from .problems import IDEMPOTENCY_KEY_REUSED, INVALID_FIELDS, ApiProblem
from .schemas import FamilyInSchema, FamilyOutSchema, FamilyQuerySchema, FamilyUpsertedSchema

blp = protect(Blueprint("api_families", __name__, url_prefix="/api/v1/families",
                        description="Families and their members, by the service's case reference."))
IDEMPOTENCY_HOURS = 24


@blp.put("/<case_ref>")
@blp.arguments(FamilyInSchema)
@blp.response(200, FamilyUpsertedSchema, description="The family was updated, or was already as sent.")
@blp.alt_response(201, schema=FamilyUpsertedSchema, description="The family was created.")
@blp.doc(summary="Create or update a family", **security("families:write"),
         parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                      "schema": {"type": "string", "maxLength": 200},
                      "description": "Repeating a request with the same key replays the first response."}])
@requires("families:write")
def put_family(body, case_ref):
    """Fields left out keep what is on record; members left out are kept; a consent decision is
    added when it differs from the one in force and is not older. Refused whole (422) when any
    field is wrong, each named by a pointer."""
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        replay = _replay(key)
        if replay is not None:
            return replay
    status, payload = upsert(case_ref, body)
    response = Response(json.dumps(FamilyUpsertedSchema().dump(payload)), status=status, mimetype="application/json")
    if key is not None:
        _remember(key, response)
    return response


def upsert(case_ref: str, body: dict) -> tuple[int, dict]:
    client = current_client()
    today = utcnow().date()
    rows, pointers = case_file_rows(case_ref, body)
    checked = check_case_file(list(COLUMNS), rows, lookups(client.site_ids, today))
    if not checked.ok:
        errors, seen = [], set()
        for problem in checked.problems:
            entry = pointers.get((problem.row, problem.column)) or {"pointer": f"/members/{problem.row}"
                                                                    if problem.row is not None else ""}
            entry = {**entry, "detail": str(problem.message)}
            if tuple(sorted(entry.items())) not in seen:
                seen.add(tuple(sorted(entry.items())))
                errors.append(entry)
        raise ApiProblem(422, "Nothing was saved. Correct each field listed in errors and send the family again.",
                         type_=INVALID_FIELDS, title="Some fields are not valid", errors=errors)
    family_record = checked.families[0]
    counts = Counts()
    try:
        family = _store_family(family_record, counts, None, False, today)
        for member_record in family_record.members:
            member = _store_member(family, member_record, counts, None)
            _store_consents(member, member_record, counts, None)
        db.session.flush()
    except FamilyError as refusal:
        raise ApiProblem(422, str(refusal), type_=INVALID_FIELDS, title="The family was refused") from None
    except (IntegrityError, StaleDataError):
        raise ApiProblem(409, str(CHANGED_MEANWHILE).replace("import the file again", "send the family again")) \
            from None
    result = ("created" if counts.families_added else
              "updated" if counts.families_updated or counts.members_added or counts.members_updated
              or counts.consents_recorded or counts.closed_long_past else "unchanged")
    g.api_audit_detail = {"family_id": family.id, "result": result,
                          **{name: value for name, value in vars(counts).items() if value}}
    payload = {**family_json(family, include_contact=False), "result": result}
    db.session.commit()
    return (201 if result == "created" else 200), payload


def case_file_rows(case_ref: str, body: dict):
    """The body as a case file's rows (member index → column → text), and each (row, column)'s
    place in the request: a JSON pointer, or the path parameter."""
    family_cells = {"site": body["site"], "case_ref": case_ref, "key_worker": body.get("key_worker") or ""}
    for name in ("referral_date", "entry_date", "exit_date"):
        family_cells[name] = _text(body.get(name))
    rows, pointers = {}, {}
    for index, member in enumerate(body["members"]):
        cells = dict(family_cells)
        for name in MEMBER_COLUMNS:
            cells[name] = _text(member.get(name))
        for name in FAMILY_COLUMNS:
            pointers[(index, name)] = {"parameter": "case_ref"} if name == "case_ref" else {"pointer": f"/{name}"}
        for name in MEMBER_COLUMNS:
            pointers[(index, name)] = {"pointer": f"/members/{index}/{name}"}
        for position, decision in enumerate(member.get("consents") or []):
            column = CONSENT_COLUMNS[(decision["party"], decision["purpose"])]
            if cells.get(column):
                raise ApiProblem(422, "Nothing was saved.", type_=INVALID_FIELDS, title="Some fields are not valid",
                                 errors=[{"pointer": f"/members/{index}/consents/{position}",
                                          "detail": f"A {decision['purpose']} decision by {decision['party']} is "
                                                    "given twice. Send the one in force."}])
            cells[column] = "yes" if decision["given"] else "no"
            cells[f"{column}_date"] = decision["on"].isoformat()
            pointers[(index, column)] = {"pointer": f"/members/{index}/consents/{position}"}
            pointers[(index, f"{column}_date")] = {"pointer": f"/members/{index}/consents/{position}/on"}
        rows[index] = cells
    return rows, pointers


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _request_digest() -> str:
    return hashlib.sha256(b"\0".join((request.method.encode(), request.path.encode(), request.get_data()))).hexdigest()


def _replay(key: str) -> Response | None:
    client = current_client()
    cutoff = utcnow() - timedelta(hours=IDEMPOTENCY_HOURS)
    db.session.execute(sa.delete(IdempotentResponse).where(IdempotentResponse.client_id == client.id,
                                                           IdempotentResponse.created_at < cutoff))
    stored = db.session.scalar(sa.select(IdempotentResponse).filter_by(client_id=client.id, key=key))
    if stored is None:
        return None
    if stored.request_digest != _request_digest():
        raise ApiProblem(422, "This Idempotency-Key was used with another request. Use a new key for each request.",
                         type_=IDEMPOTENCY_KEY_REUSED, title="Idempotency key reused")
    g.api_audit_detail = {"replayed": True}
    return Response(stored.body, status=stored.status, mimetype="application/json",
                    headers={**stored.headers, "Idempotent-Replayed": "true"})


def _remember(key: str, response: Response) -> None:
    db.session.add(IdempotentResponse(client_id=current_client().id, key=key[:200], request_digest=_request_digest(),
                                      status=response.status_code, body=response.get_data(as_text=True), headers={}))
    try:
        db.session.commit()
    except IntegrityError:  # the same key sent twice at once: the first one's answer stands
        db.session.rollback()


@blp.get("/<case_ref>")
@blp.arguments(FamilyQuerySchema, location="query")
@blp.response(200, FamilyOutSchema)
@blp.doc(summary="Read a family", **security("families:read"))
@requires("families:read")
def get_family(query, case_ref):
    """Another site's family, or one that does not exist, is 404 alike."""
    client = current_client()
    include_contact = query.get("include") == "contact"
    if include_contact and "families:write" not in client.scope_set:
        raise ApiProblem(403, "include=contact needs the families:write scope.")
    site_ids = client.site_ids
    if query.get("site"):
        site_id = db.session.scalar(sa.select(Site.id).where(sa.func.lower(Site.code) == query["site"].lower()))
        if site_id not in site_ids:
            raise ApiProblem(404, "Nothing is found at this address for this client.")
    elif len(site_ids) == 1:
        site_id = next(iter(site_ids))
    else:
        raise ApiProblem(422, "This client works for several sites: say which with ?site=.", type_=INVALID_FIELDS,
                         title="Some fields are not valid",
                         errors=[{"parameter": "site", "detail": "Give the site's code."}])
    family = db.session.scalar(sa.select(Family).filter_by(site_id=site_id, case_ref=case_ref))
    if family is None:
        raise ApiProblem(404, "Nothing is found at this address for this client.")
    record("family.viewed", family, family.site_id, api_client=client.id)
    if include_contact:
        for member in family.members:
            if member.phone or member.email or member.name:
                record("member.viewed", member, family.site_id, shown="contact", api_client=client.id)
    g.api_audit_detail = {"family_id": family.id}
    return family_json(family, include_contact)


def family_json(family: Family, include_contact: bool) -> dict:
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.family_id == family.id, Invitation.state.in_(WAITING)))
    members = []
    for member in family.members:
        consents = [decision for purpose in CONSENT_PURPOSES for party in CONSENT_PARTIES
                    if (decision := latest(member.consents, purpose, party)) is not None]
        item = {"member_ref": member.member_ref, "role": member.role, "language": member.language,
                "channel": member.channel, "has_phone": member.phone is not None,
                "has_email": member.email is not None, "opted_out": member.opted_out_at is not None,
                "birth_year_month": f"{member.birth_year:04d}-{member.birth_month:02d}"
                if member.birth_year and member.birth_month else None,
                "consents": [{"purpose": c.purpose, "party": c.party, "given": c.given,
                              "recorded_at": c.recorded_at} for c in consents]}
        if include_contact:
            item |= {"name": member.name, "phone": member.phone, "email": member.email}
        members.append(item)
    return {"site": family.site.code, "case_ref": family.case_ref, "status": family.status,
            "referral_date": family.referral_date, "entry_date": family.entry_date, "exit_date": family.exit_date,
            "key_worker": family.key_worker.email if family.key_worker else None,
            "waiting_invitations": waiting, "members": members}
