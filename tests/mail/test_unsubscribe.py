"""The links in a real email, used against the app: the survey link opens, and the unsubscribe
link (its page, its form and the one-click POST mail programs send) stops the emails."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Member
from feedback.mail.backends import SmtpMailer, record_email
from feedback.mail.compose import invitation_email
from feedback.mail.models import EmailMessage
from feedback.mail.unsubscribe import new_unsubscribe_token, unsubscribe
from feedback.partners.models import PartnerAgency, PartnerContact
from feedback.staff.models import Site
from feedback.survey.tokens import token_hash
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation, InvitationEvent
from tests.conftest import csrf_token
from tests.families.helpers import family_with_members
from tests.mail.conftest import SENDER, TODAY, contact_invitation, member_invitation

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def partner_contact(site_id: int, email: str) -> int:
    agency = PartnerAgency(name="Riverside Primary School", sector="education", sites=[db.session.get(Site, site_id)])
    contact = PartnerContact(agency=agency, name="Pat Head", role="manager", email=email, consent=True)
    db.session.add(contact)
    db.session.flush()
    return contact.id


def email_the_invitation(app, server, invitation_id: int, to: str, survey_token: str, language: str = "en"):
    """What the dispatcher does for an email invitation: compose, send over SMTP, record, commit.
    Returns the message as the server received it."""
    with app.app_context():
        token, digest = new_unsubscribe_token()
        message = invitation_email(to=to, language=language, kind="invitation", link=f"http://localhost/s/{survey_token}",
                                   minutes=10, organisation="Northbridge Family Support", sender=SENDER, reply_to="",
                                   unsubscribe_url=f"http://localhost/u/{token}", domain="northbridge.example.org")
        SmtpMailer(server.settings()).send(message)
        record_email(message, to_digest=None, kind="invitation", backend="smtp", invitation_id=invitation_id,
                     unsubscribe_hash=digest, now=utcnow())
        db.session.commit()
    return server.handler.received[-1].message


def unsubscribe_path(received) -> str:
    return urlsplit(received["List-Unsubscribe"].strip().strip("<>")).path


def contact_scene(app, world) -> dict:
    """A contact emailed for this year's survey (sent, a reminder to come), with next year's
    waiting, and another contact whose invitation must not change."""
    with app.app_context():
        contact = partner_contact(world["north"], "pat@riverside.example.org")
        other = partner_contact(world["north"], "sam@riverside.example.org")
        sent = contact_invitation(contact, "sent", TODAY, sent_at=utcnow(), next_send_at=utcnow() + timedelta(days=7))
        waiting = contact_invitation(contact, "planned", TODAY + timedelta(days=365),
                                     next_send_at=utcnow() + timedelta(days=365))
        others = contact_invitation(other, "due", TODAY, next_send_at=utcnow())
        db.session.add_all([sent, waiting, others])
        db.session.commit()
        return dict(contact=contact, other=other, sent=sent.id, waiting=waiting.id, others=others.id)


def test_the_links_in_a_received_email_work(app, client, world, mail_server, make_link):
    scene = contact_scene(app, world)
    _response, survey_token = make_link()
    received = email_the_invitation(app, mail_server, scene["sent"], "pat@riverside.example.org", survey_token)

    text = received.get_body(preferencelist=("plain",)).get_content()
    survey_url = next(line for line in text.splitlines() if "/s/" in line).strip()
    assert client.get(urlsplit(survey_url).path).status_code == 200

    path = unsubscribe_path(received)
    assert path in text and path in received.get_body(preferencelist=("html",)).get_content()
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop emails from us" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PartnerContact, scene["contact"]).email_opted_out_at is None  # looking changes nothing


def test_one_click_unsubscribes_the_contact_and_stops_their_invitations(app, client, world, mail_server, make_link):
    scene = contact_scene(app, world)
    received = email_the_invitation(app, mail_server, scene["sent"], "pat@riverside.example.org", make_link()[1])
    path = unsubscribe_path(received)

    # A mail program's one-click POST: no cookie, no CSRF token (RFC 8058).
    answer = client.post(path, data=ONE_CLICK)
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "Unsubscribed.\n"

    with app.app_context():
        contact = db.session.get(PartnerContact, scene["contact"])
        assert contact.email_opted_out_at is not None
        first_opt_out = contact.email_opted_out_at
        waiting = db.session.get(Invitation, scene["waiting"])
        assert (waiting.state, waiting.reason, waiting.next_send_at) == ("cancelled", "opted_out_email", None)
        sent = db.session.get(Invitation, scene["sent"])
        assert (sent.state, sent.next_send_at) == ("sent", None)  # already sent: only its reminders stop
        assert sent.events[-1].cause == "no more reminders: unsubscribed"
        others = db.session.get(Invitation, scene["others"])
        assert others.state == "due" and others.next_send_at is not None
        assert db.session.get(PartnerContact, scene["other"]).email_opted_out_at is None
        email = db.session.scalar(sa.select(EmailMessage))
        assert email.unsubscribed_at is not None and email.status == "sent" and email.backend == "smtp"
        events = db.session.scalar(sa.select(sa.func.count()).select_from(InvitationEvent))

    # A second use (a mail program retrying, or the person clicking again) is harmless.
    assert client.post(path, data=ONE_CLICK).status_code == 200
    with app.app_context():
        assert db.session.get(PartnerContact, scene["contact"]).email_opted_out_at == first_opt_out
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvitationEvent)) == events


def test_the_unsubscribe_form_needs_its_csrf_token(app, client, world, mail_server, make_link):
    scene = contact_scene(app, world)
    path = unsubscribe_path(email_the_invitation(app, mail_server, scene["sent"], "pat@riverside.example.org",
                                                 make_link()[1]))
    # A form post that is not exactly the one-click body is a browser's, and needs the token.
    for body in ({}, {"confirm": "yes"}, {**ONE_CLICK, "extra": "1"}, {"List-Unsubscribe": "one-click"}):
        assert client.post(path, data=body).status_code == 400
    with app.app_context():
        assert db.session.get(PartnerContact, scene["contact"]).email_opted_out_at is None

    page = client.get(path).get_data(as_text=True)
    done = client.post(path, data={"csrf_token": csrf_token(page)})
    assert done.status_code == 200 and "You will get no more emails from us" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PartnerContact, scene["contact"]).email_opted_out_at is not None


def test_an_unknown_token_is_the_ordinary_not_found_page(app, client, world, mail_server, make_link):
    scene = contact_scene(app, world)
    email_the_invitation(app, mail_server, scene["sent"], "pat@riverside.example.org", make_link()[1])
    missing = client.get("/nowhere").get_data(as_text=True)
    for token in ("A" * 32, "short", "x" * 300):
        assert client.get(f"/u/{token}").status_code == 404
        assert client.get(f"/u/{token}").get_data(as_text=True) == missing
        assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 404
    with app.app_context():
        assert not unsubscribe("A" * 32, utcnow())
        assert db.session.get(PartnerContact, scene["contact"]).email_opted_out_at is None


def test_a_member_unsubscribing_stops_their_emails_but_not_their_texts(app, client, world, mail_server, make_link):
    with app.app_context():
        family, (mother, child) = family_with_members(world["north"], world["kw_north"], "E-1")
        mother.email, mother.language = "mum@example.org", "cy"
        emailed = member_invitation(family.id, mother.id, "entry", "sent", sent_at=utcnow(),
                                    next_send_at=utcnow() + timedelta(days=7))
        waiting_email = member_invitation(family.id, mother.id, "exit", "planned", next_send_at=utcnow())
        waiting_text = member_invitation(family.id, mother.id, "follow-up", "planned", channel="sms_link",
                                         next_send_at=utcnow())
        childs = member_invitation(family.id, child.id, "exit", "planned", next_send_at=utcnow())
        db.session.add_all([emailed, waiting_email, waiting_text, childs])
        db.session.commit()
        ids = dict(mother=mother.id, child=child.id, emailed=emailed.id, waiting_email=waiting_email.id,
                   waiting_text=waiting_text.id, childs=childs.id)
        planned_texts = db.session.scalars(sa.select(Invitation.id).filter_by(
            member_id=mother.id, channel="sms_link", state="planned")).all()

    received = email_the_invitation(app, mail_server, ids["emailed"], "mum@example.org", make_link()[1], "cy")
    path = unsubscribe_path(received)
    page = client.get(path).get_data(as_text=True)
    assert 'lang="cy"' in page and "Atal negeseuon e-bost gennym ni" in page  # the email's language
    assert client.post(path, data=ONE_CLICK).status_code == 200

    with app.app_context():
        mother = db.session.get(Member, ids["mother"])
        assert mother.email_opted_out_at is not None and mother.opted_out_at is None  # texts still allowed
        assert db.session.get(Invitation, ids["waiting_email"]).reason == "opted_out_email"
        assert db.session.get(Invitation, ids["emailed"]).next_send_at is None
        for still in (ids["waiting_text"], ids["childs"], *planned_texts):
            assert db.session.get(Invitation, still).state == "planned"
        assert db.session.get(Member, ids["child"]).email_opted_out_at is None


def test_an_email_whose_invitation_is_gone_still_records_the_use(app, world):
    with app.app_context():
        token, digest = new_unsubscribe_token()
        assert digest == token_hash(token) and len(token) >= 32
        db.session.add(EmailMessage(kind="invitation", to_address="gone@example.org", subject="s", body_text="t",
                                    body_html="h", message_id="<gone@northbridge.example.org>",
                                    unsubscribe_hash=digest, backend="outbox"))
        db.session.commit()
        assert unsubscribe(token, utcnow())
        db.session.commit()
        assert db.session.scalar(sa.select(EmailMessage.unsubscribed_at)) is not None


def test_the_unsubscribe_link_is_rate_limited_per_address(client):
    # Page and POST share one allowance, so tokens cannot be tried in bulk either way.
    for _ in range(30):
        assert client.get("/u/" + "A" * 32).status_code == 404
    assert client.post("/u/" + "A" * 32, data=ONE_CLICK).status_code == 429
    assert client.get("/u/" + "A" * 32, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 404
