"""The Twilio channel: texts leave through Twilio's Messages API, using the official ``twilio`` library.

Settings (environment variables, read by ``TwilioSettings.from_env``):

``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``
    The account's credentials (Twilio console, "Account info").
``TWILIO_MESSAGING_SERVICE_SID`` or ``TWILIO_FROM_NUMBER``
    Exactly one: the Messaging Service that picks the sender (recommended: it handles STOP and
    sender pools), or the sending number in E.164 form (or an alphanumeric sender ID).
``TWILIO_API_BASE_URL``
    Unset means Twilio itself. For tests and for a Twilio-compatible gateway: requests that would
    go to ``https://api.twilio.com`` go to this address instead (same paths, same credentials).

Failures become ``TwilioSendFailed`` (a ``SendFailed``) whose message is written for staff and
never repeats the phone number: the dispatcher stores it in the invitation's history, where
numbers must not appear unencrypted.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ..config import ConfigurationError
from ..waves.channels import SendFailed

log = logging.getLogger(__name__)

TWILIO_API_HOST = re.compile(r"api(\.[a-z0-9-]+)*\.twilio\.com")  # api.twilio.com and its edge/region forms
STATUS_CALLBACK_PATH = "/sms/status"
DEFAULT_TIMEOUT = 10.0  # seconds; a dispatcher pass must not hang on one text
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-f]{32}")
SENDER = re.compile(r"\+[1-9][0-9]{6,14}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")  # E.164, or an alphanumeric sender ID

OPTED_OUT = {21610}
INVALID_NUMBER = {21211, 21614}
TOO_MANY_REQUESTS = {20429}
# Our account or sender is wrong: every text would fail the same way, so no family's text is failed for it.
CONFIGURATION = {20003, 21212, 21606}


class TwilioSendFailed(SendFailed):
    """Twilio did not take a text. ``kind`` is one of "opted_out", "invalid_number", "rejected"
    (permanent), "temporary", "configuration" (tried again later) or "unknown" (Twilio may have
    taken it: permanent, so that a family is never texted twice). ``status`` is the HTTP status."""

    def __init__(self, message: str, permanent: bool, *, kind: str, code: int | None = None,
                 status: int | None = None):
        super().__init__(message, permanent, code=code, kind=kind)
        self.status = status


class ApiBaseUrlHttpClient(TwilioHttpClient):
    """The library's own HTTP client, sending requests meant for ``https://api.twilio.com`` to
    another base URL. Authentication, form encoding, headers and timeouts are left to the library."""

    def __init__(self, api_base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.api_base_url = api_base_url.rstrip("/")

    def request(self, method: str, url: str, *args, **kwargs) -> Response:
        return super().request(method, self.rewrite(url), *args, **kwargs)

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or not TWILIO_API_HOST.fullmatch(parts.hostname or ""):
            # Sending the credentials somewhere nobody configured would be worse than failing.
            raise ValueError(f"TWILIO_API_BASE_URL only stands in for api.twilio.com, not {parts.hostname}")
        return self.api_base_url + parts.path + (f"?{parts.query}" if parts.query else "")


class TwilioBackend:
    """A ``ChannelBackend`` sending through Twilio. Not transactional: a text Twilio took stays sent."""

    name = "twilio"
    transactional = False

    def __init__(self, account_sid: str, auth_token: str, *, status_callback_url: str,
                 messaging_service_sid: str | None = None, from_number: str | None = None,
                 api_base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        if bool(messaging_service_sid) == bool(from_number):
            raise ValueError("give exactly one of messaging_service_sid and from_number")
        self.status_callback_url = status_callback_url
        self.sender = ({"messaging_service_sid": messaging_service_sid} if messaging_service_sid
                       else {"from_": from_number})
        # No retries at the HTTP level: a retried POST whose first answer was lost would text twice.
        self.http_client = (ApiBaseUrlHttpClient(api_base_url, timeout=timeout) if api_base_url
                            else TwilioHttpClient(timeout=timeout))
        self.client = Client(account_sid, auth_token, http_client=self.http_client)

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> str:
        """Hand one text to Twilio; returns the message SID ("SM…"). Raises ``TwilioSendFailed``."""
        try:
            message = self.client.messages.create(to=to, body=body, status_callback=self.status_callback_url,
                                                  **self.sender)
        except (TwilioRestException, TwilioServiceException) as error:
            failure = refusal(error)
        except requests.RequestException as error:
            failure = unreachable(error)
        else:
            log.info("Twilio took %s for invitation %s as %s", kind, invitation_id, message.sid)
            return message.sid
        log.warning("Twilio did not take %s for invitation %s: %s (code %s, HTTP %s)", kind, invitation_id,
                    failure.kind, failure.code, failure.status)
        raise failure

    def close(self) -> None:
        """Close pooled connections (the backend is unusable afterwards)."""
        if self.http_client.session is not None:
            self.http_client.session.close()


def refusal(error: TwilioRestException | TwilioServiceException) -> TwilioSendFailed:
    """What a Twilio error answer means for this text. Twilio's own message is not kept: it
    may contain the phone number."""
    status, code = error.status, error.code
    more = f"(Twilio error {code}, HTTP {status})"
    if code in OPTED_OUT:
        return TwilioSendFailed(f"The number has opted out of our texts (replied STOP); it gets none until it "
                                f"replies START. {more}", True, kind="opted_out", code=code, status=status)
    if code in INVALID_NUMBER:
        what = "not a mobile number, so it cannot receive texts" if code == 21614 else "not a valid phone number"
        return TwilioSendFailed(f"Twilio says the number is {what}: check it on the family's record. {more}",
                                True, kind="invalid_number", code=code, status=status)
    if status == 429 or code in TOO_MANY_REQUESTS:
        return TwilioSendFailed(f"Twilio asked us to send more slowly; the text will be tried again later. {more}",
                                False, kind="temporary", code=code, status=status)
    if status >= 500:
        return TwilioSendFailed(f"Twilio had a problem of its own; the text will be tried again later. {more}",
                                False, kind="temporary", code=code, status=status)
    if status in (401, 403) or code in CONFIGURATION:
        return TwilioSendFailed(f"Twilio refused our account or sender settings: an administrator must check the "
                                f"TWILIO_ settings. The text will be tried again later. {more}",
                                False, kind="configuration", code=code, status=status)
    return TwilioSendFailed(f"Twilio refused the text; see https://www.twilio.com/docs/errors/{code}. {more}",
                            True, kind="rejected", code=code, status=status)


def unreachable(error: requests.RequestException) -> TwilioSendFailed:
    """No answer from Twilio. Either the request never left (try again later) or it left and the
    answer was lost: then Twilio may have sent the text, and trying again could text a family twice."""
    if _may_have_arrived(error):
        return TwilioSendFailed("The connection to Twilio broke before it answered, so the text may or may not "
                                "have been sent. It is not tried again automatically: check Twilio's message log.",
                                True, kind="unknown")
    return TwilioSendFailed("Could not reach Twilio; nothing was sent and the text will be tried again later.",
                            False, kind="temporary")


def _may_have_arrived(error: requests.RequestException) -> bool:
    if isinstance(error, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.ProtocolError)  # connection dropped after the request went


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    messaging_service_sid: str | None = None
    from_number: str | None = None
    #: Unset: Twilio itself. For tests and for a Twilio-compatible gateway.
    api_base_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], production: bool = False) -> "TwilioSettings":
        """Read and check the ``TWILIO_*`` variables; a bad one raises ``ConfigurationError``."""
        def value(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        account_sid, auth_token = value("TWILIO_ACCOUNT_SID"), value("TWILIO_AUTH_TOKEN")
        if not account_sid or not ACCOUNT_SID.fullmatch(account_sid):
            raise ConfigurationError("TWILIO_ACCOUNT_SID must be the account SID from the Twilio console "
                                     "(AC followed by 32 hexadecimal characters).")
        if not auth_token:
            raise ConfigurationError("TWILIO_AUTH_TOKEN is not set: copy it from the Twilio console.")
        service, sender = value("TWILIO_MESSAGING_SERVICE_SID"), value("TWILIO_FROM_NUMBER")
        if bool(service) == bool(sender):
            raise ConfigurationError("Set exactly one of TWILIO_MESSAGING_SERVICE_SID (recommended) and "
                                     "TWILIO_FROM_NUMBER.")
        if service and not MESSAGING_SERVICE_SID.fullmatch(service):
            raise ConfigurationError("TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 hexadecimal characters.")
        if sender and not SENDER.fullmatch(sender):
            raise ConfigurationError("TWILIO_FROM_NUMBER must be a number in international form, e.g. "
                                     "+447700900123, or an alphanumeric sender ID of at most 11 characters.")
        base_url = value("TWILIO_API_BASE_URL")
        if base_url:
            base_url = base_url.rstrip("/")
            scheme = urlsplit(base_url).scheme
            if scheme not in ("http", "https") or not urlsplit(base_url).hostname:
                raise ConfigurationError("TWILIO_API_BASE_URL must be an address like https://gateway.example.org.")
            if production and scheme != "https":
                raise ConfigurationError("TWILIO_API_BASE_URL must start with https:// in production: "
                                         "the auth token is sent with every request.")
        return cls(account_sid, auth_token, service, sender, base_url)


def twilio_backend_from_settings(settings, environ: Mapping[str, str] | None = None) -> TwilioBackend:
    """A ``TwilioBackend`` for the app's ``Settings`` (their ``twilio`` part, read and checked at
    start-up) or, given ``environ``, for the ``TWILIO_*`` variables there. Refuses to start without
    ``FEEDBACK_PUBLIC_BASE_URL``: Twilio reports delivery there."""
    twilio = getattr(settings, "twilio", None) if environ is None else None
    if twilio is None:
        twilio = TwilioSettings.from_env(os.environ if environ is None else environ, settings.production)
    if not settings.public_base_url:
        raise ConfigurationError("FEEDBACK_PUBLIC_BASE_URL is not set: Twilio needs the public address to "
                                 "report whether each text was delivered.")
    return TwilioBackend(twilio.account_sid, twilio.auth_token,
                         status_callback_url=settings.public_base_url + STATUS_CALLBACK_PATH,
                         messaging_service_sid=twilio.messaging_service_sid, from_number=twilio.from_number,
                         api_base_url=twilio.api_base_url)

