"""The API's request and response bodies (marshmallow): validation and the OpenAPI document both
come from these, so the published schema is the code's."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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


# --- Reports (reports.py) -------------------------------------------------------------------------

class ReportFilterSchema(Schema):
    name = fields.String(required=True, metadata={"description": "The query parameter."})
    description = fields.String(required=True)


class ReportSummarySchema(Schema):
    name = fields.String(required=True, metadata={"description": "For /api/v1/reports/{name}."})
    title = fields.String(required=True)
    summary = fields.String(required=True)
    filters = fields.List(fields.Nested(ReportFilterSchema), required=True)


class ReportListSchema(Schema):
    items = fields.List(fields.Nested(ReportSummarySchema), required=True)


class ReportQuerySchema(Schema):
    site = fields.List(fields.String(validate=validate.Length(1, 32)), validate=validate.Length(max=50), metadata={
        "description": "A site code of the client's; repeat for several. Default: every site of the client's."})
    start = fields.Date(metadata={"description": "First day of the period."})
    end = fields.Date(metadata={"description": "Last day of the period (not before start)."})
    cohort = fields.String(validate=validate.OneOf(("exit", "entry")), metadata={
        "description": "Families whose support ended (exit, the default) or started (entry) in the period."})
    programme_cost = fields.Float(allow_nan=False, validate=validate.Range(0, 1_000_000_000), metadata={
        "description": "cost-benefit only: the programme's cost for the period, in £."})

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("The end of the period must not be before its start.", field_name="end")


class ReportCellSchema(Schema):
    value = fields.Raw(allow_none=True, metadata={
        "description": "The value shown (a number or a label); null when hidden or when there is none."})
    text = fields.String(required=True, metadata={"description": "The cell as the staff page writes it."})
    hidden = fields.Boolean(required=True)
    code = fields.String(metadata={"description": "For a hidden cell: the page's mark, <threshold or [c]."})
    reason = fields.String(validate=validate.OneOf(("small", "protecting")), metadata={
        "description": "small: a count below the threshold; protecting: hidden so that no hidden count can be "
                       "worked out from what is shown."})


class ReportColumnSchema(Schema):
    name = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "label, count, percent, mean, money or number."})


class ReportTableSchema(Schema):
    title = fields.String(required=True)
    note = fields.String(allow_none=True)
    columns = fields.List(fields.Nested(ReportColumnSchema), required=True)
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.Nested(ReportCellSchema)), required=True,
                       metadata={"description": "Each row: column name → cell."})


class ReportSelectionSchema(Schema):
    sites = fields.List(fields.String(), required=True)
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    cohort = fields.String(required=True)


class ReportSchema(Schema):
    """A report as the staff page shows it to a manager of the same sites: nothing it hides is here."""

    name = fields.String(required=True)
    title = fields.String(required=True)
    filters = fields.String(required=True, metadata={"description": "The selection in words."})
    method = fields.String(required=True, metadata={"description": "How small numbers were protected."})
    empty = fields.String(allow_none=True, metadata={"description": "Why there is nothing to show, if so."})
    chart_note = fields.String(allow_none=True)
    missing_dates = fields.String(allow_none=True, metadata={
        "description": "Families of the sites the period cannot place, having no date of the cohort."})
    threshold = fields.Integer(required=True, metadata={"description": "Counts below it are hidden."})
    selection = fields.Nested(ReportSelectionSchema, required=True)
    tables = fields.List(fields.Nested(ReportTableSchema), required=True)


# --- Exports (exports.py) -------------------------------------------------------------------------

class ExportProfileSchema(Schema):
    id = fields.String(required=True, metadata={"description": "For POST /api/v1/exports."})
    title = fields.String(required=True)
    description = fields.String(required=True)
    sites = fields.List(fields.String(), required=True,
                        metadata={"description": "The client's sites the profile covers."})
    formats = fields.List(fields.String(), required=True)
    shape = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "The profile file's content hash."})


class ExportProfileListSchema(Schema):
    items = fields.List(fields.Nested(ExportProfileSchema), required=True)


class ExportStartSchema(Schema):
    profile = fields.String(required=True, validate=validate.Length(1, 100))
    sites = fields.List(fields.String(validate=validate.Length(1, 32)), validate=validate.Length(1, 50), metadata={
        "description": "Site codes of the client's to export. Default: every site of the client's the profile "
                       "covers."})


class ExportProgressSchema(Schema):
    stage = fields.String(required=True)
    instruments_done = fields.Integer(required=True)
    instruments_total = fields.Integer(required=True)
    rows = fields.Integer(required=True, metadata={"description": "Responses read so far; once done, rows written."})


class ExportRunSchema(Schema):
    id = fields.Integer(required=True)
    profile = fields.String(required=True)
    profile_version = fields.String(required=True)
    sites = fields.List(fields.String(), required=True)
    state = fields.String(required=True, validate=validate.OneOf(("queued", "running", "done", "failed",
                                                                  "expired")))
    progress = fields.Nested(ExportProgressSchema, required=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "When the bundle is deleted."})
    message = fields.String(allow_none=True, metadata={"description": "Why it failed."})
    bundle = fields.String(allow_none=True, metadata={"description": "The bundle's name, once done."})
    content_hash = fields.String(allow_none=True, metadata={
        "description": "Once done: the manifest's content hash (SHA-256 over the data files, codebooks and "
                       "scripts), to check the downloaded bundle by."})
    download = fields.String(allow_none=True, metadata={"description": "Where to GET the zip, once done."})
