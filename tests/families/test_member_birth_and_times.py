"""A member's month and year of birth as a GOV.UK date input, and when a telephone interview suits
them (issue 22): stored, shown on the member's page to their site's staff only, never exported; and
the family forms' words are the staff pages' words."""
from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families import forms
from feedback.families.eligibility import MEMBER_ROLES
from feedback.families.models import CHANNELS, Member
from feedback.staff import words
from tests.families.test_views import post_form, question_with
from tests.staff.scene import client_as, snapshot

TODAY = date.today()
TIMES = "Weekday mornings, not after 3pm"


def born(month="", year="") -> dict:
    return {"birth-month": month, "birth-year": year}


def add(practitioner, scene, **fields):
    return post_form(practitioner, f"/staff/families/{scene.family}/members/new", role="child", name="Kit",
                     language="en", channel="none", **fields)


def member_named(app, name: str) -> Member | None:
    with app.app_context():
        return db.session.scalar(sa.select(Member).filter_by(name=name))


def test_the_month_and_year_of_birth_are_two_boxes_and_stored_as_before(app, scene, practitioner):
    html = practitioner.get(f"/staff/families/{scene.family}/members/new").get_data(as_text=True)
    assert 'name="birth-month"' in html and 'name="birth-year"' in html and 'name="birth-day"' not in html
    assert "Month and year of birth" in html and "For example, 6 1988" in html
    assert add(practitioner, scene, **born("05", str(TODAY.year - 9))).status_code == 302
    kit = member_named(app, "Kit")
    assert (kit.birth_year, kit.birth_month) == (TODAY.year - 9, 5)


def test_a_birth_left_blank_is_unknown(app, scene, practitioner):
    assert add(practitioner, scene, **born()).status_code == 302
    kit = member_named(app, "Kit")
    assert (kit.birth_year, kit.birth_month) == (None, None)


@pytest.mark.parametrize("typed, message", [
    (born("13", "2015"), "Enter the month of birth as a number from 1 to 12"),
    (born("May", "2015"), "Enter the month of birth as a number from 1 to 12"),
    (born("5", str(TODAY.year + 1)), "Year of birth must be in the past"),
    (born("5", "15"), "Date of birth must include a year with 4 numbers, for example 2026"),
    (born("", "2015"), "Date of birth must include a month"),
    (born("5", ""), "Date of birth must include a year"),
    (born("5", "1850"), "Enter a year from 1900 on, for example 1988."),
])
def test_a_wrong_birth_is_refused_next_to_the_boxes_and_nothing_is_saved(app, scene, practitioner, typed, message):
    with app.app_context():
        before = snapshot()
    result = add(practitioner, scene, **typed)
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert message in question_with(html, "birth-month")
    assert 'href="#birth-month"' in html  # the error summary links to the first box
    assert re.search(rf'name="birth-year"[^>]*value="{typed["birth-year"]}"', html)  # what was typed stays
    with app.app_context():
        assert snapshot() == before


def test_the_edit_page_shows_the_stored_month_and_year(app, scene, practitioner):
    html = practitioner.get(f"/staff/families/{scene.family}/members/{scene.mother}/edit").get_data(as_text=True)
    assert re.search(r'name="birth-month"[^>]*value="3"', html)
    assert re.search(r'name="birth-year"[^>]*value="1988"', html)


def test_when_an_interview_suits_them_is_stored_and_shown_on_their_page(app, scene, practitioner):
    url = f"/staff/families/{scene.family}/members/{scene.mother}/edit"
    html = practitioner.get(url).get_data(as_text=True)
    assert "When a telephone interview suits them" in html and "For example: weekday mornings, not after 3pm" in html
    with app.app_context():
        version = db.session.get(Member, scene.mother).version
    result = post_form(practitioner, url, version=version, role="mother", name="Mum", language="en",
                       channel="interview", interview_times=f"  {TIMES} ", **born("3", "1988"))
    assert result.status_code == 302
    with app.app_context():
        assert db.session.get(Member, scene.mother).interview_times == TIMES
    assert f'value="{TIMES}"' in practitioner.get(url).get_data(as_text=True)
    # Cleared when left blank.
    with app.app_context():
        version = db.session.get(Member, scene.mother).version
    post_form(practitioner, url, version=version, role="mother", name="Mum", language="en", channel="interview",
              interview_times="", **born("3", "1988"))
    with app.app_context():
        assert db.session.get(Member, scene.mother).interview_times is None


