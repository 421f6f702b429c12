"""Handing emails to a real SMTP server, and what each way of failing means to the dispatcher."""
from __future__ import annotations

import pytest

from feedback.mail.backends import OutboxMailer, SmtpMailer, mailer_for
from feedback.mail.compose import invitation_email
from feedback.waves.channels import SendFailed
from tests.mail.conftest import PASSWORD, SENDER, USERNAME, MailServer, free_port

LINK = "https://feedback.example.org/s/" + "L" * 32
UNSUBSCRIBE = "https://feedback.example.org/u/" + "U" * 32


def email_to(app, to: str = "Pat Head <pat@riverside.example.org>"):
    with app.app_context():
        return invitation_email(to=to, language="en", kind="invitation", link=LINK, minutes=10,
                                organisation="Northbridge Family Support", sender=SENDER,
                                reply_to="replies@northbridge.example.org", unsubscribe_url=UNSUBSCRIBE,
                                domain="northbridge.example.org")


def failure(server: MailServer, message, **settings) -> SendFailed:
    with pytest.raises(SendFailed) as caught:
        SmtpMailer(server.settings(**settings), ssl_context=server.client_context).send(message)
    return caught.value


def test_the_server_receives_the_email_as_composed(app, mail_server):
    message = email_to(app)
    SmtpMailer(mail_server.settings()).send(message)
    [received] = mail_server.handler.received
    assert received.mail_from == "surveys@northbridge.example.org"
    assert received.rcpt_tos == ["pat@riverside.example.org"]
    got = received.message
    assert got["From"] == SENDER and got["To"] == "Pat Head <pat@riverside.example.org>"
    assert got["Message-ID"] == message["Message-ID"] and got["Message-ID"].endswith("@northbridge.example.org>")
    assert got["Reply-To"] == "replies@northbridge.example.org"
    # Folded onto its own line (it is long), which readers unfold: compared without the fold's space.
    assert got["List-Unsubscribe"].strip() == f"<{UNSUBSCRIBE}>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["Auto-Submitted"] == "auto-generated"
    assert got.get_content_type() == "multipart/alternative"
    for subtype in ("plain", "html"):
        body = got.get_body(preferencelist=(subtype,)).get_content()
        assert LINK in body and UNSUBSCRIBE in body and "Northbridge Family Support" in body


def test_a_line_starting_with_a_dot_arrives_unchanged(app, mail_server):
    # DATA ends at a line holding only a dot, so the client must double leading dots (RFC 5321 4.5.2).
    message = email_to(app)
    message.get_body(preferencelist=("plain",)).set_content("first\n.\n.second\nlast\n")
    SmtpMailer(mail_server.settings()).send(message)
    [received] = mail_server.handler.received
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == "first\n.\n.second\nlast\n"


def test_starttls_then_login_with_the_right_password(app, starttls_server):
    SmtpMailer(starttls_server.settings(starttls=True, username=USERNAME, password=PASSWORD),
               ssl_context=starttls_server.client_context).send(email_to(app))
    [received] = starttls_server.handler.received
    assert received.tls and received.authenticated


def test_implicit_tls(app, smtps_server):
    SmtpMailer(smtps_server.settings(ssl=True), ssl_context=smtps_server.client_context).send(email_to(app))
    [received] = smtps_server.handler.received
    assert received.tls


def test_an_address_the_server_refuses_is_a_permanent_invalid_address(app, mail_server):
    mail_server.handler.refuse["pat@riverside.example.org"] = "550 5.1.1 No such user here"
    refused = failure(mail_server, email_to(app))
    assert (refused.kind, refused.permanent, refused.code) == ("invalid_address", True, 550)
    assert "No such user here" in str(refused)
    assert mail_server.handler.received == []


def test_a_temporary_refusal_is_tried_again_later(app, mail_server):
    mail_server.handler.refuse["pat@riverside.example.org"] = "451 4.3.0 Mailbox busy, try later"
    refused = failure(mail_server, email_to(app))
    assert (refused.kind, refused.permanent, refused.code) == ("temporary", False, 451)


def test_a_connection_dropped_after_the_email_went_leaves_the_send_in_doubt(app, mail_server):
    mail_server.handler.drop_after_data = True
    refused = failure(mail_server, email_to(app))
    assert (refused.kind, refused.permanent) == ("unknown", False)
    assert "may have gone" in str(refused)


def test_a_wrong_password_stops_every_send_as_a_configuration_problem(app, starttls_server):
    refused = failure(starttls_server, email_to(app), starttls=True, username=USERNAME, password="wrong")
    assert (refused.kind, refused.permanent, refused.code) == ("configuration", True, 535), str(refused)
    assert "FEEDBACK_SMTP_PASSWORD" in str(refused)
    assert starttls_server.handler.received == []


def test_sending_without_logging_in_where_login_is_required_is_a_configuration_problem(app, starttls_server):
    # The server answers MAIL FROM with 530: the sender is refused, for every email alike.
    refused = failure(starttls_server, email_to(app), starttls=True)
    assert (refused.kind, refused.permanent, refused.code) == ("configuration", True, 530)


def test_a_server_not_listening_is_temporary(app):
    refused = failure(MailServer(free_port(), None), email_to(app))
    assert (refused.kind, refused.permanent) == ("temporary", False)
    assert "could not reach the mail server" in str(refused)


def test_a_certificate_the_system_does_not_trust_is_refused_before_anything_is_sent(app, starttls_server):
    # No ssl_context: the system's authorities, which do not know the test certificate.
    with pytest.raises(SendFailed) as caught:
        SmtpMailer(starttls_server.settings(starttls=True, username=USERNAME, password=PASSWORD)).send(email_to(app))
    assert (caught.value.kind, caught.value.permanent) == ("temporary", False)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value) or "certificate" in str(caught.value).lower()
    assert starttls_server.handler.received == []


def test_the_settings_choose_the_mailer(mail_server):
    assert isinstance(mailer_for(mail_server.settings(backend="outbox")), OutboxMailer)
    smtp = mailer_for(mail_server.settings())
    assert isinstance(smtp, SmtpMailer) and (smtp.name, smtp.transactional) == ("smtp", False)
    assert (OutboxMailer.name, OutboxMailer.transactional) == ("outbox", True)
