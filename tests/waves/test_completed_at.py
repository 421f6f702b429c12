"""An invitation's ``completed_at`` is always its response's completion time while that response is
completed, and None otherwise, whatever changed it: the database keeps it (triggers), and
response-rates' medians read it instead of the response. Checked on both databases, through the
app's own paths where it has them and by plain SQL where a person or an import could write."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from feedback.extensions import db
from feedback.survey.models import Response
from feedback.waves.models import Invitation
from tests.exports.test_dataset import answered_family


def _as_kept():
    """Every invitation's copy beside what it should be, read back from the database."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Invitation.id, Invitation.completed_at, Response.status, Response.completed_at)
        .outerjoin(Response, Response.id == Invitation.response_id)).all()
    return {invitation: (copy, done if status == "completed" else None) for invitation, copy, status, done in rows}


def _all_right():
    kept = _as_kept()
    assert kept and all(copy == truth for copy, truth in kept.values()), kept
    return kept


def test_the_surveys_completed_through_the_app_are_copied_and_the_others_are_not(app, ctx, world):
    answered_family(world, "T-1")
    kept = _all_right()
    completed = [invitation for invitation, (copy, _) in kept.items() if copy is not None]
    assert len(completed) == 4 and len(kept) > len(completed)  # the key worker's task is still open


def test_a_response_reopened_corrected_and_completed_again_is_followed(app, ctx, world):
    answered_family(world, "T-2")
    response = db.session.scalars(sa.select(Response).where(Response.status == "completed")).first()
    invitation = db.session.scalars(sa.select(Invitation).filter_by(response_id=response.id)).one()
    response.status = "started"
    db.session.commit()
    assert _all_right()[invitation.id] == (None, None)
    response = db.session.get(Response, response.id)
    response.status, response.completed_at = "completed", datetime(2026, 3, 4, 5, 6, 7, 89)
    db.session.commit()
    assert _all_right()[invitation.id][0] == datetime(2026, 3, 4, 5, 6, 7, 89)
    # An import correcting the completion time in plain SQL.
    db.session.execute(sa.update(Response).where(Response.id == response.id)
                       .values(completed_at=datetime(2026, 3, 9, 10, 0)))
    db.session.commit()
    assert _all_right()[invitation.id][0] == datetime(2026, 3, 9, 10, 0)


def test_an_invitation_linked_unlinked_or_written_directly_holds_its_responses_time(app, ctx, world):
    answered_family(world, "T-3")
    done = db.session.scalars(sa.select(Invitation).where(Invitation.state == "completed")
                              .order_by(Invitation.id)).all()
    first, second = done[0], done[1]
    # Written directly, the copy is put right at once.
    db.session.execute(sa.update(Invitation).where(Invitation.id == first.id)
                       .values(completed_at=datetime(2000, 1, 1)))
    db.session.commit()
    _all_right()
    # Unlinked: nothing to copy. Linked to another completed response: that one's time.
    first = db.session.get(Invitation, first.id)
    other = db.session.get(Invitation, second.id).response_id
    first.response_id = None
    db.session.commit()
    assert _all_right()[first.id] == (None, None)
    first = db.session.get(Invitation, first.id)
    first.response_id = other
    db.session.commit()
    assert _all_right()[first.id][0] == db.session.get(Response, other).completed_at is not None
    # A new invitation made already linked to a completed response (an import of past waves).
    copy = Invitation(**{column.key: getattr(first, column.key) for column in Invitation.__table__.columns
                         if column.key not in ("id", "completed_at", "link_hash")})
    copy.recipient_key, copy.completed_at = "imported", datetime(1999, 1, 1)
    db.session.add(copy)
    db.session.commit()
    assert _all_right()[copy.id][0] == db.session.get(Response, other).completed_at


def test_a_removed_response_leaves_no_time_behind(app, ctx, world):
    answered_family(world, "T-4")
    response = db.session.scalars(sa.select(Response).where(Response.status == "completed")).first()
    invitation_id = db.session.scalars(sa.select(Invitation.id).filter_by(response_id=response.id)).one()
    db.session.execute(sa.delete(Response).where(Response.id == response.id))
    db.session.commit()
    kept = _all_right()
    # PostgreSQL's foreign key detaches the invitation; SQLite (no foreign keys unless asked)
    # leaves it naming a response that is gone, and its trigger clears the copy.
    assert kept[invitation_id] == (None, None)
    assert db.session.get(Invitation, invitation_id).completed_at is None


def test_a_copy_written_with_the_triggers_off_is_put_right_by_a_recheck(app, ctx, world, runner):
    """A restore with the triggers off leaves a wrong copy and clears another (PostgreSQL: a
    superuser's replica role; SQLite: the invitations' triggers dropped and made again around the
    writes); ``report-refresh --recheck`` puts both right and says how many it changed."""
    answered_family(world, "T-5")
    first, second = db.session.scalars(sa.select(Invitation.id).where(Invitation.state == "completed")
                                       .order_by(Invitation.id)).all()[:2]
    sqlite = db.engine.dialect.name != "postgresql"
    if sqlite:
        triggers = db.session.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                              "AND tbl_name = 'invitations'")).all()
        assert triggers
        for name, _sql in triggers:
            db.session.execute(sa.text(f"DROP TRIGGER {name}"))
    else:
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(sa.update(Invitation).where(Invitation.id == first).values(completed_at=datetime(2000, 1, 1)))
    db.session.execute(sa.update(Invitation).where(Invitation.id == second).values(completed_at=None))
    if sqlite:
        for _name, sql in triggers:
            db.session.execute(sa.text(sql))
    db.session.commit()
    kept = _as_kept()
    assert kept[first][0] == datetime(2000, 1, 1) and kept[second][0] is None
    result = runner.invoke(args=["report-refresh", "--recheck"])
    assert result.exit_code == 0, result.output
    assert "completion times put right: 2" in result.output
    _all_right()
