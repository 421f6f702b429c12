"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the email channel's tests, and the people they email.

The server records what it receives and can be told to refuse an address for good (550) or for
now (451), or to drop the connection once the whole email has arrived, before it answers. The
TLS servers use a certificate made here, trusted through the ``ssl_context`` given to the mailer,
never by switching verification off; the STARTTLS server also requires AUTH.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from feedback.config import MailSettings

SENDER = "Northbridge Family Support <surveys@northbridge.example.org>"
USERNAME, PASSWORD = "feedback", "a long smtp password"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool


@dataclass
class Recorder:
    """The server's handler: keeps each email it accepted, and refuses as told."""

    received: list[Received] = field(default_factory=list)
    #: address → the reply to its RCPT TO, e.g. "550 5.1.1 No such user".
    refuse: dict[str, str] = field(default_factory=dict)
    drop_after_data: bool = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after_data:
            # The whole email has arrived; the client waits for the final reply and gets none.
            server.transport.close()
            return "250 OK"  # written to a closed connection: never reaches the client
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.original_content, policy=policy.default),
                                      server.transport.get_extra_info("ssl_object") is not None,
                                      bool(session.authenticated)))
        return "250 OK"


@dataclass
class MailServer:
    port: int
    handler: Recorder
    #: Trusts the server's certificate (the TLS servers); None for the plain one.
    client_context: ssl.SSLContext | None = None

    def settings(self, **changes) -> MailSettings:
        values = dict(backend="smtp", sender=SENDER, host="127.0.0.1", port=self.port, starttls=False, ssl=False,
                      timeout=5.0)
        values.update(changes)
        return MailSettings(**values)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "feedback test mail server")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


def _client_context(certificate) -> ssl.SSLContext:
    """What production does (the default context: verification and hostname checks on), trusting
    the test certificate instead of the system's authorities."""
    return ssl.create_default_context(cafile=str(certificate[0]))


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def _running(handler, **parameters):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **parameters)
    controller.start()
    return controller


@pytest.fixture
def mail_server():
    """A plain SMTP server, as a relay on the same machine would be."""
    handler = Recorder()
    controller = _running(handler)
    yield MailServer(controller.port, handler)
    controller.stop()


@pytest.fixture
def starttls_server(certificate):
    """An SMTP server that requires STARTTLS and then AUTH (user ``USERNAME``, ``PASSWORD``)."""
    handler = Recorder()
    controller = _running(handler, tls_context=_server_context(certificate), require_starttls=True,
                          auth_required=True, authenticator=_authenticator)
    yield MailServer(controller.port, handler, _client_context(certificate))
    controller.stop()


@pytest.fixture
def smtps_server(certificate):
    """An SMTP server with TLS from the first byte (port 465's way)."""
    handler = Recorder()
    controller = _running(handler, ssl_context=_server_context(certificate))
    yield MailServer(controller.port, handler, _client_context(certificate))
    controller.stop()


# -- the people emailed ---------------------------------------------------------------------------

TODAY = date.today()


def contact_invitation(contact_id: int, state: str, due_on: date, **values):
    """A partner contact's invitation, built as the planner would (no family)."""
    from feedback.timeutil import utcnow
    from feedback.waves.models import Invitation

    now = utcnow()
    return Invitation(family_id=None, contact_id=contact_id, schedule_id="partner-survey", wave="annual",
                      instrument_id="partner-survey", recipient_key=f"c{contact_id}", channel="email_link",
                      due_on=due_on, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=28),
                      state=state, created_at=now, updated_at=now, **values)


def member_invitation(family_id: int, member_id: int, wave: str, state: str, channel: str = "email_link", **values):
    from feedback.timeutil import utcnow
    from feedback.waves.models import Invitation

    now = utcnow()
    return Invitation(family_id=family_id, member_id=member_id, schedule_id="email-test", wave=wave,
                      instrument_id="household", recipient_key=f"m{member_id}", channel=channel, due_on=TODAY,
                      opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=28), state=state,
                      created_at=now, updated_at=now, **values)
