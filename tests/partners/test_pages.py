"""The partner agency pages as a manager or researcher uses them: agencies, contacts, who may see what."""
from __future__ import annotations

import html as markup
import re

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.partners.models import PartnerAgency, PartnerContact
from tests.conftest import csrf_token, table_count
from tests.staff.scene import client_as, snapshot


def post_form(client, url, **data):
    """Open the page, then submit its form with the page's CSRF token and ``data``."""
    page = client.get(url)
    assert page.status_code == 200, url
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def audit(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).all()


def question_with(html: str, field_id: str) -> str:
    """The form question that holds the input ``field_id``: where its error must be shown."""
    start = html.rindex('<div class="question', 0, html.index(f'id="{field_id}"'))
    return markup.unescape(html[start:html.index("</div>", html.index(f'id="{field_id}"'))])


def contact_of(app, contact_id):
    with app.app_context():
        contact = db.session.get(PartnerContact, contact_id)
        db.session.expunge(contact)
        return contact


CONTACT = {"name": "Pat Practitioner", "role": "practitioner", "email": "  Pat.P@School.Example.ORG ",
           "consent": "yes", "active": "yes"}


def test_a_manager_records_an_agency_at_their_own_site_only(app, world):
    manager = client_as(app, "manager_north")
    page = manager.get("/staff/partners/new").get_data(as_text=True)
    assert "North Family Support" in page and "South Family Support" not in page
    response = post_form(manager, "/staff/partners/new", name=" Health Visiting North ", sector="health",
                         site_ids=world["north"], active="yes")
    assert response.status_code == 302
    # A site the manager does not have is not among the choices.
    refused = post_form(manager, "/staff/partners/new", name="Elsewhere", sector="health", site_ids=world["south"],
                        active="yes")
    assert refused.status_code == 422
    with app.app_context():
        agencies = db.session.scalars(sa.select(PartnerAgency)).all()
        assert [(a.name, a.sector, a.site_ids, a.active) for a in agencies] == [
            ("Health Visiting North", "health", {world["north"]}, True)]


def test_an_agency_needs_a_site(app, world):
    response = post_form(client_as(app, "researcher_north"), "/staff/partners/new", name="No Sites",
                         sector="police", active="yes")
    assert response.status_code == 422
    assert "Choose at least one site" in response.get_data(as_text=True)
    with app.app_context():
        assert table_count(PartnerAgency) == 0


def test_the_list_shows_each_visible_agency_with_sector_sites_and_contacts_but_no_addresses(app, world, agencies):
    page = client_as(app, "researcher_north").get("/staff/partners").get_data(as_text=True)
    assert "Northbridge Primary School" in page and "Bridge Housing" in page
    assert "Education" in page and "Housing" in page
    assert "North Family Support, South Family Support" in page  # the shared agency's sites
    assert "South Surgery" not in page  # south only
    assert "@" not in page
    assert not audit(app, "contacts.viewed")
    admin_page = client_as(app, "admin").get("/staff/partners").get_data(as_text=True)
    assert "South Surgery" in admin_page


@pytest.mark.parametrize("url", [
    "/staff/partners/{south}", "/staff/partners/{south}/edit", "/staff/partners/{south}/contacts/new",
    "/staff/partners/{south}/contacts/{gp}/edit", "/staff/partners/999999",
])
def test_another_sites_agency_is_not_found_as_if_it_did_not_exist(app, world, agencies, url):
    client = client_as(app, "manager_north")
    url = url.format(**agencies)
    assert client.get(url).status_code == 404
    with app.app_context():
        before = snapshot()
    token = csrf_token(client.get("/staff/partners/new").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token, **CONTACT, "sector": "health", "site_ids": world["north"]}
                       ).status_code in (404, 405)
    with app.app_context():
        assert snapshot() == before


def test_a_contact_named_through_another_agencys_address_is_not_found(app, world, agencies):
    # Both agencies are north's, but the contact belongs to the other one.
    client = client_as(app, "admin")
    assert client.get(f"/staff/partners/{agencies['shared']}/contacts/{agencies['head']}/edit").status_code == 404


def test_practitioners_are_refused_and_anonymous_visitors_sent_to_sign_in(app, world, agencies):
    practitioner = client_as(app, "practitioner_north")
    for url in ("/staff/partners", f"/staff/partners/{agencies['north']}", "/staff/partners/import"):
        assert practitioner.get(url).status_code == 403
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/staff/login" in response.location
    assert "Partner agencies" not in practitioner.get("/staff/").get_data(as_text=True)
    assert "Partner agencies" in client_as(app, "manager_north").get("/staff/").get_data(as_text=True)


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(app, world, agencies):
    client = client_as(app, "admin")
    with app.app_context():
        before = snapshot()
    for url, data in ((f"/staff/partners/{agencies['north']}/contacts/new", CONTACT),
                      ("/staff/partners/new", {"name": "X", "sector": "other", "site_ids": world["north"],
                                               "active": "yes"})):
        assert client.post(url, data=data).status_code == 400
    with app.app_context():
        assert snapshot() == before


def test_editing_a_shared_agency_keeps_the_sites_the_manager_does_not_have(app, world, agencies):
    manager = client_as(app, "manager_north")
    page = manager.get(f"/staff/partners/{agencies['shared']}/edit").get_data(as_text=True)
    assert "South Family Support" not in page and "1 site(s) you do not manage" in page
    response = post_form(manager, f"/staff/partners/{agencies['shared']}/edit", name="Bridge Housing Trust",
                         sector="housing", site_ids=world["north"], active="no")
    assert response.status_code == 302
    with app.app_context():
        agency = db.session.get(PartnerAgency, agencies["shared"])
        assert (agency.name, agency.site_ids, agency.active) == ("Bridge Housing Trust",
                                                                 {world["north"], world["south"]}, False)


