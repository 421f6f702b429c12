"""The audit log is append-only: in the app always, and in the database too on PostgreSQL, whatever
SQL the app's role runs."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent, AuditLogIsAppendOnly
from feedback.audit.service import record
from feedback.extensions import db
from feedback.staff.models import StaffUser


@pytest.fixture
def event(app, world):
    with app.app_context():
        actor = db.session.get(StaffUser, world["manager_north"])
        record("staff.signed_out", actor, actor_id=actor.id, via="test")
        db.session.commit()
        return db.session.scalar(sa.select(AuditEvent.id))


def test_the_app_refuses_to_change_or_delete_an_event(app, event):
    with app.app_context():
        found = db.session.get(AuditEvent, event)
        found.action = "export.run"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'export.run'",
    "UPDATE audit_events SET detail = '{}'",
    "UPDATE audit_events SET actor_id = actor_id + 1",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
])
def test_the_database_refuses_plain_sql_that_changes_or_removes_events(app, event, statement):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the database-level refusal is PostgreSQL's; .ci/run runs this on PostgreSQL")
        with pytest.raises(sa.exc.DBAPIError, match="audit events cannot be changed or deleted"):
            with db.engine.begin() as connection:
                connection.exec_driver_sql(statement)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1


def test_removing_the_account_that_acted_only_blanks_the_actor(app, event, world):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the database-level refusal is PostgreSQL's; .ci/run runs this on PostgreSQL")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM staff_sites WHERE staff_id = %s" % world["manager_north"])
            connection.exec_driver_sql("DELETE FROM staff_users WHERE id = %s" % world["manager_north"])
        kept = db.session.get(AuditEvent, event)
        assert kept.actor_id is None and kept.action == "staff.signed_out"
