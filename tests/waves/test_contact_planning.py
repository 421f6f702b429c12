"""Partner contacts' invitations for date-anchored waves, in the database: planned once per year,
re-planned and cancelled as the contact changes, and the next year's planned when this one closes."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.partners.models import PartnerAgency, PartnerContact
from feedback.waves.models import Invitation, InvitationEvent
from feedback.waves.service import plan_date_waves, replan_contact


@pytest.fixture
def contact(app, world):
    with app.app_context():
        agency = PartnerAgency(name="Hill Street Primary", sector="education")
        person = PartnerContact(agency=agency, name="Ms Rivers", role="practitioner", email="rivers@school.example",
                                email_digest=lookup_digest("rivers@school.example"), consent=True, active=True)
        db.session.add_all([agency, person])
        db.session.commit()
        return person.id


def invitations(contact_id: int) -> list[Invitation]:
    return db.session.scalars(db.select(Invitation).filter_by(contact_id=contact_id).order_by(Invitation.due_on)).all()


def test_a_consenting_contact_is_invited_to_this_years_partner_survey_by_email_anonymously(app, contact):
    with app.app_context():
        person = db.session.get(PartnerContact, contact)
        assert replan_contact(person, "contact added", today=date(2027, 2, 1))["planned"] == 1
        db.session.commit()
        [invitation] = invitations(contact)
        assert (invitation.family_id, invitation.member_id, invitation.recipient_key) == (None, None, f"c{contact}")
        assert (invitation.schedule_id, invitation.wave, invitation.instrument_id) == (
            "partner-survey", "annual", "partner-survey")
        assert invitation.channel == "email_link" and invitation.anonymous and invitation.state == "planned"
        assert invitation.due_on == date(2027, 3, 1)
        # Local midnight in London (GMT in March) to local midnight after 12 April (BST: 23:00 UTC).
        assert (invitation.opens_at, invitation.closes_at) == (datetime(2027, 3, 1), datetime(2027, 4, 12, 23))
        assert invitation.next_send_at == datetime(2027, 3, 1, 9)  # quiet hours end at 09:00
        # Planning again changes nothing.
        assert replan_contact(person, "again", today=date(2027, 2, 20)) == {
            "planned": 0, "replanned": 0, "cancelled": 0, "revived": 0}


def test_next_years_wave_is_planned_once_this_years_window_has_closed(app, contact):
    with app.app_context():
        plan_date_waves(date(2027, 2, 1))
        plan_date_waves(date(2027, 3, 15))  # inside the window: the same instance
        assert [i.due_on for i in invitations(contact)] == [date(2027, 3, 1)]
        plan_date_waves(date(2027, 4, 13))  # the day after it closed
        assert [i.due_on for i in invitations(contact)] == [date(2027, 3, 1), date(2028, 3, 1)]
        plan_date_waves(date(2027, 4, 13))
        assert len(invitations(contact)) == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(InvitationEvent)) == 2


@pytest.mark.parametrize("change, reason", [
    (dict(consent=False), "no_contact_consent"),
    (dict(active=False), "contact_inactive"),
    (dict(email=None, email_digest=None), "no_email"),
    (dict(email_opted_out_at=datetime(2027, 2, 2)), "opted_out_email"),
    (dict(email_failed_at=datetime(2027, 2, 2)), "email_invalid"),
])
def test_a_waiting_invitation_is_cancelled_with_the_reason_and_comes_back_when_it_goes(app, contact, change, reason):
    with app.app_context():
        person = db.session.get(PartnerContact, contact)
        replan_contact(person, "contact added", today=date(2027, 2, 1))
        before = {name: getattr(person, name) for name in change}
        for name, value in change.items():
            setattr(person, name, value)
        assert replan_contact(person, "contact edited", today=date(2027, 2, 2))["cancelled"] == 1
        [invitation] = invitations(contact)
        assert (invitation.state, invitation.reason) == ("cancelled", reason)
        for name, value in before.items():
            setattr(person, name, value)
        assert replan_contact(person, "contact edited", today=date(2027, 2, 3))["revived"] == 1
        assert invitations(contact)[0].state == "planned"


def test_an_inactive_agency_stops_its_contacts_invitations(app, contact):
    with app.app_context():
        person = db.session.get(PartnerContact, contact)
        replan_contact(person, "contact added", today=date(2027, 2, 1))
        person.agency.active = False
        replan_contact(person, "agency closed", today=date(2027, 2, 1))
        assert invitations(contact)[0].reason == "contact_inactive"
