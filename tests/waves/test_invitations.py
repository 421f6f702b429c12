"""Recording a family's dates, members and consent plans the right invitations, and changes re-plan them."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.service import (FamilyError, create_family, lift_pause, pause_contact, record_consent,
                                       update_family)
from feedback.waves.models import Invitation
from tests.conftest import table_count
from tests.families.helpers import family_with_members

TODAY = date.today()


def invitations(family_id, **filters):
    return db.session.scalars(sa.select(Invitation).filter_by(family_id=family_id, **filters)
                              .order_by(Invitation.id)).all()


def summary(family_id):
    return sorted((i.wave, i.instrument_id, i.recipient_key, i.state) for i in invitations(family_id))


@pytest.fixture
def family(app, ctx, world):
    family, members = family_with_members(world["north"], world["kw_north"], entry=TODAY - timedelta(days=200),
                                          members=(("mother", 1988, 3), ("father", 1986, 11),
                                                   ("young_person", TODAY.year - 13, 1), ("child", TODAY.year - 5, 1)))
    return family, members


def test_recording_an_exit_date_plans_exit_and_follow_up_waves_for_the_right_members(family):
    family, (mother, father, young, child) = family
    update_family(family, family.version, exit_date=TODAY)
    db.session.commit()
    planned = {(i.wave, i.instrument_id, i.recipient_key) for i in invitations(family.id) if i.state == "planned"}
    for wave in ("exit-3m", "exit-6m", "exit-12m"):
        # follow-up goes to parents and carers (fathers included) and young people 11+, not a 5-year-old
        assert {(wave, "follow-up", f"m{m.id}") for m in (mother, father, young)} <= planned
        assert (wave, "follow-up", f"m{child.id}") not in planned
    assert ("exit", "practitioner-assessment", "key_worker") in planned
    assert ("exit", "family-functioning", f"m{young.id}") in planned
    assert ("exit", "family-functioning", f"m{child.id}") not in planned  # under 8
    three_months = next(i for i in invitations(family.id, wave="exit-3m", recipient_key=f"m{mother.id}"))
    assert three_months.due_on == TODAY + relativedelta(months=3)
    assert three_months.channel == "sms_link"
    assert [e.to_state for e in three_months.events] == ["planned"]


def test_the_entry_wave_is_planned_when_the_family_is_recorded(app, ctx, world):
    family, (mother, _child) = family_with_members(world["north"], world["kw_north"], entry=TODAY)
    keys = {(i.wave, i.instrument_id, i.recipient_key) for i in invitations(family.id)}
    assert ("entry", "practitioner-assessment", "key_worker") in keys
    assert ("entry", "family-functioning", f"m{mother.id}") in keys


def test_an_old_case_gets_no_invitations_whose_window_has_closed(app, ctx, world):
    family = create_family(world["north"], "OLD-1", world["kw_north"], entry_date=date(2019, 1, 1),
                           exit_date=date(2019, 6, 1))
    db.session.commit()
    assert invitations(family.id) == []


def test_changing_the_exit_date_replans_waiting_invitations_and_records_why(family):
    family, (mother, *_rest) = family
    update_family(family, family.version, exit_date=TODAY)
    db.session.commit()
    update_family(family, family.version, exit_date=TODAY + timedelta(days=10))
    db.session.commit()
    invitation = invitations(family.id, wave="exit-6m", recipient_key=f"m{mother.id}")[0]
    assert invitation.due_on == TODAY + timedelta(days=10) + relativedelta(months=6)
    assert [e.to_state for e in invitation.events] == ["planned", "planned"]
    assert "re-planned" in invitation.events[-1].cause


def test_removing_the_exit_date_cancels_its_waves(family):
    family, _members = family
    update_family(family, family.version, exit_date=TODAY)
    db.session.commit()
    update_family(family, family.version, exit_date=None)
    db.session.commit()
    exit_waves = [i for i in invitations(family.id) if i.wave.startswith("exit")]
    assert exit_waves and {(i.state, i.reason) for i in exit_waves} == {("cancelled", "no_anchor")}


def test_adding_a_member_plans_their_invitations(family):
    from feedback.families.service import add_member
    from tests.families.helpers import consent_all

    family, _members = family
    update_family(family, family.version, exit_date=TODAY)
    gran = add_member(family, "other_carer", "Gran", 1960, 2, "cy", "sms_link", "07911 123456")
    consent_all(gran)
    db.session.commit()
    assert {i.wave for i in invitations(family.id, recipient_key=f"m{gran.id}")} >= {"exit-3m", "exit-6m", "exit-12m"}


def test_withdrawing_consent_cancels_waiting_invitations_at_once(family):
    family, (mother, *_rest) = family
    update_family(family, family.version, exit_date=TODAY)
    record_consent(mother, "participation", "self", False, "v1", None)
    db.session.commit()
    mine = invitations(family.id, recipient_key=f"m{mother.id}")
    assert mine and {(i.state, i.reason) for i in mine} == {("cancelled", "no_consent")}


def test_a_child_needs_a_parents_consent_and_their_own(family):
    family, (_m, _f, young, _c) = family
    update_family(family, family.version, exit_date=TODAY)
    record_consent(young, "participation", "parent", False, "v1", None)
    db.session.commit()
    assert {i.state for i in invitations(family.id, recipient_key=f"m{young.id}")} == {"cancelled"}
    record_consent(young, "participation", "parent", True, "v1", None)
    db.session.commit()
    assert {i.state for i in invitations(family.id, recipient_key=f"m{young.id}")} == {"planned"}


def test_a_pause_cancels_waiting_invitations_and_lifting_it_plans_them_again(family):
    family, (mother, father, *_rest) = family
    update_family(family, family.version, exit_date=TODAY)
    pause = pause_contact(family, mother, "safety", None)
    db.session.commit()
    assert {i.reason for i in invitations(family.id, recipient_key=f"m{mother.id}")} == {"paused"}
    assert {i.state for i in invitations(family.id, recipient_key=f"m{father.id}")} == {"planned"}
    lift_pause(pause, None)
    db.session.commit()
    assert {i.state for i in invitations(family.id, recipient_key=f"m{mother.id}")} == {"planned"}


def test_a_whole_family_pause_covers_every_member(family):
    family, members = family
    update_family(family, family.version, exit_date=TODAY)
    pause_contact(family, None, "", None)
    db.session.commit()
    for member in members:
        assert all(i.state == "cancelled" for i in invitations(family.id, recipient_key=f"m{member.id}"))


def test_exit_before_entry_is_refused_and_nothing_changes(family):
    family, _members = family
    before = summary(family.id)
    with pytest.raises(FamilyError, match="exit date is before the entry date"):
        update_family(family, family.version, exit_date=family.entry_date - timedelta(days=1))
    db.session.rollback()
    assert db.session.get(Family, family.id).exit_date is None
    assert summary(family.id) == before


def test_a_duplicate_case_reference_at_the_same_site_is_refused(family, world):
    family, _members = family
    with pytest.raises(FamilyError, match="already used"):
        create_family(world["north"], family.case_ref, None)
    db.session.rollback()
    create_family(world["south"], family.case_ref, None)  # another site may use the same reference
    db.session.commit()
    assert table_count(Family) == 2


def test_a_family_changed_by_someone_else_meanwhile_is_not_overwritten(family):
    family, _members = family
    stale_version = family.version
    update_family(family, family.version, exit_date=TODAY)
    db.session.commit()
    with pytest.raises(FamilyError, match="Someone else changed this family"):
        update_family(family, stale_version, exit_date=TODAY + timedelta(days=3))
    db.session.rollback()
    assert db.session.get(Family, family.id).exit_date == TODAY


def test_phone_numbers_are_encrypted_at_rest(family):
    family, (mother, *_rest) = family
    stored = db.session.execute(sa.text("SELECT phone, phone_digest FROM members WHERE id = :id"),
                                {"id": mother.id}).one()
    assert mother.phone.startswith("+447")
    assert mother.phone not in stored.phone and mother.phone[3:] not in stored.phone
    assert stored.phone_digest and mother.phone not in stored.phone_digest
