"""The admins' record of emails: who may read it, that reading it is audited, and that an email's
HTML is shown as text, never drawn into the staff page."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.mail.models import EmailMessage
from feedback.timeutil import utcnow
from tests.conftest import sign_in

ATTACK = '<script>alert("x")</script><img src="https://tracker.example/p.gif">'


@pytest.fixture
def stored_emails(app):
    with app.app_context():
        now = utcnow()
        older = EmailMessage(kind="invitation", to_address="older@example.org", subject="Older", body_text="old",
                             body_html="<p>old</p>", message_id="<older@northbridge.example.org>", backend="outbox",
                             created_at=now - timedelta(days=1))
        newer = EmailMessage(kind="reminder", to_address="pat@riverside.example.org", subject="Newer",
                             body_text="Answer here: https://feedback.example.org/s/secret " + ATTACK,
                             body_html=f"<p>Answer</p>{ATTACK}", message_id="<newer@northbridge.example.org>",
                             backend="smtp", status="sent", created_at=now)
        db.session.add_all([older, newer])
        db.session.commit()
        return older.id, newer.id


def audit_events():
    return db.session.execute(sa.select(AuditEvent.action, AuditEvent.subject_type, AuditEvent.subject_id,
                                        AuditEvent.detail).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("role", ["practitioner_north", "manager_north", "researcher_north"])
def test_only_admins_may_read_the_emails(app, client, world, stored_emails, role):
    sign_in(client, f"{role}@example.org")
    assert client.get("/staff/emails").status_code == 403
    assert client.get(f"/staff/emails/{stored_emails[1]}").status_code == 403
    with app.app_context():
        assert audit_events() == []


def test_signed_out_is_sent_to_sign_in(client, stored_emails):
    response = client.get("/staff/emails")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_the_list_is_newest_first_and_audited(app, client, world, stored_emails):
    sign_in(client, "admin@example.org")
    home = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/emails"' in home  # in the admin's navigation
    page = client.get("/staff/emails")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("pat@riverside.example.org") < html.index("older@example.org")
    assert "secret" not in html  # bodies (and their links) only on an email's own page
    with app.app_context():
        assert audit_events() == [("emails.viewed", None, None, {"page": 1})]


def test_one_email_is_shown_in_full_with_its_html_escaped_and_audited(app, client, world, stored_emails):
    sign_in(client, "admin@example.org")
    _older, newer = stored_emails
    page = client.get(f"/staff/emails/{newer}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;newer@northbridge.example.org&gt;" in html and "Newer" in html and "pat@riverside.example.org" in html
    assert "https://feedback.example.org/s/secret" in html
    # The stored HTML appears only as escaped source: no script runs, no remote image loads.
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    with app.app_context():
        assert audit_events() == [("emails.viewed", "email_messages", newer, {})]


def test_an_email_that_does_not_exist_is_not_found(app, client, world, stored_emails):
    sign_in(client, "admin@example.org")
    assert client.get("/staff/emails/999999").status_code == 404
    with app.app_context():
        assert audit_events() == []
