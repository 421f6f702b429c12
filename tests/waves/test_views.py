"""The invitation pages: send now, cancel, resolve an unknown send, the outbox, the calendar and status counts."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import ContactPause, Family
from feedback.families.service import update_family
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation, OutboxMessage
from tests.conftest import csrf_token, table_count
from tests.families.helpers import family_with_members
from tests.staff.scene import build_scene, client_as

TODAY = date.today()
#: Midday on a day texts may be sent (quiet hours end at 09:00 and Sundays are quiet).
WORKING_MIDDAY = datetime.combine(TODAY if TODAY.weekday() != 6 else TODAY - timedelta(days=1), time(12))


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


@pytest.fixture
def midday(monkeypatch):
    """Send-now runs at a moment outside quiet hours, whatever time the suite runs."""
    monkeypatch.setattr("feedback.waves.dispatcher.utcnow", lambda: WORKING_MIDDAY)


def press(client, invitation_id: int, action: str, **data):
    """Press a button on the invitation's page, as its form would."""
    page = client.get(f"/staff/invitations/{invitation_id}").get_data(as_text=True)
    result = client.post(f"/staff/invitations/{invitation_id}/{action}", data={"csrf_token": csrf_token(page), **data})
    assert result.status_code == 302 and result.location.endswith(f"/staff/invitations/{invitation_id}")
    return client.get(result.location).get_data(as_text=True)


def invitation(app, ident):
    with app.app_context():
        found = db.session.get(Invitation, ident)
        return {"state": found.state, "reason": found.reason, "pending": found.pending_send,
                "causes": [event.cause for event in found.events], "actors": [e.actor_id for e in found.events]}


def audit(app, action):
    with app.app_context():
        return [(e.actor_id, e.subject_id, e.detail) for e in
                db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))]


def invitation_of(app, member_id, wave="entry", instrument="family-functioning"):
    with app.app_context():
        return db.session.scalar(sa.select(Invitation.id).filter_by(member_id=member_id, wave=wave,
                                                                    instrument_id=instrument))


def test_send_now_texts_a_consenting_member_and_the_outbox_shows_it(app, world, scene, midday):
    practitioner = client_as(app, "practitioner_north")
    page = press(practitioner, scene.invitation, "send-now")
    assert "Sent." in page
    assert invitation(app, scene.invitation)["state"] == "sent"
    assert audit(app, "invitation.sent_manually") == [(world["practitioner_north"], scene.invitation,
                                                       {"outcome": "Sent."})]
    with app.app_context():
        [message] = db.session.scalars(sa.select(OutboxMessage)).all()
        number, body = message.to_number, message.body
        assert message.invitation_id == scene.invitation
    outbox = client_as(app, "admin").get("/staff/outbox").get_data(as_text=True)
    assert number in outbox and body.split()[0] in outbox and re.search(r"/s/[\w-]+", outbox)
    assert audit(app, "outbox.viewed") == [(world["admin"], None, {"page": 1})]


def test_send_now_does_not_text_a_paused_member(app, scene, midday):
    fathers = invitation_of(app, scene.father)
    page = press(client_as(app, "practitioner_north"), fathers, "send-now")
    assert "Not sent: the invitation is cancelled." in page
    with app.app_context():
        assert table_count(OutboxMessage) == 0


def test_send_now_checks_the_rules_again_just_before_sending(app, world, scene, midday):
    with app.app_context():  # a pause recorded a moment ago, before any re-planning ran
        db.session.add(ContactPause(family_id=scene.family, member_id=scene.mother, reason="just now"))
        db.session.commit()
    page = press(client_as(app, "practitioner_north"), scene.invitation, "send-now")
    assert "Not sent, and cancelled: paused." in page
    assert invitation(app, scene.invitation)["reason"] == "paused"
    with app.app_context():
        assert table_count(OutboxMessage) == 0


def test_staff_cancel_an_invitation_and_re_planning_does_not_bring_it_back(app, world, scene):
    page = press(client_as(app, "practitioner_north"), scene.invitation, "cancel")
    assert "Invitation cancelled" in page
    cancelled = invitation(app, scene.invitation)
    assert (cancelled["state"], cancelled["reason"]) == ("cancelled", "staff")
    assert cancelled["actors"][-1] == world["practitioner_north"]
    assert audit(app, "invitation.cancelled") == [(world["practitioner_north"], scene.invitation, {})]
    with app.app_context():
        family = db.session.get(Family, scene.family)
        update_family(family, family.version, exit_date=TODAY + timedelta(days=60))
        db.session.commit()
    assert invitation(app, scene.invitation)["state"] == "cancelled"
    again = press(client_as(app, "admin"), scene.invitation, "cancel")
    assert "Not cancelled: the invitation is cancelled." in again
    assert len(audit(app, "invitation.cancelled")) == 1


def test_an_invitation_being_sent_cannot_be_cancelled(app, scene):
    with app.app_context():
        db.session.get(Invitation, scene.invitation).pending_send = "invitation"
        db.session.get(Invitation, scene.invitation).claimed_at = utcnow()
        db.session.commit()
    page = press(client_as(app, "practitioner_north"), scene.invitation, "cancel")
    assert "Not cancelled: a text for this invitation is being sent" in page
    assert invitation(app, scene.invitation)["state"] == "planned"


