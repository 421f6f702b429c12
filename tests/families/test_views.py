"""The family pages as a practitioner (or an admin) uses them: recording, changing, consent, pauses, erasing."""
from __future__ import annotations

import html as markup
import re
from datetime import date, timedelta

import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import ContactPause, Family, Member
from feedback.families.service import update_family
from feedback.survey.models import Response
from feedback.waves.models import Invitation, InvitationEvent
from tests.conftest import csrf_token, page_text, table_count
from tests.staff.scene import ENTRY, client_as, form_token, snapshot

TODAY = date.today()


def post_form(client, url, **data):
    """Open the page, then submit its form with the page's CSRF token and ``data``."""
    page = client.get(url)
    assert page.status_code == 200, url
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def typed(name: str, day) -> dict:
    """A date as the three boxes of the date input: ``entry_date-day`` … (``day``: a date or "YYYY-MM-DD")."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def states(app, **filters):
    with app.app_context():
        return {(i.wave, i.instrument_id, i.state, i.reason)
                for i in db.session.scalars(sa.select(Invitation).filter_by(**filters))}


def audit(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).all()


def question_with(html: str, field_id: str) -> str:
    """The form question that holds the input ``field_id``: where its error must be shown."""
    start = html.rindex('<div class="question', 0, html.index(f'id="{field_id}"'))
    return markup.unescape(html[start:html.index("</div>", html.index(f'id="{field_id}"'))])


def test_recording_a_family_plans_its_invitations(app, world, practitioner):
    result = post_form(practitioner, "/staff/families/new", site_id=world["north"], case_ref=" N-7 ",
                       key_worker_id=world["kw_north"], **typed("entry_date", ENTRY))
    assert result.status_code == 302
    with app.app_context():
        family = db.session.scalar(sa.select(Family).filter_by(case_ref="N-7"))
        assert family.site_id == world["north"] and family.key_worker_id == world["kw_north"]
    assert result.location.endswith(f"/staff/families/{family.id}")
    assert ("entry", "practitioner-assessment", "planned", None) in states(app, family_id=family.id)
    assert "Family N-7 recorded." in practitioner.get(result.location).get_data(as_text=True)


def test_a_duplicate_case_reference_is_shown_with_the_form_and_nothing_is_saved(app, world, scene, practitioner):
    result = post_form(practitioner, "/staff/families/new", site_id=world["north"], case_ref="N-1",
                       key_worker_id="0", **typed("entry_date", "2026-02-01"))
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert "Case reference N-1 is already used at this site" in html
    # what was typed is kept
    assert re.search(r'id="entry_date-month" name="entry_date-month"[^>]*value="2"', html)
    with app.app_context():
        assert table_count(Family) == 2


def test_an_exit_date_before_the_entry_date_is_refused(app, world, practitioner):
    result = post_form(practitioner, "/staff/families/new", site_id=world["north"], case_ref="N-8", key_worker_id="0",
                       **typed("entry_date", "2026-03-01"), **typed("exit_date", "2026-02-01"))
    assert result.status_code == 422
    assert "Exit date must be after the entry date" in question_with(result.get_data(as_text=True), "exit_date-day")
    with app.app_context():
        assert table_count(Family) == 0


def test_the_key_worker_must_be_a_practitioner_of_the_familys_site(app, world):
    admin = client_as(app, "admin")
    result = post_form(admin, "/staff/families/new", site_id=world["south"], case_ref="S-9",
                       key_worker_id=world["kw_north"])
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert "not a practitioner at the family's site" in question_with(html, "key_worker_id")
    with app.app_context():
        assert table_count(Family) == 0


def test_a_practitioner_is_offered_only_their_own_sites_and_colleagues(app, world):
    html = client_as(app, "practitioner_south").get("/staff/families/new").get_data(as_text=True)
    assert "South Family Support" in html and "North Family Support" not in html
    assert "Practitioner South" in html and "Kw North" not in html


def test_changing_the_exit_date_plans_the_exit_waves(app, scene, practitioner):
    exit_on = TODAY + timedelta(days=20)
    result = post_form(practitioner, f"/staff/families/{scene.family}/edit", key_worker_id="0",
                       **typed("entry_date", ENTRY), **typed("exit_date", exit_on), status="open",
                       version=_version(app, Family, scene.family))
    assert result.status_code == 302
    planned = states(app, family_id=scene.family, member_id=scene.mother)
    assert ("exit-3m", "follow-up", "planned", None) in planned
    with app.app_context():
        family = db.session.get(Family, scene.family)
        assert family.exit_date == exit_on and family.key_worker_id is None


def test_saving_over_someone_elses_change_is_refused_and_keeps_what_was_typed(app, scene, practitioner):
    page = practitioner.get(f"/staff/families/{scene.family}/edit").get_data(as_text=True)
    stale_version = int(re.search(r'name="version"[^>]*value="(\d+)"', page).group(1))
    with app.app_context():  # a colleague saves first
        family = db.session.get(Family, scene.family)
        update_family(family, family.version, referral_date=ENTRY - timedelta(days=30))
        db.session.commit()
        before = snapshot()
    result = practitioner.post(f"/staff/families/{scene.family}/edit", data={
        "csrf_token": csrf_token(page), "version": stale_version, "key_worker_id": "0",
        **typed("entry_date", ENTRY), **typed("exit_date", "2027-01-15"), "status": "open"})
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert "Someone else changed this family while you were editing" in html
    assert re.search(r'name="exit_date-year"[^>]*value="2027"', html) and \
        re.search(r'name="exit_date-day"[^>]*value="15"', html)
    with app.app_context():
        assert snapshot() == before


def phone_of(app, member_id):
    with app.app_context():
        return db.session.get(Member, member_id).phone


def _version(app, model, ident):
    with app.app_context():
        return db.session.get(model, ident).version


def test_an_invalid_mobile_number_is_shown_next_to_the_mobile_field(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new", role="father", name="Dad",
                       **{"birth-year": "1980", "birth-month": "2"}, language="en", channel="sms_link",
                       mobile="020 7946 0000")
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert "is not a mobile number" in question_with(html, "mobile")
    assert 'value="Dad"' in html
    with app.app_context():
        assert table_count(Member, family_id=scene.family) == 2


def test_adding_a_member_stores_the_number_in_one_form(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new", role="young_person", name="Jo",
                       **{"birth-year": str(TODAY.year - 14), "birth-month": "5"}, language="cy", channel="sms_link",
                       mobile="07911 123456")
    assert result.status_code == 302
    with app.app_context():
        jo = db.session.scalar(sa.select(Member).filter_by(name="Jo"))
        assert (jo.family_id, jo.role, jo.language, jo.phone) == (scene.family, "young_person", "cy", "+447911123456")


def test_a_birth_year_without_a_month_is_refused(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new", role="child", name="Kid",
                       **{"birth-year": "2019"}, language="en", channel="none")
    assert result.status_code == 422
    assert "Date of birth must include a month" in question_with(result.get_data(as_text=True), "birth-month")


def test_a_members_number_is_kept_when_left_blank_and_removed_only_when_asked(app, scene, practitioner):
    url = f"/staff/families/{scene.family}/members/{scene.mother}/edit"
    number = phone_of(app, scene.mother)
    assert number not in practitioner.get(url).get_data(as_text=True)  # never shown in full here
    fields = {"role": "mother", "name": "Mum", "birth-year": "1988", "birth-month": "3", "language": "en",
              "channel": "sms_link"}
    assert post_form(practitioner, url, version=_version(app, Member, scene.mother), **fields).status_code == 302
    with app.app_context():
        mother = db.session.get(Member, scene.mother)
        assert (mother.name, mother.phone) == ("Mum", number)
    assert post_form(practitioner, url, version=_version(app, Member, scene.mother), remove_mobile="y",
                     **fields).status_code == 302
    with app.app_context():
        assert db.session.get(Member, scene.mother).phone is None


def test_withdrawing_consent_cancels_the_members_waiting_invitations(app, world, scene, practitioner):
    before = states(app, member_id=scene.mother)
    assert {state for _w, _i, state, _r in before} == {"planned"}
    page = practitioner.get(f"/staff/families/{scene.family}/members/{scene.mother}/edit").get_data(as_text=True)
    result = practitioner.post(f"/staff/families/{scene.family}/members/{scene.mother}/consent", data={
        "csrf_token": csrf_token(page), "purpose": "participation", "party": "self", "given": "no",
        "text_version": "v1"})
    assert result.status_code == 302
    assert {(state, reason) for _w, _i, state, reason in states(app, member_id=scene.mother)} == {
        ("cancelled", "no_consent")}
    [event] = [e for e in audit(app, "consent.recorded") if e.actor_id == world["practitioner_north"]]
    assert event.detail["given"] is False and event.subject_id == scene.mother
    assert "Consent withdrawn recorded" in practitioner.get(result.location).get_data(as_text=True)


def test_pausing_contact_cancels_invitations_and_the_reason_shows_only_on_the_family_page(app, scene, practitioner):
    result = post_form(practitioner, f"/staff/families/{scene.family}/pause", member_id=scene.mother,
                       reason="Private: do not phone after 5pm")
    assert result.status_code == 302
    assert {(state, reason) for _w, _i, state, reason in states(app, member_id=scene.mother)} == {
        ("cancelled", "paused")}
    assert "Private: do not phone after 5pm" in practitioner.get(f"/staff/families/{scene.family}").get_data(as_text=True)
    listing = practitioner.get("/staff/families").get_data(as_text=True)
    assert "N-1" in listing and "Private" not in listing and "Safety" not in listing


def test_lifting_a_pause_plans_the_members_invitations_again(app, scene, practitioner):
    assert {state for _w, _i, state, _r in states(app, member_id=scene.father)} == {"cancelled"}
    page = practitioner.get(f"/staff/families/{scene.family}").get_data(as_text=True)
    result = practitioner.post(f"/staff/families/{scene.family}/pauses/{scene.pause}/lift",
                               data={"csrf_token": csrf_token(page)})
    assert result.status_code == 302
    assert {state for _w, _i, state, _r in states(app, member_id=scene.father)} == {"planned"}
    with app.app_context():
        assert db.session.get(ContactPause, scene.pause).lifted_at is not None
    assert "Safety: see the case notes" not in practitioner.get(result.location).get_data(as_text=True)


def test_an_admin_erases_a_family_after_typing_its_reference_and_its_answers_stay_de_identified(app, world, scene):
    admin = client_as(app, "admin")
    url = f"/staff/families/{scene.family}/erase"
    with app.app_context():
        before = snapshot()
    wrong = post_form(admin, url, case_ref="N-2")
    assert wrong.status_code == 422
    assert "not this family's case reference" in markup.unescape(wrong.get_data(as_text=True))
    with app.app_context():
        assert snapshot() == before
    result = post_form(admin, url, case_ref="N-1")
    assert result.status_code == 302 and result.location.endswith("/staff/families")
    assert "responses kept de-identified" in admin.get(result.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Family, scene.family) is None
        assert table_count(Member, family_id=scene.family) == 0
        assert table_count(ContactPause, family_id=scene.family) == 0
        assert table_count(Invitation, family_id=scene.family) == 0
        orphans = sa.select(sa.func.count()).select_from(InvitationEvent).where(
            InvitationEvent.invitation_id.not_in(sa.select(Invitation.id)))
        assert db.session.scalar(orphans) == 0
        response = db.session.get(Response, scene.response)
        assert (response.family_id, response.member_id) == (None, None)
        [erased] = audit(app, "family.erased")
        assert (erased.subject_id, erased.actor_id) == (scene.family, world["admin"])


def test_mobile_numbers_are_masked_unless_asked_for_and_asking_is_audited(app, world, scene, practitioner):
    mother, father = phone_of(app, scene.mother), phone_of(app, scene.father)
    html = practitioner.get(f"/staff/families/{scene.family}").get_data(as_text=True)
    assert f"+44 7*** ***{mother[-3:]}" in html and mother not in html and father not in html
    assert [e.subject_id for e in audit(app, "family.viewed")] == [scene.family]
    assert audit(app, "member.viewed") == []
    shown = practitioner.get(f"/staff/families/{scene.family}?show=phone").get_data(as_text=True)
    assert mother in shown and father in shown
    viewed = audit(app, "member.viewed")
    assert {e.subject_id for e in viewed} == {scene.mother, scene.father}
    assert {(e.actor_id, e.site_id) for e in viewed} == {(world["practitioner_north"], world["north"])}


def test_the_list_can_be_narrowed_to_one_site(app, world, scene):
    admin = client_as(app, "admin")
    assert {"N-1", "S-1"} <= set(re.findall(r"[NS]-1", admin.get("/staff/families").get_data(as_text=True)))
    south = admin.get(f"/staff/families?site={world['south']}").get_data(as_text=True)
    assert "S-1" in south and "N-1" not in page_text(south)
    # A practitioner naming a site not theirs sees their own families, not the other site's.
    mine = client_as(app, "practitioner_north").get(f"/staff/families?site={world['south']}").get_data(as_text=True)
    assert "N-1" in mine and "S-1" not in page_text(mine)


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(app, scene, practitioner):
    with app.app_context():
        before = snapshot()
    for url, data in ((f"/staff/families/{scene.family}/pause", {"member_id": scene.mother, "reason": "x"}),
                      (f"/staff/families/{scene.family}/pauses/{scene.pause}/lift", {}),
                      (f"/staff/families/{scene.family}/members/{scene.mother}/consent",
                       {"purpose": "participation", "party": "self", "given": "no", "text_version": "v1"})):
        assert practitioner.post(url, data=data).status_code == 400
        assert practitioner.post(url, data={"csrf_token": "forged", **data}).status_code == 400
    with app.app_context():
        assert snapshot() == before
    assert form_token(practitioner)  # the session itself still works
