"""/api/v1/families: upsert families from the case-management system, and read them.

``PUT /api/v1/families/{case_ref}`` upserts one family; ``POST /api/v1/families:batch`` upserts up
to ``MAX_BATCH`` (``{"families": [{"case_ref": ..., <the PUT's body>}, ...]}``), all or nothing:
one bad family refuses the whole request (422), every problem named by its pointer
(``/families/3/members/0/phone``) and its family's ``case_ref``. Both go through the family
import's own checks and storing (``families.case_file``, ``families.importing.store_case_file``),
which go through the family pages' services: a family sent here is planned exactly as if staff had
typed it in (once, after its members and consent decisions are stored), and sending the same body
again changes nothing. The bodies become the rows of a case file (one row per member), so each
refusal names its field by a JSON pointer instead of a row and column. Each family upserted is
audited as one ``api.called`` with its id, result and counts: a single PUT's own, or one per
family of a batch besides the batch's own.

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
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import record
from ..extensions import db
from ..families.case_file import CONSENT_COLUMNS, COLUMNS, FAMILY_COLUMNS, MEMBER_COLUMNS, check_case_file
from ..families.consent import latest
from ..families.importing import CHANGED_MEANWHILE, FamilyRefused, StoredFamily, lookups, store_case_file
from ..families.models import CONSENT_PARTIES, CONSENT_PURPOSES, Family
from ..staff.models import Site
from ..timeutil import utcnow
from ..waves.models import WAITING, Invitation
from .auth import current_client, protect, requires, security
from .clients import IdempotentResponse, audit
from .problems import IDEMPOTENCY_KEY_REUSED, INVALID_FIELDS, ApiProblem, name_fields_by
from .schemas import FamilyInSchema, FamilyOutSchema, FamilyQuerySchema, FamilyUpsertedSchema

blp = protect(Blueprint("api_families", __name__, url_prefix="/api/v1",
                        description="Families and their members, by the service's case reference."))
IDEMPOTENCY_HOURS = 24
#: Families one POST /api/v1/families:batch may carry.
MAX_BATCH = 500
IDEMPOTENCY_PARAMETER = {"in": "header", "name": "Idempotency-Key", "required": False,
                         "schema": {"type": "string", "maxLength": 200},
                         "description": "Repeating a request with the same key replays the first response."}


class FamilyBatchItemSchema(FamilyInSchema):
    """A family of a batch: the PUT's body, with the case reference the PUT has in its path."""

    case_ref = fields.String(required=True, validate=validate.Length(1, 64),
                             metadata={"description": "The family's case reference at its site; finds the family."})


class FamilyBatchInSchema(Schema):
    families = fields.List(fields.Nested(FamilyBatchItemSchema), required=True,
                           validate=validate.Length(1, MAX_BATCH),
                           metadata={"description": f"1 to {MAX_BATCH} families, each case reference once a site."})


class FamilyBatchOutSchema(Schema):
    families = fields.List(fields.Nested(FamilyUpsertedSchema), required=True,
                           metadata={"description": "Each family as stored, in the order sent, with its result."})


@blp.put("/families/<case_ref>")
@blp.arguments(FamilyInSchema)
@blp.response(200, FamilyUpsertedSchema, description="The family was updated, or was already as sent.")
@blp.alt_response(201, schema=FamilyUpsertedSchema, description="The family was created.")
@blp.doc(summary="Create or update a family", **security("families:write"), parameters=[IDEMPOTENCY_PARAMETER])
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
    status, payload = upsert_families([(case_ref, body)], batch=False)[0]
    return status, payload


@blp.post("/families:batch")
@blp.arguments(FamilyBatchInSchema)
@blp.response(200, FamilyBatchOutSchema, description="Every family was stored (each one's result says how).")
@blp.doc(summary="Create or update several families at once", **security("families:write"),
         parameters=[IDEMPOTENCY_PARAMETER])
