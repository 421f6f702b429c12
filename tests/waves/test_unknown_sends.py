"""Admins resolve "unknown" sends in bulk, with a reason, on the list of unknown sends or from the CLI."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation
from tests.conftest import csrf_token
from tests.staff.scene import build_scene, client_as
from tests.waves.test_views import make_unknown

REASON = "Twilio messaging log checked 3 Dec: no message for these at the time shown"


@pytest.fixture
def unknown(app, world):
    """Three sends in doubt (two north, one south), and one claim abandoned before its send began."""
    scene = build_scene(app, world)
    with app.app_context():
        north = db.session.scalars(sa.select(Invitation.id).filter_by(family_id=scene.family)
                                   .order_by(Invitation.id).limit(3)).all()
        south = db.session.scalar(sa.select(Invitation.id).filter_by(family_id=scene.south_family).limit(1))
        abandoned = db.session.get(Invitation, north[2])
        abandoned.state, abandoned.pending_send = "due", "invitation"
        abandoned.claimed_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    for invitation_id in (north[0], north[1], south):
        make_unknown(app, invitation_id)
    return {"in_doubt": [north[0], north[1], south], "abandoned": north[2]}


def state_of(app, invitation_id):
    with app.app_context():
        found = db.session.get(Invitation, invitation_id)
        return {"state": found.state, "pending": found.pending_send, "unknown": found.is_unknown(),
                "cause": found.events[-1].cause if found.events else None,
                "actor": found.events[-1].actor_id if found.events else None}


def resolutions(app):
    with app.app_context():
        return [(e.actor_id, e.subject_id, e.site_id, e.detail) for e in db.session.scalars(
            sa.select(AuditEvent).filter_by(action="invitation.resolved").order_by(AuditEvent.subject_id))]


def test_only_admins_see_the_list_of_unknown_sends_and_only_sends_in_doubt_are_on_it(app, unknown):
    for role in ("practitioner_north", "manager_north", "researcher_north"):
        assert client_as(app, role).get("/staff/invitations/unknown").status_code == 403
    page = client_as(app, "admin").get("/staff/invitations/unknown").get_data(as_text=True)
    listed = {int(n) for n in re.findall(r'name="invitation" value="(\d+)"', page)}
    assert listed == set(unknown["in_doubt"])  # the abandoned claim is not in doubt: it goes back to the queue
    assert "3 unknown" in page
    status = client_as(app, "admin").get("/staff/waves/status").get_data(as_text=True)
    assert "Check and resolve unknown sends" in status


def test_an_admin_releases_chosen_unknown_sends_with_a_reason_one_audit_record_each(app, world, unknown):
    admin = client_as(app, "admin")
    token = csrf_token(admin.get("/staff/invitations/unknown").get_data(as_text=True))
    first, second, third = unknown["in_doubt"]

    refused = admin.post("/staff/invitations/unknown", data={"csrf_token": token, "reached": "no", "reason": "  ",
                                                             "invitation": [first, second]})
    assert refused.status_code == 400 and "Give a reason" in refused.get_data(as_text=True)
    assert all(state_of(app, i)["unknown"] for i in unknown["in_doubt"]) and resolutions(app) == []

    done = admin.post("/staff/invitations/unknown", data={"csrf_token": token, "reached": "no", "reason": REASON,
                                                          "invitation": [first, second]})
    assert done.status_code == 302
    assert "2 recorded as not sent" in admin.get(done.location).get_data(as_text=True)
    for released in (first, second):
        assert state_of(app, released) == {"state": "due", "pending": None, "unknown": False, "actor": world["admin"],
                                           "cause": f"staff found the text was not sent; released ({REASON})"}
    assert state_of(app, third)["unknown"]
    north = world["north"]
    assert resolutions(app) == [(world["admin"], invitation_id, north,
                                 {"reached": False, "reason": REASON, "via": "web"}) for invitation_id in (first, second)]


def test_resolving_from_the_cli_needs_an_outcome_and_a_reason(app, world, unknown):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["invitations", "unknown"])
    assert listing.exit_code == 0
    assert [int(line.split("\t")[0]) for line in listing.stdout.splitlines()] == sorted(unknown["in_doubt"])

    no_outcome = runner.invoke(args=["invitations", "resolve-unknown", "--all", "--reason", REASON])
    assert no_outcome.exit_code != 0 and "--sent or --not-sent" in no_outcome.output
    no_reason = runner.invoke(args=["invitations", "resolve-unknown", "--all", "--sent"])
    assert no_reason.exit_code != 0 and "Give a reason" in no_reason.output
    assert resolutions(app) == []

    done = runner.invoke(args=["invitations", "resolve-unknown", "--all", "--sent", "--reason", REASON,
                               "--by", "admin@example.org"])
    assert done.exit_code == 0, done.output
    assert "3 recorded as sent" in done.output
    for invitation_id in unknown["in_doubt"]:
        resolved = state_of(app, invitation_id)
        assert (resolved["state"], resolved["pending"]) == ("sent", None)
        assert resolved["cause"] == f"staff confirmed the text was sent ({REASON})"
    assert [(actor, subject, detail) for actor, subject, _site, detail in resolutions(app)] == [
        (world["admin"], invitation_id, {"reached": True, "reason": REASON, "via": "cli"})
        for invitation_id in sorted(unknown["in_doubt"])]
    again = runner.invoke(args=["invitations", "resolve-unknown", str(unknown["abandoned"]), "--not-sent",
                                "--reason", REASON])
    assert again.exit_code == 0 and "0 recorded" in again.output and "left alone" in again.output
    assert len(resolutions(app)) == 3
