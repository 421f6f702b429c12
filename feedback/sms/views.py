"""Twilio's webhooks: ``/sms/inbound`` (a member texted us) and ``/sms/status`` (what became of a
text we sent). Both accept a request only with a valid ``X-Twilio-Signature``, computed over the
public address Twilio was given (``FEEDBACK_PUBLIC_BASE_URL``), so they work behind a proxy that
terminates TLS; anything else gets 403 and changes nothing."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ..extensions import csrf, limiter
from .delivery import status_report
from .inbound import handle

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
csrf.exempt(bp)  # Twilio cannot hold a CSRF token; the signature does that job here


def _sender_key() -> str:
    return request.form.get("From", "") or request.remote_addr or ""


def _verified() -> None:
    settings = current_app.config["FEEDBACK_SETTINGS"]
    if settings.twilio is None or not settings.public_base_url:
        abort(403)  # no Twilio account configured: nothing can be verified, so nothing is accepted
    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.public_base_url + request.full_path.rstrip("?")
    if not signature or not RequestValidator(settings.twilio.auth_token).validate(url, request.form.to_dict(), signature):
        log.warning("refused an unsigned or wrongly signed request to %s", request.path)
        abort(403)


@bp.post("/sms/inbound")
@limiter.limit("30 per minute", key_func=_sender_key)
def inbound():
    _verified()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    if not sid:
        abort(400)
    reply = handle(sid, request.form.get("From", ""), request.form.get("Body", ""), request.form.get("OptOutType"))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")


@bp.post("/sms/status")
def status():
    _verified()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    if not sid:
        abort(400)
    status_report(sid, request.form.get("MessageStatus") or request.form.get("SmsStatus", ""),
                  request.form.get("ErrorCode"))
    return "", 204