def test_a_new_members_interview_times_are_stored_and_too_long_is_refused(app, scene, practitioner):
    assert add(practitioner, scene, interview_times="Evenings").status_code == 302
    assert member_named(app, "Kit").interview_times == "Evenings"
    result = post_form(practitioner, f"/staff/families/{scene.family}/members/new", role="child", name="Long",
                       language="en", channel="none", interview_times="x" * 201)
    assert result.status_code == 422
    assert "Use at most 200 characters." in question_with(result.get_data(as_text=True), "interview_times")
    assert member_named(app, "Long") is None


def test_another_sites_key_worker_cannot_see_or_change_the_member(app, scene, practitioner):
    with app.app_context():
        mother = db.session.get(Member, scene.mother)
        mother.interview_times = TIMES
        db.session.commit()
    south = client_as(app, "practitioner_south")
    url = f"/staff/families/{scene.family}/members/{scene.mother}/edit"
    assert south.get(url).status_code == 404
    assert TIMES not in south.get("/staff/").get_data(as_text=True)
    assert TIMES not in south.get("/staff/families").get_data(as_text=True)


def test_interview_times_are_marked_identifying_and_never_exported(app, ctx, world, tmp_path):
    from feedback.exports.profile import load_profile
    from feedback.exports.runner import run_export
    from feedback.staff.models import StaffUser
    from tests.exports.test_runner import KEY, PROFILE, SHIPPED, bundle_bytes
    from tests.exports.test_dataset import answered_family

    assert Member.__table__.c.interview_times.info.get("identifying") is True
    for case in ("CASE-1", "CASE-2"):
        _family, members = answered_family(world, case)
        for member in members:
            db.session.get(Member, member.id).interview_times = TIMES
    db.session.commit()
    admin = db.session.get(StaffUser, world["admin"])
    profiles = []
    for shape in ("long", "wide_member", "wide_family"):
        name = "t-" + shape.replace("_", "-")
        path = tmp_path / f"{name}.yaml"
        path.write_text(PROFILE.format(id=name, shape=shape, free_text="drop", extra=""))
        profiles.append(path)
    full = tmp_path / "t-full.yaml"
    full.write_text("id: t-full\ntitle: Everything\ninstruments: [exit-interview, family-functioning]\nwaves: all\n"
                    "shape: long\ndeidentification: {level: full}\nformats: [csv]\n")
    profiles.append(full)
    (tmp_path / "shipped").mkdir()
    for shipped in [path for path in SHIPPED if path.stem == "evaluation"]:  # the evaluator's full dataset
        copy = tmp_path / "shipped" / shipped.name
        copy.write_text(shipped.read_text().replace("k: 5", "k: 2"))
        profiles.append(copy)
    for number, path in enumerate(profiles):
        bundle = run_export(load_profile(path), tmp_path / f"out-{number}", actor=admin, key=KEY)
        assert TIMES.encode() not in bundle_bytes(bundle), path.name


def test_the_family_forms_use_the_staff_pages_words():
    assert forms.CHANNEL_LABELS is words.CHANNEL_LABELS
    assert forms.PURPOSE_LABELS is words.CONSENT_PURPOSE_LABELS
    assert forms.PARTY_LABELS is words.CONSENT_PARTY_LABELS
    assert list(forms.ROLE_LABELS) == list(MEMBER_ROLES)
    assert all(forms.ROLE_LABELS[role] is words.ROLE_LABELS[role] for role in MEMBER_ROLES)
    assert [choice.value for choice in forms.MemberForm.role.kwargs["choices"]] == list(MEMBER_ROLES)
    assert [choice.value for choice in forms.MemberForm.channel.kwargs["choices"]] == list(CHANNELS)
    assert [choice.value for choice in forms.EditFamilyForm.status.kwargs["choices"]] == ["open", "closed"]
    assert forms.STATUS_LABELS["closed"] is words.FAMILY_STATUS_LABELS["closed"]
