"""A fake of Twilio's REST API for sending texts, on 127.0.0.1, for the real ``twilio`` library.

What it fakes: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` only. Like Twilio it
checks HTTP Basic auth (account SID and auth token; 401 with error 20003), refuses another
account's path (404, 20404), reads the form body, checks the parameters Twilio requires (To:
21604; Body: 21602; From or MessagingServiceSid: 21603; a To that is not E.164: 21211) and answers
201 with a message resource ("SM" + 32 hex sid, status "queued", or "accepted" when a Messaging
Service picks the sender, and ``from`` then null). Every request is recorded, answered or not.
It can be told to fail for one number or for the next N requests, with Twilio's error JSON
(``{"code", "message", "more_info", "status"}``), or to hang up without answering.

What it does not fake: any other resource (404), GET/listing, media, scheduling, delivery
status callbacks (nothing is ever POSTed to StatusCallback), real segment counting beyond
GSM-7 vs UCS-2, rate limits other than when told, or the RFC 9457 errors of newer Twilio APIs.

Use::

    with FakeTwilio() as twilio:
        twilio.fail_number("+447700900001", 21610)
        backend = TwilioBackend(twilio.account_sid, twilio.auth_token, api_base_url=twilio.base_url, ...)
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-" + "0" * 16
MESSAGES_PATH = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")

#: Twilio's error codes this fake can answer with: HTTP status and Twilio's message.
ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number {to} is not a valid mobile number"),
}
HANG_UP = 0  # a scripted "failure" that closes the connection without answering


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]  # the first value of each field
    raw_body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[RecordedRequest] = field(default_factory=list)
    #: The message resources answered with 201, in order.
    created: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _by_number: dict[str, int] = field(default_factory=dict, repr=False)
    _next: deque = field(default_factory=deque, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeTwilio":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),  # quick to stop
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ---------------------------------------------------------------------------------
    def fail_number(self, to: str, code: int) -> None:
        """Every send to ``to`` fails with Twilio error ``code`` (a key of ``ERRORS``)."""
        with self._lock:
            self._by_number[to] = _known(code)

    def fail_next(self, code: int, times: int = 1) -> None:
        """The next ``times`` requests fail with ``code``, whatever they are (``HANG_UP``: no answer)."""
        with self._lock:
            self._next.extend([_known(code)] * times)

    def sent(self) -> list[RecordedRequest]:
        """The recorded requests, in order (a copy: the server may still be adding)."""
        with self._lock:
            return list(self.requests)

    # -- the API -----------------------------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> int | None:
        """Record a request; returns the scripted failure that applies to it, if any."""
        with self._lock:
            self.requests.append(request)
            if self._next:
                return self._next.popleft()
            return self._by_number.get(request.form.get("To", ""))

    def _answer(self, request: RecordedRequest, auth: str | None) -> tuple[int, dict]:
        scripted = self._record(request)
        if auth != "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode():
            return error(20003, detail="Your AccountSid or AuthToken was incorrect.")
        match = MESSAGES_PATH.fullmatch(urlsplit(request.path).path)
        if request.method != "POST" or not match or match["account"] != self.account_sid:
            return error(20404)
        if scripted == HANG_UP:
            return HANG_UP, {}
        if scripted is not None:
            return error(scripted, to=request.form.get("To", ""))
        form = request.form
        if not form.get("To"):
            return error(21604)
        if not E164.fullmatch(form["To"]):
            return error(21211, to=form["To"])
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return error(21603)
        if not form.get("Body"):
            return error(21602)
        message = self._message(form)
        with self._lock:
            self.created.append(message)
        return 201, message

    def _message(self, form: dict[str, str]) -> dict:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=False).replace("-0000", "+0000")
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        body = form["Body"]
        per_part = (160, 153) if set(body) <= GSM7 else (70, 67)
        segments = 1 if len(body) <= per_part[0] else -(-len(body) // per_part[1])
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": str(segments), "price": None, "price_unit": "USD", "sid": sid,
            "status": "queued" if form.get("From") else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"}, "to": form["To"], "uri": f"{uri}.json",
        }


def error(code: int, detail: str | None = None, to: str = "") -> tuple[int, dict]:
    """Twilio's error answer; like Twilio's, some messages repeat the number."""
    status, message = ERRORS[code]
    body = {"code": code, "message": message.format(to=to), "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}
    if detail:
        body["detail"] = detail
    return status, body


def _known(code: int) -> int:
    if code != HANG_UP and code not in ERRORS:
        raise ValueError(f"the fake does not know Twilio error {code}; add it to ERRORS")
    return code


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-twilio"

        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def _handle(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fields = parse_qs(raw.decode(), keep_blank_values=True)
            request = RecordedRequest(self.command, self.path, dict(self.headers.items()),
                                      {name: values[0] for name, values in fields.items()}, raw)
            status, payload = fake._answer(request, self.headers.get("Authorization"))
            if status == HANG_UP:
                self.close_connection = True
                return
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def log_message(self, format: str, *args) -> None:  # keep test output quiet
            pass

    return Handler
