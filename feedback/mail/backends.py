"""How an email leaves the app: kept in the database (the outbox) or handed to an SMTP server.

Written on the standard library's ``smtplib`` and ``email``: no extra dependency, and smtplib
exposes each reply code of the conversation, which is what tells the dispatcher what a failure
means. A 5xx to RCPT TO (or at the end of DATA) is a hard bounce: the address is refused. A 4xx,
or failing before MAIL FROM, is temporary: nothing was handed over, so trying later is safe. A
connection lost after the message began to go is in doubt: the server may have taken it, so the
dispatcher keeps the send "unknown" and never sends it again by itself. Flask-Mailman wraps the
same smtplib in ``sendmail`` and hides the stage at which a failure happened, so it cannot tell
the last two apart. Here the conversation is driven one command at a time (EHLO, STARTTLS,
AUTH, MAIL, RCPT, DATA) so each failure is known by its stage.

Failures raise ``waves.channels.SendFailed`` with ``kind``:

* ``invalid_address`` (permanent): the server refused the recipient;
* ``temporary``: a 4xx, or no connection, greeting, TLS or login (other than refused credentials)
  before MAIL FROM;
* ``configuration`` (permanent): credentials refused, no way to log in, or the sender refused:
  every email would fail alike, so the dispatcher stops;
* ``unknown``: the connection dropped or timed out after the message data began and before the
  server's final reply.
"""
from __future__ import annotations

import re
import smtplib
import ssl
from datetime import datetime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from io import BytesIO
from typing import Protocol

from ..config import MailSettings
from ..extensions import db
from ..waves.channels import SendFailed
from . import models


class Mailer(Protocol):
    name: str
    #: True when a send is only the database record (it rolls back with the transaction), as for
    #: ``ChannelBackend``: the dispatcher may then confirm a batch in one commit.
    transactional: bool

    def send(self, message: EmailMessage) -> None:
        """Send one email. Raises ``SendFailed`` when it did not (or may not have) gone."""


class OutboxMailer:
    """The default: nothing leaves the app. The record ``record_email`` keeps (shown to admins
    at /staff/emails) is the whole of the "sending"."""

    name = "outbox"
    transactional = True

    def send(self, message: EmailMessage) -> None:
        return None


