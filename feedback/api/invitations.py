"""/api/v1/invitations: the client's sites' invitations, read in pages and then by what changed.

Pages are ordered by (updated_at, id) and the cursor is the position after a page's last row, so a
client that keeps the last ``next_cursor`` later reads only invitations changed since. Positions
come from the app's clock at each change: a change committed by a transaction that began before
the client's last read may sort behind its cursor, so a client should read everything again now and
then (e.g. nightly, without a cursor) rather than trust the feed alone forever.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime

import sqlalchemy as sa
from flask import g
from flask_smorest import Blueprint

from ..extensions import db
from ..families.models import Family, Member
from ..staff.models import Site
from ..waves.models import Invitation
from .auth import current_client, protect, requires, security
from .problems import INVALID_FIELDS, ApiProblem
from .schemas import InvitationPageSchema, InvitationQuerySchema, InvitationSchema

blp = protect(Blueprint("api_invitations", __name__, url_prefix="/api/v1/invitations",
                        description="Invitations planned and sent to the client's sites' families."))
START = "start"


def _columns():
    return (Invitation.id, Site.code.label("site"), Family.case_ref, Member.member_ref, Invitation.recipient_key,
            Invitation.schedule_id, Invitation.wave, Invitation.instrument_id, Invitation.channel, Invitation.state,
            Invitation.reason, Invitation.due_on, Invitation.opens_at, Invitation.closes_at, Invitation.sent_at,
            Invitation.updated_at)


def _visible(site_ids):
    # Partner contacts' invitations have no family, hence no site: never shown to a client.
    return (sa.select(*_columns()).join(Family, Family.id == Invitation.family_id)
            .join(Site, Site.id == Family.site_id).outerjoin(Member, Member.id == Invitation.member_id)
            .where(Family.site_id.in_(list(site_ids))))


def _item(row) -> dict:
    return {"id": row.id, "site": row.site, "case_ref": row.case_ref, "member_ref": row.member_ref,
            "recipient": "key_worker" if row.recipient_key == "key_worker" else "member",
            "schedule": row.schedule_id, "wave": row.wave, "instrument": row.instrument_id, "channel": row.channel,
            "state": row.state, "reason": row.reason, "due_on": row.due_on, "opens_at": row.opens_at,
            "closes_at": row.closes_at, "sent_at": row.sent_at, "updated_at": row.updated_at}


def encode_cursor(position: tuple[datetime, int] | None) -> str:
    text = START if position is None else f"{position[0].isoformat(timespec='microseconds')}|{position[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text == START:
            return None
        at, _, number = text.partition("|")
        return datetime.fromisoformat(at), int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(422, "The cursor is not one this API gave. Start again without it.", type_=INVALID_FIELDS,
                         title="Some fields are not valid",
                         errors=[{"parameter": "cursor", "detail": "Give a next_cursor from an earlier page."}]) \
            from None


@blp.get("")
@blp.arguments(InvitationQuerySchema, location="query")
@blp.response(200, InvitationPageSchema)
@blp.doc(summary="List invitations, oldest change first", **security("invitations:read"))
@requires("invitations:read")
def list_invitations(query):
    """Filtered by site, wave and state; ``limit`` rows a page (at most 1000)."""
    site_ids = current_client().site_ids
    statement = _visible(site_ids)
    if query.get("site"):
        statement = statement.where(sa.func.lower(Site.code) == query["site"].lower())
    if query.get("wave"):
        statement = statement.where(Invitation.wave == query["wave"])
    if query.get("state"):
        statement = statement.where(Invitation.state == query["state"])
    position = decode_cursor(query["cursor"]) if query.get("cursor") else None
    if position is not None:
        statement = statement.where(sa.tuple_(Invitation.updated_at, Invitation.id) > sa.tuple_(
            sa.literal(position[0], sa.DateTime), sa.literal(position[1], sa.Integer)))
    limit = query["limit"]
    rows = db.session.execute(statement.order_by(Invitation.updated_at, Invitation.id).limit(limit + 1)).all()
    page = rows[:limit]
    if page:
        position = (page[-1].updated_at, page[-1].id)
    g.api_audit_detail = {"rows": len(page)}
    return {"items": [_item(row) for row in page], "next_cursor": encode_cursor(position),
            "has_more": len(rows) > limit}


@blp.get("/<int:invitation_id>")
@blp.response(200, InvitationSchema)
@blp.doc(summary="Read an invitation", **security("invitations:read"))
@requires("invitations:read")
def get_invitation(invitation_id):
    if invitation_id > 2**31 - 1:  # larger than any id the database can hold
        raise ApiProblem(404, "Nothing is found at this address for this client.")
    row = db.session.execute(_visible(current_client().site_ids).where(Invitation.id == invitation_id)).first()
    if row is None:
        raise ApiProblem(404, "Nothing is found at this address for this client.")
    return _item(row)
