"""Every table, imported in one place so migrations and ``create_all`` see them all."""
from .audit.models import AuditEvent
from .api.clients import ApiClient, IdempotentResponse
from .exports.models import ExportRun
from .families.models import Consent, ContactPause, Family, Member
from .imports.models import ImportBatch
from .mail.models import EmailMessage
from .partners.models import PartnerAgency, PartnerContact
from .publishing.models import InstrumentVersion
from .reports.models import UnitSaving
from .reports.response_changes import ChangedFamily, KeptCheck, ResponseChanges
from .staff.models import LoginAttempt, Site, StaffUser
from .survey.models import Answer, Response, Score
from .sms.models import InboundMessage, SmsConversation
from .waves.models import Invitation, InvitationEvent, OutboxMessage

__all__ = ["Answer", "AuditEvent", "ChangedFamily", "Consent", "ContactPause", "EmailMessage", "PartnerAgency", "PartnerContact", "ExportRun", "Family", "ImportBatch", "InstrumentVersion", "Invitation", "KeptCheck",
           "InboundMessage", "InvitationEvent", "LoginAttempt", "Member", "OutboxMessage", "Response", "ResponseChanges", "Score", "Site",
           "SmsConversation", "StaffUser", "UnitSaving"]