@requires("families:write")
def post_families_batch(body):
    """Each family as PUT /api/v1/families/{case_ref} takes it, with its ``case_ref``, all or nothing:
    when any field of any family is wrong, nothing is stored (422) and ``errors`` names every
    problem by its pointer in this body (``/families/3/members/0/phone``) and its family's case
    reference. Sending the same batch again changes nothing."""
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        replay = _replay(key)
        if replay is not None:
            return replay
    results = upsert_families([(item["case_ref"], item) for item in body["families"]], batch=True)
    payload = {"families": [item for _, item in results]}
    response = Response(json.dumps(FamilyBatchOutSchema().dump(payload)), status=200, mimetype="application/json")
    if key is not None:
        _remember(key, response)
    return response


def batch_context(pointer: str) -> dict:
    """A batch's field refused by the schema (a role it does not know, a date that is not one) is
    named by its family's case reference as well as its pointer, as the batch's own checks name
    theirs: the pointer's family position read back from the body sent. A case reference that is
    itself not valid (not text, empty, too long) is left out rather than echoed."""
    parts = pointer.split("/")
    if len(parts) < 3 or parts[1] != "families" or not parts[2].isdigit():
        return {}
    sent = request.get_json(silent=True)
    families = sent.get("families") if isinstance(sent, dict) else None
    position = int(parts[2])
    if not isinstance(families, list) or position >= len(families) or not isinstance(families[position], dict):
        return {}
    case_ref = families[position].get("case_ref")
    if not isinstance(case_ref, str) or not 1 <= len(case_ref) <= 64:
        return {}
    return {"case_ref": case_ref}


name_fields_by("api_families.post_families_batch", batch_context)


def upsert_families(items: list[tuple[str, dict]], batch: bool) -> list[tuple[int, dict]]:
    """Check every (case_ref, body) as one case file, then store them all in one transaction, each
    family planned once; refused whole (ApiProblem) on any problem. Returns each family's status
    (201 created, 200 otherwise) and answer, in order."""
    client = current_client()
    today = utcnow().date()
    rows, pointers, owners, errors = {}, {}, {}, []
    seen_refs = {}
    for position, (case_ref, body) in enumerate(items):
        base = f"/families/{position}" if batch else ""
        family_key = (body["site"].strip().lower(), case_ref.strip())
        if family_key in seen_refs:  # checked no further: a case file would take it for more rows of the first
            errors.append({"pointer": f"{base}/case_ref", "case_ref": case_ref,
                           "detail": f"Family {case_ref} is also at /families/{seen_refs[family_key]}. Send each "
                                     "family once a batch."})
            continue
        seen_refs[family_key] = position
        first_row = len(rows)
        family_rows, family_pointers, family_errors = case_file_rows(case_ref, body, base, batch)
        errors += [{**error, "case_ref": case_ref} if batch else error for error in family_errors]
        for index, cells in family_rows.items():
            rows[first_row + index] = cells
            owners[first_row + index] = (position, index)
        pointers |= {(first_row + index, column): pointer for (index, column), pointer in family_pointers.items()}
    checked = check_case_file(list(COLUMNS), rows, lookups(client.site_ids, today))
    if not checked.ok:
        for problem in checked.problems:
            position, member = owners.get(problem.row, (0, None))
            base = f"/families/{position}" if batch else ""
            entry = pointers.get((problem.row, problem.column)) or {
                "pointer": f"{base}/members/{member}" if member is not None else base}
            entry = {**entry, "detail": str(problem.message)}
            if batch:
                entry["case_ref"] = items[position][0]
            if entry not in errors:
                errors.append(entry)
    if errors:
        if batch:  # family by family, in the order sent
            errors.sort(key=lambda error: int(error.get("pointer", "/families/0").split("/")[2]))
        raise ApiProblem(422, "Nothing was saved. Correct each field listed in errors and send the "
                              + ("batch" if batch else "family") + " again.",
                         type_=INVALID_FIELDS, title="Some fields are not valid", errors=errors)
    try:
        stored = store_case_file(checked.families, None, today=today, cause="family sent by the API")
    except FamilyRefused as refusal:
        db.session.rollback()
        raise ApiProblem(422, str(refusal), type_=INVALID_FIELDS, title="The family was refused",
                         errors=[{"pointer": f"/families/{refusal.position}" if batch else "", "detail": str(refusal),
                                  **({"case_ref": items[refusal.position][0]} if batch else {})}]) from None
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise ApiProblem(409, str(CHANGED_MEANWHILE).replace(
            "import the file again", "send the batch again" if batch else "send the family again")) from None
    waiting = _waiting([one.family.id for one in stored])
    results = []
    for position, one in enumerate(stored):
        detail = _audit_detail(one)
        status = 201 if detail["result"] == "created" else 200
        if batch:
            audit("api.called", client, method=request.method, endpoint=request.url_rule.rule, status=status,
                  batch_position=position, **detail)
        results.append((status, {**family_json(one.family, include_contact=False,
                                               waiting=waiting.get(one.family.id, 0)), "result": detail["result"]}))
    if batch:
        g.api_audit_detail = {"families": len(stored), **{result: sum(1 for _, item in results if item["result"] == result)
                                                          for result in ("created", "updated", "unchanged")}}
    else:
        g.api_audit_detail = _audit_detail(stored[0])
    db.session.commit()
    return results


