"""The dispatcher sends invitations by email through a real SMTP server (aiosmtpd on 127.0.0.1):
planned from the wave's date, with working links, reminders that stop on unsubscribe, hard
bounces that mark the address, and a dropped connection that leaves the send in doubt, never
sent twice."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.families.models import Family, Member
from feedback.families.service import add_member, create_family, record_consent
from feedback.mail.backends import SmtpMailer
from feedback.mail.models import EmailMessage
from feedback.partners.models import PartnerAgency, PartnerContact
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.conftest import csrf_token
from tests.mail.conftest import mail_server  # noqa: F401  (the server fixture)
from tests.waves.seeding import sending_moment

#: Inside the partner survey's 2027 window (it opens on 1 March), a weekday noon in London.
MOMENT = sending_moment(date(2027, 3, 2))


@pytest.fixture
def contacts(app, world):
    """Three consenting contacts at one school; returns their ids by name."""
    with app.app_context():
        agency = PartnerAgency(name="Hill Street Primary", sector="education")
        ids = {}
        for name in ("rivers", "okafor", "singh"):
            address = f"{name}@school.example"
            person = PartnerContact(agency=agency, name=name.title(), role="practitioner", email=address,
                                    email_digest=lookup_digest(address), consent=True, active=True)
            db.session.add(person)
            db.session.flush()
            ids[name] = person.id
        db.session.commit()
        return ids


def dispatch(server, now):
    return dispatch_once(OutboxBackend(), now=now, mailer=SmtpMailer(server.settings()))


def invitation_of(contact_id: int) -> Invitation:
    return db.session.scalar(sa.select(Invitation).filter_by(contact_id=contact_id))


def path(url: str) -> str:
    return urlsplit(url).path


def test_the_yearly_wave_is_planned_and_emailed_once_with_its_headers_parts_and_a_working_link(
        app, client, contacts, mail_server):
    with app.app_context():
        result = dispatch(mail_server, MOMENT)
        assert result.sent == 3
        assert dispatch(mail_server, MOMENT + timedelta(minutes=5)).sent == 0  # once, however often it runs
        received = {got.rcpt_tos[0]: got for got in mail_server.handler.received}
        assert set(received) == {"rivers@school.example", "okafor@school.example", "singh@school.example"}
        message = received["rivers@school.example"].message
        stored = db.session.scalar(sa.select(EmailMessage).filter_by(to_digest=lookup_digest("rivers@school.example")))
        assert message["From"] == app.config["FEEDBACK_SETTINGS"].mail.sender
        assert message["To"] == "rivers@school.example"
        assert message["Message-ID"] == stored.message_id and stored.backend == "smtp" and stored.status == "sent"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        invitation = invitation_of(contacts["rivers"])
        link = f"/s/{invitation.link_token}"
        assert link in text and link in html and path(unsubscribe) in text and path(unsubscribe) in html
        assert "Northbridge Family Support" in text and "Northbridge Family Support" in html
        assert invitation.state == "sent" and invitation.anonymous and invitation.response_id is None
    page = client.get(link)
    assert page.status_code == 200 and "/begin" in page.get_data(as_text=True)


def test_reminders_follow_and_stop_when_the_one_click_unsubscribe_is_used(app, client, contacts, mail_server):
    with app.app_context():
        dispatch(mail_server, MOMENT)
        first = {got.rcpt_tos[0]: got.message for got in mail_server.handler.received}
        reminder_at = invitation_of(contacts["rivers"]).next_send_at
        assert reminder_at is not None and reminder_at >= MOMENT + timedelta(days=7)
        assert dispatch(mail_server, reminder_at).reminders == 3
        reminders = [got for got in mail_server.handler.received[3:]]
        assert len(reminders) == 3
        invitation = invitation_of(contacts["rivers"])
        [rivers] = [got.message for got in reminders if got.rcpt_tos == ["rivers@school.example"]]
        assert f"/s/{invitation.link_token}" in rivers.get_body(("plain",)).get_content()  # the same link
    unsubscribe = path(first["okafor@school.example"]["List-Unsubscribe"].strip("<>"))
    done = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with app.app_context():
        okafor = db.session.get(PartnerContact, contacts["okafor"])
        assert okafor.email_opted_out_at is not None
        assert invitation_of(contacts["okafor"]).next_send_at is None
        later = invitation_of(contacts["rivers"]).next_send_at
        before = len(mail_server.handler.received)
        dispatch(mail_server, later)
        went = [got.rcpt_tos[0] for got in mail_server.handler.received[before:]]
        assert "okafor@school.example" not in went and "rivers@school.example" in went
        # Next year's wave is not planned for an address that unsubscribed.
        dispatch(mail_server, sending_moment(date(2027, 4, 20)))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
            Invitation.contact_id == contacts["okafor"], Invitation.state == "planned")) == 0


def test_a_550_marks_the_address_failed_and_nothing_more_goes_to_it(app, contacts, mail_server):
    mail_server.handler.refuse["singh@school.example"] = "550 5.1.1 No such user"
    with app.app_context():
        result = dispatch(mail_server, MOMENT)
        assert result.sent == 2 and result.failed == 1
        singh = db.session.get(PartnerContact, contacts["singh"])
        assert singh.email_failed_at is not None and "550" in singh.email_failure
        invitation = invitation_of(contacts["singh"])
        assert (invitation.state, invitation.reason, invitation.pending_send) == ("failed", "email_invalid", None)
        mail_server.handler.refuse.clear()
        dispatch(mail_server, MOMENT + timedelta(days=8))
        assert "singh@school.example" not in [got.rcpt_tos[0] for got in mail_server.handler.received]


def test_a_dropped_connection_leaves_the_send_in_doubt_and_it_is_never_sent_again(app, contacts, mail_server):
    mail_server.handler.drop_after_data = True
    with app.app_context():
        dispatch(mail_server, MOMENT)
        invitations = [invitation_of(contact_id) for contact_id in contacts.values()]
        # Each email arrived whole and the server never answered: each may have been delivered.
        assert all(i.pending_send == "invitation" and i.send_started_at is not None for i in invitations)
        assert all(i.is_unknown(MOMENT + timedelta(minutes=11)) for i in invitations)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 0
        mail_server.handler.drop_after_data = False
        for hours in (1, 24, 24 * 8):
            dispatch(mail_server, MOMENT + timedelta(hours=hours))
        assert mail_server.handler.received == []  # a person decides (unknown sends), not the dispatcher
        assert all(invitation_of(contact_id).state == "due" for contact_id in contacts.values())


def test_a_family_member_who_chose_email_is_emailed_under_the_same_consent_rules_as_texts(app, world, mail_server):
    exit_day = MOMENT.date()
    with app.app_context():
        family = create_family(world["north"], "EM-1", None, entry_date=exit_day - timedelta(days=200),
                               exit_date=exit_day)
        member = add_member(family, "mother", "Jo", 1988, 4, "cy", "email_link", None)
        member.email, member.email_digest = "jo@home.example", lookup_digest("jo@home.example")
        record_consent(member, "participation", "self", True, "v1", None)
        db.session.commit()
        member_id = member.id
        result = dispatch(mail_server, MOMENT)
        invitations = db.session.scalars(sa.select(Invitation).filter_by(member_id=member_id, wave="exit")).all()
        # No consent to be emailed yet: cancelled with that reason, nothing sent.
        assert invitations and {i.reason for i in invitations} == {"no_email_consent"}
        assert result.sent == 0 and mail_server.handler.received == []
        member = db.session.get(Member, member_id)
        record_consent(member, "email", "self", True, "v1", None)
        from feedback.waves.service import replan_family

        replan_family(db.session.get(Family, family.id), "consent recorded")
        db.session.commit()
        assert dispatch(mail_server, MOMENT + timedelta(minutes=1)).sent == len(invitations)
        received = mail_server.handler.received
        sent_links = set(db.session.scalars(sa.select(Invitation.link_token).filter_by(member_id=member_id,
                                                                                        state="sent")))
        assert len(received) == len(sent_links) == len(invitations)
        emailed_links = set()
        for got in received:
            assert got.rcpt_tos == ["jo@home.example"] and got.message["Content-Language"] in (None, "cy")
            text = got.message.get_body(("plain",)).get_content()
            # Each email carries exactly one of the sent invitations' links; which invitation a
            # database returns first is not fixed, so match by link, not by position.
            found = {link for link in sent_links if f"/s/{link}" in text}
            assert len(found) == 1, text
            emailed_links |= found
        assert emailed_links == sent_links
