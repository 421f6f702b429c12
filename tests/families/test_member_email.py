"""A family member's email address, as staff record it: checked, stored encrypted, masked on the
family page, and used by the planner when the member chooses a link by email."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.families.display import mask_email
from feedback.families.models import Family, Member
from feedback.families.service import add_member, create_family, record_consent
from feedback.mail.models import EmailMessage
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation
from tests.conftest import table_count
from tests.families.test_views import audit, post_form, question_with, states
from tests.staff.scene import client_as

ADDRESS = "sam.jones@example.org"
#: What a member's row holds in the database, read past the ORM and its decrypting column type.
MEMBERS_TABLE = sa.table("members", sa.column("id"), sa.column("email"))


def new_member_fields(**changes) -> dict:
    return {"role": "father", "name": "Sam", "birth-year": "1984", "birth-month": "6", "language": "en",
            "channel": "email_link", "email_address": ADDRESS, **changes}


@pytest.fixture
def sam(app, scene, practitioner) -> int:
    """A father recorded through the page with an address and a link by email; his id."""
    assert post_form(practitioner, f"/staff/families/{scene.family}/members/new",
                     **new_member_fields()).status_code == 302
    with app.app_context():
        return db.session.scalar(sa.select(Member.id).filter_by(name="Sam"))


def edit(app, practitioner, scene, member_id: int, **data):
    with app.app_context():
        version = db.session.get(Member, member_id).version
    fields = {key: value for key, value in new_member_fields().items() if key != "email_address"}
    return post_form(practitioner, f"/staff/families/{scene.family}/members/{member_id}/edit",
                     version=version, **{**fields, **data})


def member(app, member_id: int) -> Member:
    with app.app_context():
        found = db.session.get(Member, member_id)
        db.session.expunge(found)
        return found


def test_an_address_is_stored_encrypted_in_one_form_with_its_lookup_digest(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new",
                       **new_member_fields(email_address="  Sam.Jones@Example.ORG "))
    assert result.status_code == 302
    with app.app_context():
        sam = db.session.scalar(sa.select(Member).filter_by(name="Sam"))
        assert (sam.email, sam.channel) == (ADDRESS, "email_link")
        assert sam.email_digest == lookup_digest(ADDRESS)
        stored = db.session.scalar(sa.select(MEMBERS_TABLE.c.email).where(MEMBERS_TABLE.c.id == sam.id))
        # Not the address, nor a recognisable piece of it. (Pieces as short as "sam" turn up by
        # chance in about one ciphertext in 300, base64's letters in either case.)
        assert stored and ADDRESS not in stored.lower() and "sam.jones" not in stored.lower()
        assert "example.org" not in stored.lower()


def test_an_invalid_address_is_shown_next_to_the_email_field_and_nothing_is_saved(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new",
                       **new_member_fields(email_address="sam@", channel="sms_link"))
    assert result.status_code == 422
    assert "Enter an email address like name@example.org." in question_with(result.get_data(as_text=True),
                                                                             "email_address")
    with app.app_context():
        assert table_count(Member, family_id=scene.family) == 2


def test_a_link_by_email_needs_an_address(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new",
                       **new_member_fields(email_address=""))
    assert result.status_code == 422
    assert "Enter an email address to contact this member by email, or choose another way" in question_with(
        result.get_data(as_text=True), "email_address")
    with app.app_context():
        assert table_count(Member, family_id=scene.family) == 2


def test_the_address_is_masked_on_the_family_page_unless_asked_for_and_asking_is_audited(app, world, scene, sam,
                                                                                           practitioner):
    html = practitioner.get(f"/staff/families/{scene.family}").get_data(as_text=True)
    assert "s…@example.org" in html and ADDRESS not in html
    assert f'href="/staff/families/{scene.family}?show=email"' in html  # ids in links, never the address
    assert audit(app, "member.viewed") == []
    # The numbers alone do not show the address.
    assert ADDRESS not in practitioner.get(f"/staff/families/{scene.family}?show=phone").get_data(as_text=True)
    assert {e.detail["shown"] for e in audit(app, "member.viewed")} == {"phone"}
    shown = practitioner.get(f"/staff/families/{scene.family}?show=email").get_data(as_text=True)
    assert ADDRESS in shown
    [viewed] = [e for e in audit(app, "member.viewed") if e.detail["shown"] == "email"]
    assert (viewed.subject_id, viewed.actor_id, viewed.site_id) == (sam, world["practitioner_north"], world["north"])


def test_the_edit_page_never_shows_the_address_and_a_blank_field_keeps_it(app, scene, sam, practitioner):
    page = practitioner.get(f"/staff/families/{scene.family}/members/{sam}/edit").get_data(as_text=True)
    assert ADDRESS not in page and "s…@example.org" in page
    assert edit(app, practitioner, scene, sam, name="Samuel").status_code == 302
    assert (member(app, sam).name, member(app, sam).email) == ("Samuel", ADDRESS)


def test_the_address_is_removed_only_when_asked_and_not_while_email_is_the_way_to_contact(app, scene, sam,
                                                                                          practitioner):
    refused = edit(app, practitioner, scene, sam, remove_email="y")
    assert refused.status_code == 422
    assert "Enter an email address to contact this member by email" in question_with(
        refused.get_data(as_text=True), "email_address")
    assert member(app, sam).email == ADDRESS
    assert edit(app, practitioner, scene, sam, remove_email="y", channel="interview").status_code == 302
    removed = member(app, sam)
    assert (removed.email, removed.email_digest, removed.channel) == (None, None, "interview")


def test_a_new_address_clears_the_mail_servers_refusal_but_not_the_unsubscribe(app, scene, sam, practitioner):
    with app.app_context():
        db.session.get(Member, sam).email_invalid = True
        db.session.get(Member, sam).email_opted_out_at = utcnow()
        db.session.commit()
    page = practitioner.get(f"/staff/families/{scene.family}").get_data(as_text=True)
    assert "(email address refused by the mail server)" in page and "(email unsubscribed)" in page
    # The same address typed again is no reason to think it works now.
    assert edit(app, practitioner, scene, sam, email_address=ADDRESS.upper()).status_code == 302
    assert member(app, sam).email_invalid is True
    assert edit(app, practitioner, scene, sam, email_address="sam@home.example.org").status_code == 302
    changed = member(app, sam)
    assert (changed.email, changed.email_digest) == ("sam@home.example.org", lookup_digest("sam@home.example.org"))
    assert changed.email_invalid is False and changed.email_opted_out_at is not None
    assert audit(app, "member.opted_in") == []


def test_staff_clearing_an_unsubscribe_is_audited_and_brings_the_invitations_back(app, world, scene, sam,
                                                                                 practitioner):
    with app.app_context():
        sam_member = db.session.get(Member, sam)
        record_consent(sam_member, "participation", "self", True, "v1", None)
        sam_member.email_opted_out_at = utcnow()
        db.session.commit()
    assert edit(app, practitioner, scene, sam, name="Sam again").status_code == 302  # re-plans
    assert {(state, reason) for _w, _i, state, reason in states(app, member_id=sam)} == {
        ("cancelled", "opted_out_email")}
    page = practitioner.get(f"/staff/families/{scene.family}/members/{sam}/edit").get_data(as_text=True)
    assert "They unsubscribed from emails on" in page and 'name="clear_email_opt_out"' in page
    assert edit(app, practitioner, scene, sam, clear_email_opt_out="y").status_code == 302
    assert member(app, sam).email_opted_out_at is None
    [cleared] = audit(app, "member.opted_in")
    assert (cleared.subject_id, cleared.actor_id, cleared.detail["channel"]) == (
        sam, world["practitioner_north"], "email")
    assert {(state, channel) for state, channel in invitations_of(app, sam)} == {("planned", "email_link")}


def invitations_of(app, member_id: int) -> set[tuple[str, str]]:
    with app.app_context():
        return set(db.session.execute(sa.select(Invitation.state, Invitation.channel).filter_by(member_id=member_id)))


def test_the_planner_invites_a_consenting_member_by_email_at_the_end_of_support(app, world):
    today = date.today()
    with app.app_context():
        family = create_family(world["north"], "N-9", world["kw_north"], entry_date=today - timedelta(days=200),
                               exit_date=today + timedelta(days=3))
        parent = add_member(family, "mother", "Ann", 1987, 2, "en", "email_link", None, email="ann@example.org")
        assert db.session.scalars(sa.select(Invitation).filter_by(member_id=parent.id)).all() == []
        record_consent(parent, "participation", "self", True, "v1", None)
        db.session.commit()
        exit_wave = db.session.scalars(sa.select(Invitation).filter_by(member_id=parent.id, wave="exit")).all()
        assert {(i.schedule_id, i.instrument_id, i.channel, i.state) for i in exit_wave} == {
            ("family-support", "exit-interview", "email_link", "planned"),
            ("family-support", "family-functioning", "email_link", "planned")}


def test_erasing_a_family_removes_the_emails_sent_to_its_members(app, world, scene, sam):
    with app.app_context():
        record_consent(db.session.get(Member, sam), "participation", "self", True, "v1", None)
        invitation_id = db.session.scalar(sa.select(Invitation.id).filter_by(member_id=sam))
        common = dict(kind="invitation", to_address=ADDRESS, to_digest=lookup_digest(ADDRESS), subject="Survey",
                      body_text="link", body_html="<p>link</p>")
        db.session.add_all([EmailMessage(invitation_id=invitation_id, message_id="<1@test>", **common),
                            EmailMessage(invitation_id=None, message_id="<2@test>", **common)])
        db.session.commit()
        assert table_count(EmailMessage) == 2
    assert post_form(client_as(app, "admin"), f"/staff/families/{scene.family}/erase",
                     case_ref="N-1").status_code == 302
    with app.app_context():
        assert db.session.get(Family, scene.family) is None
        assert table_count(EmailMessage) == 0


def test_mask_email_keeps_the_first_letter_and_the_domain():
    assert mask_email("jo.bloggs@example.org") == "j…@example.org"
    assert (mask_email(None), mask_email("nonsense")) == ("—", "***")