def test_adding_a_contact_stores_the_address_in_lower_case_with_its_digest_audited_and_planned(
        app, world, agencies, replans):
    response = post_form(client_as(app, "manager_north"), f"/staff/partners/{agencies['north']}/contacts/new",
                         **CONTACT)
    assert response.status_code == 302
    assert response.location.endswith(f"/staff/partners/{agencies['north']}")
    with app.app_context():
        contact = db.session.scalar(sa.select(PartnerContact).filter_by(name="Pat Practitioner"))
        assert contact.email == "pat.p@school.example.org"
        assert contact.email_digest == lookup_digest("pat.p@school.example.org")
        assert contact.consent and contact.consent_recorded_at is not None and contact.active
        contact_id = contact.id
    [event] = audit(app, "contact.created")[-1:]
    assert (event.subject_id, event.actor_id, event.detail["via"]) == (contact_id, world["manager_north"], "page")
    assert replans == [(contact_id, "partner contact added")]


def test_an_invalid_email_is_shown_next_to_the_field_and_nothing_is_stored(app, world, agencies, replans):
    with app.app_context():
        before = snapshot()
    response = post_form(client_as(app, "researcher_north"), f"/staff/partners/{agencies['north']}/contacts/new",
                         **{**CONTACT, "email": "bob@"})
    assert response.status_code == 422
    assert "Enter an email address like name@example.org." in question_with(response.get_data(as_text=True),
                                                                               "email")
    with app.app_context():
        assert snapshot() == before
    assert replans == []


def test_an_address_the_agency_has_already_is_refused_next_to_the_field(app, world, agencies):
    response = post_form(client_as(app, "admin"), f"/staff/partners/{agencies['north']}/contacts/new",
                         **{**CONTACT, "email": "HEAD@school.example.org"})
    assert response.status_code == 422
    assert "already has a contact with this email address" in question_with(response.get_data(as_text=True), "email")
    with app.app_context():
        assert table_count(PartnerContact, agency_id=agencies["north"]) == 1


def test_changing_consent_dates_the_decision_and_is_audited_and_planned(app, world, agencies, replans):
    url = f"/staff/partners/{agencies['north']}/contacts/{agencies['head']}/edit"
    first = contact_of(app, agencies["head"]).consent_recorded_at
    client = client_as(app, "manager_north")
    same = post_form(client, url, name="Hana Head", role="manager", email="head@school.example.org", consent="yes",
                     active="yes")
    assert same.status_code == 302
    assert contact_of(app, agencies["head"]).consent_recorded_at == first
    assert not audit(app, "contact.changed") and replans == []

    changed = post_form(client, url, name="Hana Head", role="manager", email="New.Head@School.example.org",
                        consent="no", active="yes")
    assert changed.status_code == 302
    contact = contact_of(app, agencies["head"])
    assert not contact.consent and contact.consent_recorded_at > first
    assert (contact.email, contact.email_digest) == ("new.head@school.example.org",
                                                     lookup_digest("new.head@school.example.org"))
    [event] = audit(app, "contact.changed")
    assert event.detail["fields"] == ["consent", "email"]
    assert replans == [(agencies["head"], "partner contact changed")]


def test_opening_an_agencys_contacts_is_audited(app, world, agencies):
    page = client_as(app, "researcher_north").get(f"/staff/partners/{agencies['north']}")
    assert page.status_code == 200 and "head@school.example.org" in page.get_data(as_text=True)
    [event] = audit(app, "contacts.viewed")
    assert (event.subject_type, event.subject_id, event.actor_id) == ("partner_agencies", agencies["north"],
                                                                       world["researcher_north"])
    client_as(app, "admin").get(f"/staff/partners/{agencies['north']}/contacts/{agencies['head']}/edit")
    assert audit(app, "contacts.viewed")[-1].subject_type == "partner_contacts"


def test_no_address_appears_in_any_link_or_redirect(app, world, agencies):
    client = client_as(app, "admin")
    pages = ["/staff/partners", f"/staff/partners/{agencies['north']}",
             f"/staff/partners/{agencies['north']}/contacts/{agencies['head']}/edit", "/staff/partners/import"]
    for url in pages:
        for link in re.findall(r'(?:href|action)="([^"]*)"', client.get(url).get_data(as_text=True)):
            assert "@" not in markup.unescape(link) and "%40" not in link, (url, link)
    response = post_form(client, f"/staff/partners/{agencies['north']}/contacts/new", **CONTACT)
    assert "@" not in response.location and "%40" not in response.location


def test_an_agency_that_stops_working_with_the_service_has_its_contacts_replanned(app, world, agencies, replans):
    response = post_form(client_as(app, "researcher_north"), f"/staff/partners/{agencies['north']}/edit",
                         name="Northbridge Primary School", sector="education", site_ids=world["north"], active="no")
    assert response.status_code == 302
    assert replans == [(agencies["head"], "partner agency changed")]


def test_staff_may_clear_an_opt_out_when_the_contact_asks_to_be_emailed_again(app, world, agencies):
    from feedback.timeutil import utcnow

    with app.app_context():
        db.session.get(PartnerContact, agencies["head"]).email_opted_out_at = utcnow()
        db.session.commit()
    url = f"/staff/partners/{agencies['north']}/contacts/{agencies['head']}/edit"
    client = client_as(app, "manager_north")
    assert "clear their opt-out" in client.get(url).get_data(as_text=True)
    post_form(client, url, name="Hana Head", role="manager", email="head@school.example.org", consent="yes",
              active="yes", clear_opt_out="y")
    assert contact_of(app, agencies["head"]).email_opted_out_at is None
    assert audit(app, "contact.changed")[-1].detail["fields"] == ["email_opted_out_at"]
