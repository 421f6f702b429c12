"""The API's request and response bodies (marshmallow): validation and the OpenAPI document both
come from these, so the published schema is the code's."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..families.eligibility import MEMBER_ROLES
from ..families.models import CHANNELS, CONSENT_PARTIES, CONSENT_PURPOSES, FAMILY_STATUSES
from ..waves.models import STATES

YEAR_MONTH = validate.Regexp(r"^\d{4}-\d{2}$", error="Write the birth month as year-month, e.g. 2019-06.")


class ConsentSchema(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(CONSENT_PURPOSES))
    party = fields.String(load_default="self", validate=validate.OneOf(CONSENT_PARTIES),
                          metadata={"description": "self, or parent for a child under 16."})
    given = fields.Boolean(required=True)
    on = fields.Date(required=True, metadata={"description": "The day the decision was made (not in the future)."})


class MemberInSchema(Schema):
    member_ref = fields.String(required=True, validate=validate.Length(1, 64),
                               metadata={"description": "The member's reference within the family; finds the member."})
    role = fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES))
    name = fields.String(allow_none=True, validate=validate.Length(max=120))
    birth_year_month = fields.String(allow_none=True, validate=YEAR_MONTH)
    phone = fields.String(allow_none=True, validate=validate.Length(max=40),
                          metadata={"description": "A mobile number (UK or E.164)."})
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    language = fields.String(allow_none=True, validate=validate.Length(max=16))
    channel = fields.String(allow_none=True, validate=validate.OneOf(CHANNELS))
    consents = fields.List(fields.Nested(ConsentSchema), load_default=list, validate=validate.Length(max=6))


class FamilyInSchema(Schema):
    """A family as the case-management system knows it. Fields left out (or null) keep what is on
    record; members left out are kept; consent decisions are added, never edited."""

    site = fields.String(required=True, validate=validate.Length(1, 32), metadata={"description": "The site's code."})
    referral_date = fields.Date(allow_none=True)
    entry_date = fields.Date(allow_none=True)
    exit_date = fields.Date(allow_none=True)
    key_worker = fields.String(allow_none=True, validate=validate.Length(max=254),
                               metadata={"description": "Email of an active practitioner at the site."})
    members = fields.List(fields.Nested(MemberInSchema), required=True, validate=validate.Length(1, 30))


class ConsentOutSchema(Schema):
    purpose = fields.String(required=True)
    party = fields.String(required=True)
    given = fields.Boolean(required=True)
    recorded_at = fields.DateTime(required=True)


class MemberOutSchema(Schema):
    member_ref = fields.String(allow_none=True)
    role = fields.String(required=True)
    birth_year_month = fields.String(allow_none=True)
    language = fields.String(required=True)
    channel = fields.String(required=True)
    has_phone = fields.Boolean(required=True)
    has_email = fields.Boolean(required=True)
    opted_out = fields.Boolean(required=True)
    consents = fields.List(fields.Nested(ConsentOutSchema), required=True,
                           metadata={"description": "The decisions in force, one per purpose and party."})
    name = fields.String(allow_none=True, metadata={"description": "Only with include=contact."})
    phone = fields.String(allow_none=True, metadata={"description": "Only with include=contact."})
    email = fields.String(allow_none=True, metadata={"description": "Only with include=contact."})


class FamilyOutSchema(Schema):
    site = fields.String(required=True)
    case_ref = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(FAMILY_STATUSES))
    referral_date = fields.Date(allow_none=True)
    entry_date = fields.Date(allow_none=True)
    exit_date = fields.Date(allow_none=True)
    key_worker = fields.String(allow_none=True)
    waiting_invitations = fields.Integer(required=True,
                                         metadata={"description": "Invitations planned or due for the family."})
    members = fields.List(fields.Nested(MemberOutSchema), required=True)


class FamilyUpsertedSchema(FamilyOutSchema):
    result = fields.String(required=True, validate=validate.OneOf(("created", "updated", "unchanged")))


class FamilyQuerySchema(Schema):
    site = fields.String(metadata={"description": "The site's code; needed when the client has several sites."})
    include = fields.String(validate=validate.OneOf(("contact",)),
                            metadata={"description": "contact: also names, phones and emails (families:write "
                                                     "scope; audited as a view of contact details)."})


class InvitationSchema(Schema):
    id = fields.Integer(required=True)
    site = fields.String(required=True)
    case_ref = fields.String(required=True)
    member_ref = fields.String(allow_none=True)
    recipient = fields.String(required=True, metadata={"description": "member or key_worker"})
    schedule = fields.String(required=True)
    wave = fields.String(required=True)
    instrument = fields.String(required=True)
    channel = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    reason = fields.String(allow_none=True)
    due_on = fields.Date(required=True)
    opens_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(required=True)


class InvitationPageSchema(Schema):
    items = fields.List(fields.Nested(InvitationSchema), required=True)
    next_cursor = fields.String(required=True, metadata={
        "description": "Give it as cursor to read on; after the last page, keep it to ask later for what changed."})
    has_more = fields.Boolean(required=True)


class InvitationQuerySchema(Schema):
    site = fields.String(metadata={"description": "A site code of the client's."})
    wave = fields.String(validate=validate.Length(max=64))
    state = fields.String(validate=validate.OneOf(STATES))
    cursor = fields.String(validate=validate.Length(max=200), metadata={
        "description": "Opaque: the next_cursor of an earlier page. Without it, the first page."})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
