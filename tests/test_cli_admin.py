"""The administration commands: sites and users listed, accounts deactivated, one invitation now."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.service import opt_out, pause_contact
from feedback.staff.models import StaffUser
from feedback.waves.models import Invitation, OutboxMessage
from tests.conftest import PASSWORD, csrf_token, sign_in, table_count
from tests.families.helpers import family_with_members
from tests.waves.seeding import sending_moment
from tests.waves.test_dispatcher import london

NOON = sending_moment(date.today() + timedelta(days=1))


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def family(ctx, world):
    family, members = family_with_members(world["north"], world["kw_north"], case_ref="EM-1",
                                          members=(("mother", 1988, 3), ("father", 1985, 7)))
    members[0].name = "Jo"
    db.session.commit()
    return family, members


@pytest.fixture
def at_noon(monkeypatch):
    monkeypatch.setattr("feedback.waves.send_now.utcnow", lambda: NOON)


# --- sites and users listed ------------------------------------------------------------------------

def test_sites_list_counts_families_and_staff(runner, family):
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 0, result.output
    north = next(line for line in result.output.splitlines() if line.startswith("north"))
    assert north.split()[-2:] == ["1", "4"]  # one family; practitioner, manager, researcher, kw_north
    assert re.search(r"^south\s+South Family Support\s+0\s+3$", result.output, re.M)


def test_users_list_shows_accounts_without_secrets(runner, ctx, world):
    user = db.session.get(StaffUser, world["admin"])
    user.password_hash = "scrypt:32768:8:1$salt$secretsecret"
    db.session.commit()
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert "practitioner_south@example.org" in result.output and "admin@example.org" in result.output
    assert "scrypt" not in result.output and "pbkdf2" not in result.output and "secret" not in result.output
    assert re.search(r"^kw_north@example\.org\s+Kw North\s+practitioner\s+north\s+active\s+two-step off\s+never",
                     result.output, re.M)

    north = runner.invoke(args=["users", "list", "--site", "north", "--role", "practitioner"]).output
    assert "kw_north@" in north and "practitioner_north@" in north and "south" not in north
    assert "admin@" not in north


def test_users_list_inactive_only(runner, ctx, world):
    done = runner.invoke(args=["users", "deactivate", "manager_south@example.org", "--by", "admin@example.org"])
    assert done.exit_code == 0, done.output
    result = runner.invoke(args=["users", "list", "--inactive"])
    assert "manager_south@example.org" in result.output and "inactive" in result.output
    assert "admin@example.org" not in result.output


def test_an_unknown_site_is_a_clear_error(runner, ctx, world):
    result = runner.invoke(args=["users", "list", "--site", "east"])
    assert result.exit_code == 1 and "no site with code east" in result.output


# --- deactivate ------------------------------------------------------------------------------------

def test_deactivate_ends_sessions_refuses_sign_in_and_is_audited(app, runner, world):
    client = sign_in(app.test_client(), "practitioner_north@example.org")
    assert client.get("/staff/").status_code == 200
    result = runner.invoke(args=["users", "deactivate", "PRACTITIONER_NORTH@example.org", "--by", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert "can no longer sign in" in result.output
    assert client.get("/staff/").status_code == 302  # the session it had is over
    fresh = app.test_client()
    page = fresh.get("/staff/login")
    refused = fresh.post("/staff/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                               "email": "practitioner_north@example.org", "password": PASSWORD})
    assert refused.status_code != 302
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(subject_id=world["practitioner_north"],
                                                                  action="staff.deactivated"))
        assert event.actor_id == world["admin"] and event.detail == {"via": "cli"}
        assert db.session.scalar(sa.select(AuditEvent).filter_by(action="staff.signed_out")) is None
    again = runner.invoke(args=["users", "deactivate", "practitioner_north@example.org", "--by", "admin@example.org"])
    assert again.exit_code == 1 and "already deactivated" in again.output

    back = runner.invoke(args=["users", "reactivate", "practitioner_north@example.org", "--by", "admin@example.org"])
    assert back.exit_code == 0, back.output
    sign_in(app.test_client(), "practitioner_north@example.org")
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.detail).filter_by(
            subject_id=world["practitioner_north"], subject_type="staff_users").order_by(AuditEvent.id)).all()
        assert [tuple(event) for event in events] == [("staff.deactivated", {"via": "cli"}),
                                                      ("staff.reactivated", {"via": "cli"})]


def test_deactivate_needs_who_did_it(runner, world):
    result = runner.invoke(args=["users", "deactivate", "practitioner_north@example.org"])
    assert result.exit_code == 2 and "--by" in result.output


# --- invite --------------------------------------------------------------------------------------

def test_invite_sends_a_text_now_and_is_audited(runner, family, at_noon, world):
    _family, (mother, _father) = family
    result = runner.invoke(args=["invite", "EM-1/mother", "follow-up", "--by", "kw_north@example.org"])
    assert result.exit_code == 0, result.output
    assert "invitation sent to Jo (EM-1/mother) by text" in result.output
    db.session.expire_all()
    invitation = db.session.scalar(sa.select(Invitation).filter_by(member_id=mother.id, instrument_id="follow-up",
                                                                   state="sent"))
    assert invitation.wave.startswith("manual-") and invitation.response_id
    assert table_count(OutboxMessage, invitation_id=invitation.id) == 1
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="invitation.sent_manually",
                                                              subject_id=invitation.id))
    assert event.actor_id == world["kw_north"] and event.detail["outcome"] == "sent" and event.detail["via"] == "cli"
    assert [e.cause for e in invitation.events if e.actor_id == world["kw_north"]] == [
        "asked for now by staff", "send now requested"]
    assert invitation.events[-1].cause == "text sent"


def test_invite_finds_members_by_name_or_reference(runner, family, at_noon):
    _family, (_mother, father) = family
    father.member_ref = "M2"
    db.session.commit()
    assert runner.invoke(args=["invite", "EM-1/jo", "follow-up"]).exit_code == 0
    result = runner.invoke(args=["invite", "EM-1/M2", "follow-up"])
    assert result.exit_code == 0 and "(EM-1/father)" in result.output


def _no_sms_consent(member):
    from feedback.families.service import record_consent

    record_consent(member, "sms", "self", False, "v1", None)


@pytest.mark.parametrize("block, words_shown", [
    (_no_sms_consent, "Jo (EM-1/mother): no consent to be contacted by text is in force; nothing sent"),
    (lambda m: opt_out(m, "said STOP", None), "Jo (EM-1/mother): the member opted out of texts; nothing sent"),
    (lambda m: pause_contact(m.family, m, "a hard week", None), "Jo (EM-1/mother): contact is paused; nothing sent"),
])
def test_invite_refuses_whom_the_dispatcher_would_not_contact(runner, family, at_noon, block, words_shown):
    _family, (mother, _father) = family
    block(mother)
    db.session.commit()
    invitations_before = table_count(Invitation)
    result = runner.invoke(args=["invite", "EM-1/mother", "follow-up"])
    assert result.exit_code == 1
    assert words_shown in words(result.output)
    assert table_count(Invitation) == invitations_before and table_count(OutboxMessage) == 0


def test_invite_refuses_without_consent_to_take_part_even_on_paper(runner, ctx, world, at_noon):
    family_with_members(world["north"], None, case_ref="EM-2", consent=False)
    result = runner.invoke(args=["invite", "EM-2/mother", "follow-up", "--channel", "print"])
    assert result.exit_code == 1 and "no consent to take part is in force; nothing sent" in result.output


def test_invite_in_quiet_hours_holds_it_and_says_when(runner, family, monkeypatch):
    _family, (mother, _father) = family
    evening = london(NOON.date(), 21)
    monkeypatch.setattr("feedback.waves.send_now.utcnow", lambda: evening)
    result = runner.invoke(args=["invite", "EM-1/mother", "follow-up"])
    assert result.exit_code == 0, result.output
    assert "it is quiet hours: the invitation to Jo (EM-1/mother) will send at 09:00 on" in words(result.output)
    assert "(Europe/London)" in result.output
    assert table_count(OutboxMessage) == 0
    invitation = db.session.scalar(sa.select(Invitation).filter_by(member_id=mother.id, instrument_id="follow-up",
                                                                   state="due"))
    assert invitation.next_send_at > evening
    # A re-plan (a date or consent changed before the morning) keeps an invitation staff sent by
    # hand, which is in no schedule: it is not cancelled as "not in schedule".
    if invitation.wave.startswith("manual-"):
        from feedback.waves.service import replan_family

        replan_family(_family, "exit date changed")
        db.session.commit()
        assert db.session.get(Invitation, invitation.id).state == "due"


def test_invite_print_gives_a_link_with_nothing_personal(runner, family, at_noon, app):
    result = runner.invoke(args=["invite", "EM-1/mother", "follow-up", "--channel", "print"])
    assert result.exit_code == 0, result.output
    link = re.search(r"https?://\S+/s/([A-Za-z0-9_-]+)$", result.output, re.M)
    assert link and "EM-1" not in link.group(0) and "Jo" not in link.group(0)
    assert table_count(OutboxMessage) == 0
    assert app.test_client().get(f"/s/{link.group(1)}").status_code == 200


@pytest.mark.parametrize("args, shown", [
    (["EM-9/mother", "follow-up"], "no family with case reference EM-9"),
    (["EM-1/grandad", "follow-up"], "family EM-1 has no member 'grandad'"),
    (["EM-1/mother", "no-such-thing"], "there is no instrument 'no-such-thing'"),
])
def test_invite_unknown_member_or_instrument_is_a_clear_error(runner, family, at_noon, args, shown):
    result = runner.invoke(args=["invite", *args])
    assert result.exit_code == 1
    assert shown in result.output
    assert table_count(Invitation, state="sent") == 0


def test_invite_needs_a_member_ref_with_a_slash(runner, family):
    result = runner.invoke(args=["invite", "EM-1", "follow-up"])
    assert result.exit_code == 2 and "CASE_REF/MEMBER" in result.output


# --- help ----------------------------------------------------------------------------------------

def _commands(group):
    for name, command in group.commands.items():
        yield name, command
        if hasattr(command, "commands"):
            yield from _commands(command)


def test_every_app_command_has_a_whole_short_help_in_the_listings(app, runner):
    for name, command in _commands(app.cli):
        assert command.short_help, name
        assert not command.short_help.endswith("..."), name
    listing = words(runner.invoke(args=["--help"]).output)
    for name, command in app.cli.commands.items():
        assert words(command.short_help) in listing, name
    for group in ("users", "sites", "instruments", "invitations"):
        listing = words(runner.invoke(args=[group, "--help"]).output)
        for name, command in app.cli.commands[group].commands.items():
            assert words(command.short_help) in listing, (group, name)


def test_users_create_help_is_honest_about_the_password(runner):
    text = words(runner.invoke(args=["users", "create", "--help"]).output)
    assert "asked for" in text and "shell history" in text and "never shown" not in text
