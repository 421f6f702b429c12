"""Twilio's delivery reports (the status callback): what became of each text after Twilio took it.

Statuses only move forward (Twilio's callbacks may arrive out of order). A final failure whose
error says the number is opted out marks the member opted out; one that says the number is not
a working mobile marks the number as not working, which the key worker sees on their tasks. Other
delivery failures are recorded for staff to see and not retried: the carrier has already tried.
"""
from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from ..extensions import db
from ..families.models import Member
from ..families.service import opt_out
from ..timeutil import utcnow
from ..waves.models import OutboxMessage
from ..waves.service import move

log = logging.getLogger(__name__)
ORDER = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4,
         "canceled": 4}
OPTED_OUT = {21610}
#: Not a number that can get texts: invalid, a landline, unknown to the network.
NOT_A_MOBILE = {21211, 21614, 30005, 30006}
#: The largest code ``OutboxMessage.error_code`` (a 32-bit INTEGER on PostgreSQL) can hold.
LARGEST_ERROR_CODE = 2**31 - 1


def status_report(message_sid: str, status: str, error_code: str | None) -> bool:
    """Record one report; False when the message is not ours (nothing changes)."""
    message = db.session.scalar(sa.select(OutboxMessage).filter_by(provider_sid=message_sid))
    status = (status or "").strip().lower()
    if message is None or status not in ORDER:
        return False
    code = error_code_of(message_sid, error_code)
    if message.status in ORDER and ORDER[status] < ORDER[message.status]:
        return True  # an older report arriving late
    now = utcnow()
    message.status, message.status_at = status, now
    if code is not None:
        message.error_code = code
    if status in ("failed", "undelivered") and code in OPTED_OUT | NOT_A_MOBILE and message.to_digest:
        for member in db.session.scalars(sa.select(Member).filter_by(phone_digest=message.to_digest)):
            if code in OPTED_OUT:
                opt_out(member, f"the provider reports the number opted out (error {code})", None, now)
            else:
                member.phone_invalid = True
        invitation = message.invitation
        if invitation is not None and message.kind == "invitation" and invitation.state == "sent":
            invitation.next_send_at = None
            move(invitation, "failed", f"text not delivered (error {code})", now,
                 reason="opted_out" if code in OPTED_OUT else "phone_invalid")
    db.session.commit()
    log.info("delivery report %s: %s (error %s)", message_sid, status, code)
    return True


def error_code_of(message_sid: str, reported: str | None) -> int | None:
    """Twilio's ``ErrorCode`` as a number (they are five digits today); None when there is none,
    or when it is not a whole number the column can hold. Such a code is logged and kept as
    unknown rather than altered: no code we act on looks like it, and the report's status still
    counts, so Twilio is never answered with an error to retry."""
    if not reported or not reported.strip():
        return None
    if re.fullmatch(r"[0-9]{1,10}", reported.strip()) and int(reported) <= LARGEST_ERROR_CODE:
        return int(reported)
    log.warning("delivery report %s: error code %.40r is not one we can store; kept as unknown", message_sid, reported)
    return None
