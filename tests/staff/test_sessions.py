"""A staff session ends when it should: a copy of the cookie taken before sign-out, a password
change or "sign out everywhere" is worthless afterwards."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.staff.models import StaffUser
from feedback.timeutil import utcnow
from tests.conftest import csrf_token, sign_in

EMAIL = "manager_north@example.org"


def stolen_copy(app, client):
    """Another browser holding the same session cookie, as a thief with a copy would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_a_copy_of_the_cookie_stops_working_when_its_owner_signs_out(app, world):
    owner = sign_in(app.test_client(), EMAIL)
    thief = stolen_copy(app, owner)
    assert signed_in(thief)          # the copy works while the owner is signed in
    home = owner.get("/staff/").get_data(as_text=True)
    assert owner.post("/staff/logout", data={"csrf_token": csrf_token(home)}).status_code == 302
    assert not signed_in(owner) and not signed_in(thief)
    assert "/staff/login" in thief.get("/staff/").location
    assert signed_in(sign_in(app.test_client(), EMAIL))   # signing in again works


def test_a_new_password_ends_every_session(app, world):
    owner = sign_in(app.test_client(), EMAIL)
    thief = stolen_copy(app, owner)
    with app.app_context():
        user = db.session.scalar(sa.select(StaffUser).filter_by(email=EMAIL))
        user.set_password("a new and long passphrase")
        db.session.commit()
    assert not signed_in(owner) and not signed_in(thief)


def test_an_admin_signs_an_account_out_everywhere_from_the_command_line_and_it_is_audited(app, world, runner):
    phone, desktop = sign_in(app.test_client(), EMAIL), sign_in(app.test_client(), EMAIL)
    result = runner.invoke(args=["users", "sign-out", EMAIL, "--by", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert not signed_in(phone) and not signed_in(desktop)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="staff.signed_out"))
        assert event.subject_id == world["manager_north"] and event.actor_id == world["admin"]
    assert runner.invoke(args=["users", "sign-out", "nobody@example.org"]).exit_code != 0


def test_a_deactivated_account_is_signed_out(app, world):
    owner = sign_in(app.test_client(), EMAIL)
    with app.app_context():
        db.session.scalar(sa.select(StaffUser).filter_by(email=EMAIL)).active = False
        db.session.commit()
    assert not signed_in(owner)


def test_a_session_that_names_no_version_is_not_accepted(app, world):
    client = app.test_client()
    with client.session_transaction() as session:   # a cookie from before session versions
        session["_user_id"] = str(world["manager_north"])
        session["_fresh"] = True
        session["signed_in_at"] = session["last_seen"] = utcnow().timestamp()
    assert not signed_in(client)
