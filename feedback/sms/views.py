"""Twilio's webhooks: ``/sms/inbound`` (a member texted us) and ``/sms/status`` (what became of a
text we sent). Both accept a request only with a valid ``X-Twilio-Signature``, computed over the
public address Twilio was given (``FEEDBACK_PUBLIC_BASE_URL``), so they work behind a proxy that
terminates TLS; anything else gets 403 and changes nothing.

The signature is checked before any rate limit counts the request, because only a signed
request's ``From`` is known to be the number the text came from:

* a refused (unsigned or wrongly signed) request counts against the address it came from, never
  against the number it names, so forgeries cannot use up a member's allowance and block their
  STOP; a flood of them gets 429 once the address has had its share;
* a signed text counts against its sender's number, so a phone caught in a loop with our replies
  (an auto-responder, say) cannot make us text it without end. Twilio's own address is never
  limited: signed requests are exempt from the address limit.
"""
from __future__ import annotations

import hmac
import logging
from functools import lru_cache
from urllib.parse import urlparse
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request
from flask_limiter.util import get_remote_address
from twilio.request_validator import RequestValidator, add_port, remove_port

from ..crypto import lookup_digest
from ..extensions import csrf, limiter
from .delivery import status_report
from .inbound import handle, sender_digest

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
csrf.exempt(bp)  # Twilio cannot hold a CSRF token; the signature does that job here
SIGNED = "feedback.sms.signed_by_twilio"
DIGEST = "feedback.sms.sender_digest"


def signed_by_twilio() -> bool:
    """Whether this request carries Twilio's valid signature; worked out once per request, before
    the rate limits (which use it) and the view."""
    # Kept in the request's environ, not ``g``: ``g`` belongs to the app context, which may
    # outlive one request (a CLI command or test holding a context).
    if SIGNED not in request.environ:
        request.environ[SIGNED] = _signature_valid()
        if not request.environ[SIGNED]:
            log.warning("refused an unsigned or wrongly signed request to %s", request.path)
    return request.environ[SIGNED]


def _signature_valid() -> bool:
    settings = current_app.config["FEEDBACK_SETTINGS"]
    if settings.twilio is None or not settings.public_base_url:
        return False  # no Twilio account configured: nothing can be verified, so nothing is accepted
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    # What ``RequestValidator.validate`` accepts (a form post's HMAC-SHA1 over the address with or
    # without its port), computed only until one matches: validate parses the address and computes
    # both every time, about 0.04 ms a text more (issue 24).
    validator, params = RequestValidator(settings.twilio.auth_token), request.form.to_dict()
    expected = signature.encode()
    return any(hmac.compare_digest(validator.compute_signature(url, params).encode(), expected)
               for url in _signed_addresses(settings.public_base_url + request.full_path.rstrip("?")))


@lru_cache(maxsize=64)
def _signed_addresses(url: str) -> tuple[str, str]:
    """The address Twilio may have signed: without the port (as it is usually configured), then with it."""
    parsed = urlparse(url)
    return remove_port(parsed), add_port(parsed)


def _sender() -> str | None:
    """The ``From`` number's keyed digest (``inbound.sender_digest``), worked out once per request:
    the sender's rate limit and the handler both need it. Kept in the environ, as ``SIGNED`` is."""
    if DIGEST not in request.environ:
        request.environ[DIGEST] = sender_digest(request.form.get("From", ""))
    return request.environ[DIGEST]


def _sender_key() -> str:
    """A signed text's sender, by keyed digest, so that no phone number is kept in the limiter's
    store or its log; ``07911 123456`` and ``+447911123456`` share one allowance."""
    digest = _sender()
    if digest is None:  # not a UK mobile, so no member's: limited as Twilio wrote it
        sender = request.form.get("From", "")
        digest = lookup_digest(sender) if sender else request.remote_addr or ""
    return "sender:" + digest


def _not_signed() -> bool:
    return not signed_by_twilio()


# Shared by both webhooks: an address sending forgeries to one is refused at the other too.
refused_by_address = limiter.shared_limit("30 per minute", scope="sms-unsigned", key_func=get_remote_address,
                                          exempt_when=signed_by_twilio)


@bp.post("/sms/inbound")
@refused_by_address
@limiter.limit("30 per minute", key_func=_sender_key, exempt_when=_not_signed)
def inbound():
    if not signed_by_twilio():
        abort(403)
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        abort(400)
    reply = handle(sid, form.get("From", ""), form.get("Body", ""), form.get("OptOutType"), digest=_sender())
    return Response(twiml(reply), mimetype="application/xml")


#: What twilio's ``MessagingResponse`` writes around one message (ElementTree's own escaping of
#: text is ``escape``'s: & < >), written directly: building the element tree cost about 0.04 ms a
#: text (issue 24). ``tests/sms/test_inbound.py`` compares the two.
TWIML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
NO_REPLY = TWIML_DECLARATION + "<Response />"


def twiml(reply: str | None) -> str:
    """The TwiML answer to an inbound text: ``reply`` as one message, or nothing to send."""
    if not reply:
        return NO_REPLY
    return f"{TWIML_DECLARATION}<Response><Message>{escape(reply)}</Message></Response>"


@bp.post("/sms/status")
@refused_by_address
def status():
    if not signed_by_twilio():
        abort(403)
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    if not sid:
        abort(400)
    status_report(sid, request.form.get("MessageStatus") or request.form.get("SmsStatus", ""),
                  request.form.get("ErrorCode"))
    return "", 204