def _audit_detail(one: StoredFamily) -> dict:
    return {"family_id": one.family.id, "result": one.counts.result,
            **{name: value for name, value in vars(one.counts).items() if value}}


def _waiting(family_ids: list[int]) -> dict[int, int]:
    """Invitations waiting to be sent, by family (a query for up to 500 families)."""
    found = {}
    for start in range(0, len(family_ids), MAX_BATCH):
        chunk = family_ids[start:start + MAX_BATCH]
        found |= dict(db.session.execute(
            sa.select(Invitation.family_id, sa.func.count()).where(Invitation.family_id.in_(chunk),
                                                                   Invitation.state.in_(WAITING))
            .group_by(Invitation.family_id)).all())
    return found


def case_file_rows(case_ref: str, body: dict, base: str = "", batch: bool = False):
    """The body as a case file's rows (member index → column → text), each (row, column)'s place in
    the request (a JSON pointer under ``base``, or the path parameter), and the problems found on
    the way (a decision given twice)."""
    family_cells = {"site": body["site"], "case_ref": case_ref, "key_worker": body.get("key_worker") or ""}
    for name in ("referral_date", "entry_date", "exit_date"):
        family_cells[name] = _text(body.get(name))
    rows, pointers, errors = {}, {}, []
    for index, member in enumerate(body["members"]):
        cells = dict(family_cells)
        for name in MEMBER_COLUMNS:
            cells[name] = _text(member.get(name))
        for name in FAMILY_COLUMNS:
            pointers[(index, name)] = ({"parameter": "case_ref"} if name == "case_ref" and not batch
                                       else {"pointer": f"{base}/{name}"})
        for name in MEMBER_COLUMNS:
            pointers[(index, name)] = {"pointer": f"{base}/members/{index}/{name}"}
        for position, decision in enumerate(member.get("consents") or []):
            column = CONSENT_COLUMNS[(decision["party"], decision["purpose"])]
            if cells.get(column):
                errors.append({"pointer": f"{base}/members/{index}/consents/{position}",
                               "detail": f"A {decision['purpose']} decision by {decision['party']} is given twice. "
                                         "Send the one in force."})
                continue
            cells[column] = "yes" if decision["given"] else "no"
            cells[f"{column}_date"] = decision["on"].isoformat()
            pointers[(index, column)] = {"pointer": f"{base}/members/{index}/consents/{position}"}
            pointers[(index, f"{column}_date")] = {"pointer": f"{base}/members/{index}/consents/{position}/on"}
        rows[index] = cells
    return rows, pointers, errors


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


@blp.get("/families/<case_ref>")
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


def family_json(family: Family, include_contact: bool, waiting: int | None = None) -> dict:
    if waiting is None:
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