def make_unknown(app, invitation_id):
    """A dispatcher handed the text to the provider an hour ago and never confirmed it."""
    with app.app_context():
        claimed = db.session.get(Invitation, invitation_id)
        claimed.state, claimed.pending_send = "due", "invitation"
        claimed.claimed_at = claimed.send_started_at = utcnow() - timedelta(hours=1)
        db.session.commit()


def test_an_admin_resolves_an_unknown_send_after_checking_with_the_provider(app, world, scene):
    make_unknown(app, scene.invitation)
    practitioner_page = client_as(app, "practitioner_north").get(f"/staff/invitations/{scene.invitation}")
    assert "unknown" in practitioner_page.get_data(as_text=True)
    assert "Check this send" not in practitioner_page.get_data(as_text=True)
    admin = client_as(app, "admin")
    assert "Check this send" in admin.get(f"/staff/invitations/{scene.invitation}").get_data(as_text=True)
    page = press(admin, scene.invitation, "resolve", reached="yes")
    assert "Recorded as sent." in page
    resolved = invitation(app, scene.invitation)
    assert (resolved["state"], resolved["pending"]) == ("sent", None)
    assert resolved["causes"][-1] == "staff confirmed the text was sent"
    assert audit(app, "invitation.resolved") == [(world["admin"], scene.invitation, {"reached": True})]
    assert "Nothing to check" in press(admin, scene.invitation, "resolve", reached="no")
    assert len(audit(app, "invitation.resolved")) == 1


def status_row(html: str, wave_title: str) -> list[int]:
    row = html[html.index(f'<th scope="row">{wave_title}</th>'):]
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", row[:row.index("</tr>")])]


COLUMNS = ["planned", "due", "sent", "opened", "started", "completed", "expired", "cancelled", "failed", "unknown"]


def test_status_counts_each_wave_by_state_for_the_users_sites_only(app, world, scene):
    make_unknown(app, scene.invitation)
    north = dict(zip(COLUMNS, status_row(client_as(app, "manager_north").get("/staff/waves/status")
                                         .get_data(as_text=True), "Start of support")))
    # North: the key worker's assessment planned, the mother's send unknown, the paused father's cancelled.
    assert north == dict.fromkeys(COLUMNS, 0) | {"planned": 1, "cancelled": 1, "unknown": 1}
    everyone = dict(zip(COLUMNS, status_row(client_as(app, "admin").get("/staff/waves/status").get_data(as_text=True),
                                            "Start of support")))
    assert everyone["cancelled"] == 3  # south's paused family adds its two
    south_only = client_as(app, "admin").get(f"/staff/waves/status?site={world['south']}").get_data(as_text=True)
    assert dict(zip(COLUMNS, status_row(south_only, "Start of support")))["cancelled"] == 2


def calendar_counts(app, html: str) -> dict[tuple[str, str], int]:
    """(instrument id, channel) → count, read back from the titles and words the page shows."""
    from feedback.publishing.startup import current_catalogue
    from feedback.staff.words import CHANNEL_LABELS

    with app.test_request_context("/staff/"):
        instruments = {instrument.title.get("en"): instrument.id
                       for instrument in current_catalogue().instruments.values()}
        channels = {str(label): code for code, label in CHANNEL_LABELS.items()}
    return {(instruments[title], channels[channel]): int(count) for title, channel, count in re.findall(
        r'<td class="instrument">([^<]+)</td><td class="channel">([^<]+)</td><td>(\d+)</td>', html)}


def test_the_calendar_counts_invitations_due_in_the_coming_weeks_without_identifying_anyone(app, world, scene):
    with app.app_context():
        family = db.session.get(Family, scene.family)
        update_family(family, family.version, exit_date=TODAY + timedelta(days=14))
        family_with_members(world["south"], world["practitioner_south"], "S-2", entry=TODAY - timedelta(days=90),
                            exit_=TODAY + timedelta(days=14), members=(("father", 1980, 5),))
        db.session.commit()
    researcher = client_as(app, "researcher_north").get("/staff/waves").get_data(as_text=True)
    assert "End of support" in researcher and "N-1" not in researcher and "Mother" not in researcher
    assert calendar_counts(app, researcher) == {("exit-interview", "sms_link"): 1, ("family-functioning", "sms_link"): 1,
                                           ("practitioner-assessment", "staff_task"): 1}
    admin = calendar_counts(app, client_as(app, "admin").get("/staff/waves").get_data(as_text=True))
    assert admin[("exit-interview", "sms_link")] == 2
    # Three months after exit is beyond six weeks, within 26.
    assert "3 months after support" not in researcher
    assert "3 months after support" in client_as(app, "researcher_north").get("/staff/waves?weeks=26").get_data(
        as_text=True)


def test_the_audit_log_lists_events_newest_first_and_filters_by_action(app, world, scene):
    practitioner = client_as(app, "practitioner_north")
    practitioner.get(f"/staff/families/{scene.family}")
    practitioner.get(f"/staff/families/{scene.family}?show=phone")
    admin = client_as(app, "admin")
    everything = admin.get("/staff/audit").get_data(as_text=True)
    # Each action is shown in words (feedback/staff/words.py), never as its code.
    actions = re.findall(r'<td class="action">([^<]+)</td>', everything.replace("&#39;", "'"))
    assert actions[:3] == ["Member's contact details shown", "Member's contact details shown", "Family viewed"]
    assert "Consent recorded" in actions and "Contact paused" in actions
    only = re.findall(r'<td class="action">([^<]+)</td>', admin.get("/staff/audit?action=family.viewed").get_data(as_text=True))
    assert only == ["Family viewed", "Family viewed"]