class SmtpMailer:
    """Hands each email to the configured SMTP server over a connection of its own.

    One connection per email keeps every failure about one email, and a send never finds a
    connection the server closed while idle. ``ssl_context`` is for tests that trust their own
    certificate authority; otherwise the system's trusted authorities and hostname checking
    apply (``ssl.create_default_context``), and verification is never turned off.
    """

    name = "smtp"
    transactional = False

    def __init__(self, settings: MailSettings, *, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self.ssl_context = ssl_context

    def send(self, message: EmailMessage) -> None:
        sender = parseaddr(self.settings.sender)[1] or parseaddr(str(message["From"]))[1]
        recipients = [address for _name, address in getaddresses([str(v) for v in message.get_all("To", [])])]
        if not recipients:
            raise ValueError("the email has no To address")
        connection = self._connect()
        try:
            self._envelope(connection, sender, recipients)
            self._data(connection, message, international=not all(a.isascii() for a in (sender, *recipients)))
        except BaseException:
            connection.close()
            raise
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()  # the server has the email: a lost goodbye changes nothing

    def _connect(self) -> smtplib.SMTP:
        """A connection ready for MAIL FROM: greeted, encrypted and logged in as configured."""
        settings = self.settings
        context = self.ssl_context or ssl.create_default_context()
        connection = None
        try:
            if settings.ssl:
                connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
            else:
                connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            connection.ehlo_or_helo_if_needed()
            if settings.starttls and not settings.ssl:
                connection.starttls(context=context)
                connection.ehlo()
            if settings.username:
                self._login(connection)
            return connection
        except SendFailed:
            connection.close()
            raise
        except (smtplib.SMTPException, OSError) as error:
            if connection is not None:
                connection.close()
            raise SendFailed(f"could not reach the mail server {settings.host}:{settings.port} ({_describe(error)}); "
                             "nothing was sent, it will be tried again", False,
                             code=getattr(error, "smtp_code", None), kind="temporary") from error

    def _login(self, connection: smtplib.SMTP) -> None:
        try:
            connection.login(self.settings.username, self.settings.password)
        except smtplib.SMTPAuthenticationError as error:
            if 400 <= error.smtp_code < 500:
                raise  # "try later" from the server: temporary, as any failure before MAIL FROM
            raise SendFailed(f"the mail server refused the username and password ({_describe(error)}): check "
                             "FEEDBACK_SMTP_USERNAME and FEEDBACK_SMTP_PASSWORD", True,
                             code=error.smtp_code, kind="configuration") from error
        except smtplib.SMTPNotSupportedError as error:
            raise SendFailed("the mail server offers no way to log in (AUTH) on this connection: check "
                             "FEEDBACK_SMTP_STARTTLS / FEEDBACK_SMTP_SSL, or unset FEEDBACK_SMTP_USERNAME", True,
                             kind="configuration") from error
        except smtplib.SMTPException as error:
            if "authentication method" in str(error):  # no method both sides know
                raise SendFailed(f"could not log in to the mail server: {error}", True, kind="configuration") from error
            raise

    def _envelope(self, connection: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
        """MAIL FROM and RCPT TO. Nothing of the email has gone yet, whatever fails here."""
        try:
            code, reply = connection.mail(sender, _utf8_options(connection, sender, recipients))
            if code != 250:
                _polite_reset(connection)
                if 500 <= code < 600:
                    raise SendFailed(f"the mail server refused the sender {sender} ({code} {_text(reply)}): check "
                                     "FEEDBACK_MAIL_FROM", True, code=code, kind="configuration")
                raise SendFailed(f"the mail server cannot take email now ({code} {_text(reply)})", False,
                                 code=code, kind="temporary")
            for recipient in recipients:
                code, reply = connection.rcpt(recipient)
                if code not in (250, 251):
                    _polite_reset(connection)
                    if 500 <= code < 600:
                        raise SendFailed(f"the mail server refused the address ({code} {_text(reply)})", True,
                                         code=code, kind="invalid_address")
                    raise SendFailed(f"the mail server cannot take this email now ({code} {_text(reply)})", False,
                                     code=code, kind="temporary")
        except SendFailed:
            raise
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailed(f"the mail server went away before the email was sent ({_describe(error)}); "
                             "nothing was sent", False, code=getattr(error, "smtp_code", None),
                             kind="temporary") from error

    def _data(self, connection: smtplib.SMTP, message: EmailMessage, international: bool) -> None:
        try:
            code, reply = connection.docmd("DATA")
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailed(f"the mail server went away before the email was sent ({_describe(error)}); "
                             "nothing was sent", False, kind="temporary") from error
        if code != 354:
            _polite_reset(connection)
            _refused(code, reply)
        # From here the server may take the email at any moment: a failure leaves it in doubt.
        try:
            connection.send(_wire_bytes(message, international))
            code, reply = connection.getreply()
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailed(f"the connection to the mail server was lost while sending ({_describe(error)}): "
                             "the email may have gone; check the mail server's log before sending it again",
                             False, kind="unknown") from error
        if code != 250:
            _refused(code, reply)


def _refused(code: int, reply: bytes) -> None:
    """A refusal of the email at DATA, or at its end: the server says it did not take it."""
    if 500 <= code < 600:
        raise SendFailed(f"the mail server refused the email for this address ({code} {_text(reply)})", True,
                         code=code, kind="invalid_address")
    if 400 <= code < 500:
        raise SendFailed(f"the mail server cannot take this email now ({code} {_text(reply)})", False,
                         code=code, kind="temporary")
    raise SendFailed(f"the mail server answered {code} {_text(reply)}: the email may have gone", False,
                     code=code, kind="unknown")


def _utf8_options(connection: smtplib.SMTP, sender: str, recipients: list[str]) -> list[str]:
    if all(address.isascii() for address in (sender, *recipients)):
        return []
    if not connection.has_extn("smtputf8"):
        raise SendFailed("the address has letters outside ASCII and the mail server cannot take such "
                         "addresses (no SMTPUTF8)", True, kind="invalid_address")
    return ["SMTPUTF8", "BODY=8BITMIME"]


def _wire_bytes(message: EmailMessage, international: bool) -> bytes:
    """The message as DATA carries it: CRLF line ends, lines starting with a dot doubled, and the
    closing dot line (RFC 5321 4.1.1.4), as ``smtplib.SMTP.data`` writes it."""
    policy = message.policy.clone(linesep="\r\n", utf8=international)
    buffer = BytesIO()
    BytesGenerator(buffer, policy=policy).flatten(message, linesep="\r\n")
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", buffer.getvalue())
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _polite_reset(connection: smtplib.SMTP) -> None:
    """RSET after a refusal, so the server ends the transaction cleanly; errors are beside the point."""
    try:
        connection.rset()
    except (smtplib.SMTPException, OSError):
        pass


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def mailer_for(settings) -> Mailer:
    """The mailer the settings name (``FEEDBACK_MAIL_BACKEND``): the app's ``Settings`` or its
    ``MailSettings``."""
    mail: MailSettings = getattr(settings, "mail", settings)
    if mail.backend == "outbox":
        return OutboxMailer()
    if mail.backend == "smtp":
        return SmtpMailer(mail)
    raise ValueError(f"unknown mail backend {mail.backend!r}")


def record_email(message: EmailMessage, *, to_digest: str | None, kind: str, backend: str,
                 invitation_id: int | None, unsubscribe_hash: str | None, now: datetime) -> models.EmailMessage:
    """Keep a copy of an email that went (or, for the outbox, "went"), added to the session for
    the caller to commit with the send's other changes."""
    record = models.EmailMessage(
        invitation_id=invitation_id, kind=kind, to_address=str(message["To"]), to_digest=to_digest,
        subject=str(message["Subject"]), body_text=_part(message, "plain"), body_html=_part(message, "html"),
        message_id=str(message["Message-ID"]), unsubscribe_hash=unsubscribe_hash, created_at=now,
        backend=backend, status="sent" if backend == "smtp" else None)
    db.session.add(record)
    return record


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""
