"""Staff passwords after the NCSC's guidance: long and not guessable; an admin sets a new one from
the command line, which ends the account's sessions and is audited."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.staff.passwords import password_problem
from tests.conftest import PASSWORD, sign_in


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "password1234", "qwertyuiop12", "short", "admin@example.org1",
                                      "Administrator1"])
def test_guessable_or_short_passwords_are_refused_with_a_reason(password):
    problem = password_problem(password, ("admin@example.org", "Admin"))
    assert problem and ("at least 12" in problem or "less guessable" in problem)


@pytest.mark.parametrize("password", ["correct horse battery staple", "kettle-orbit-lantern-93", "fK_Gs01QOY_a6OAX"])
def test_long_unguessable_passwords_are_accepted(password):
    assert password_problem(password) is None


def test_an_admin_account_cannot_be_created_with_aaaaaaaaaaaa(app, runner):
    result = runner.invoke(args=["users", "create", "boss@example.org", "--name", "Boss", "--role", "admin",
                                 "--password", "aaaaaaaaaaaa"])
    assert result.exit_code != 0 and "less guessable" in result.output


def test_an_admin_resets_a_password_which_ends_sessions_and_is_audited(app, world, runner):
    old = sign_in(app.test_client(), "manager_north@example.org")
    weak = runner.invoke(args=["users", "set-password", "manager_north@example.org", "--password", "aaaaaaaaaaaa"])
    assert weak.exit_code != 0 and "less guessable" in weak.output
    done = runner.invoke(args=["users", "set-password", "manager_north@example.org", "--by", "admin@example.org",
                               "--password", "violet-harbour-tide-1987"])
    assert done.exit_code == 0, done.output
    assert old.get("/staff/").status_code == 302                     # the old session has ended
    sign_in(app.test_client(), "manager_north@example.org", "violet-harbour-tide-1987")
    with pytest.raises(AssertionError):
        sign_in(app.test_client(), "manager_north@example.org", PASSWORD)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="staff.password_set"))
        assert event.subject_id == world["manager_north"] and event.actor_id == world["admin"]
