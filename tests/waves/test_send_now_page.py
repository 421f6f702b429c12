"""“Send a survey now” on a member's page: the dispatcher's rules (consent, opt-out, pause, quiet
hours), what happened said in words, a printed link shown once, audited; who may use it."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import Member
from feedback.families.service import opt_out, record_consent
from feedback.waves.models import Invitation, OutboxMessage
from tests.conftest import csrf_token, table_count
from tests.staff.scene import build_scene, client_as
from tests.waves.seeding import sending_moment
from tests.waves.test_dispatcher import london

NOON = sending_moment(date.today() + timedelta(days=1))


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


@pytest.fixture
def at_noon(monkeypatch):
    monkeypatch.setattr("feedback.waves.send_now.utcnow", lambda: NOON)


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def member_page(client, family_id: int, member_id: int) -> str:
    response = client.get(f"/staff/families/{family_id}/members/{member_id}/edit")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def send(client, family_id: int, member_id: int, instrument="follow-up", channel="sms_link", token=True):
    data = {"instrument": instrument, "channel": channel}
    if token:
        page = member_page(client, family_id, member_id)
        form = page[page.index('class="send-now"'):]
        data["csrf_token"] = csrf_token(form)
    return client.post(f"/staff/families/{family_id}/members/{member_id}/send-now", data=data)


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return table_count(Invitation), table_count(OutboxMessage)


def audits(app) -> list[tuple]:
    with app.app_context():
        return [(e.actor_id, e.subject_id, e.detail) for e in db.session.scalars(
            sa.select(AuditEvent).filter_by(action="invitation.sent_manually").order_by(AuditEvent.id))]


def test_the_member_page_offers_member_surveys_by_title_and_the_channels_the_member_has(app, scene):
    page = member_page(client_as(app, "practitioner_north"), scene.family, scene.mother)
    form = page[page.index('class="send-now"'):page.index("</form>", page.index('class="send-now"'))]
    assert "Send a survey now" in page
    assert ">How are things now?<" in form and ">How our family gets on<" in form
    assert "Key worker assessment" not in form and "Partner agency survey" not in form  # not sent to members
    assert 'value="sms_link"' in form and "Link by text" in form and 'value="print"' in form
    assert 'value="email_link"' not in form  # no address on record
    with app.app_context():
        db.session.get(Member, scene.mother).email = "jo@example.org"
        db.session.commit()
    form = member_page(client_as(app, "practitioner_north"), scene.family, scene.mother)
    assert 'value="email_link"' in form and "Link by email" in form


def test_send_now_texts_the_member_and_the_outbox_shows_it(app, world, scene, at_noon):
    invitations, _ = counts(app)
    response = send(client_as(app, "practitioner_north"), scene.family, scene.mother)
    assert response.status_code == 200
    shown = words(response.get_data(as_text=True))
    assert "Sent" in shown and "How are things now? was sent to Mother (mother): link by text." in shown
    with app.app_context():
        [message] = db.session.scalars(sa.select(OutboxMessage)).all()
        invitation = db.session.get(Invitation, message.invitation_id)
        assert invitation.member_id == scene.mother and invitation.instrument_id == "follow-up"
        assert invitation.state == "sent" and invitation.wave.startswith("manual-")
        number = message.to_number
        assert [e.actor_id for e in invitation.events if e.cause == "asked for now by staff"] == \
            [world["practitioner_north"]]
    assert counts(app)[0] == invitations + 1
    assert audits(app) == [(world["practitioner_north"], message.invitation_id,
                            {"outcome": "sent", "channel": "sms_link", "via": "web"})]
    outbox = client_as(app, "admin").get("/staff/outbox").get_data(as_text=True)
    assert number in outbox and re.search(r"/s/[\w-]+", outbox)
    # The new invitation is in the list, as sent by hand.
    listed = words(client_as(app, "practitioner_north").get("/staff/invitations?wave=manual").get_data(as_text=True))
    assert "1 invitation matches." in listed and "How are things now?" in listed and "Sent by hand" in listed


def test_in_quiet_hours_it_is_held_and_the_page_says_it_will_send_at_nine(app, world, scene, monkeypatch):
    evening = london(NOON.date(), 21)
    monkeypatch.setattr("feedback.waves.send_now.utcnow", lambda: evening)
    response = send(client_as(app, "practitioner_north"), scene.family, scene.mother)
    assert response.status_code == 200
    shown = words(response.get_data(as_text=True))
    assert "Held until quiet hours end" in shown
    assert re.search(r"It is quiet hours: it will send at 09:00 on \w+ \d+ \w+ \d{4}\.", shown), shown
    assert counts(app)[1] == 0
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation).filter_by(member_id=scene.mother,
                                                                        instrument_id="follow-up"))
        assert invitation.state == "due" and invitation.next_send_at > evening
    assert [detail["outcome"] for _actor, _subject, detail in audits(app)] == ["held"]


def _no_sms_consent(member):
    record_consent(member, "sms", "self", False, "v1", None)


def _opted_out(member):
    opt_out(member, "said STOP", None)


@pytest.mark.parametrize("block, reason", [
    (_no_sms_consent, "no consent to be contacted by text is in force; nothing sent"),
    (_opted_out, "the member opted out of texts; nothing sent"),
    (None, "contact is paused; nothing sent"),  # the father: paused in the scene
])
def test_refused_when_the_dispatcher_would_not_contact_them(app, scene, at_noon, block, reason):
    member_id = scene.mother
    if block is None:
        member_id = scene.father
    else:
        with app.app_context():
            block(db.session.get(Member, scene.mother))
            db.session.commit()
    before = counts(app)
    response = send(client_as(app, "practitioner_north"), scene.family, member_id)
    assert response.status_code == 409
    shown = words(response.get_data(as_text=True))
    assert "Not sent" in shown and reason in shown
    assert counts(app) == before and audits(app) == []


def test_print_shows_the_link_once_and_sends_nothing(app, world, scene, at_noon):
    response = send(client_as(app, "practitioner_north"), scene.family, scene.mother, channel="print")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "A link to hand over" in html
    link = re.search(r"<code>(https?://[^<\s]+/s/([A-Za-z0-9_-]+))</code>", html)
    assert link and "N-1" not in link.group(1)
    assert counts(app)[1] == 0
    assert app.test_client().get(f"/s/{link.group(2)}").status_code == 200
    assert [detail for _a, _s, detail in audits(app)] == [{"outcome": "printed", "channel": "print", "via": "web"}]
    # Shown once: the member's page and the invitation's page do not show it again.
    again = client_as(app, "practitioner_north")
    assert link.group(2) not in member_page(again, scene.family, scene.mother)


def test_a_channel_the_member_has_no_address_for_or_an_unknown_survey_is_refused(app, scene, at_noon):
    client = client_as(app, "practitioner_north")
    before = counts(app)
    for instrument, channel in (("follow-up", "email_link"), ("practitioner-assessment", "sms_link"),
                                ("nope", "sms_link"), ("follow-up", "sms_conversation")):
        response = send(client, scene.family, scene.mother, instrument=instrument, channel=channel)
        assert response.status_code == 400 and "Nothing was sent." in response.get_data(as_text=True)
    assert counts(app) == before and audits(app) == []


def test_without_a_csrf_token_it_is_refused(app, scene, at_noon):
    before = counts(app)
    response = send(client_as(app, "practitioner_north"), scene.family, scene.mother, token=False)
    assert response.status_code == 400
    assert counts(app) == before and audits(app) == []


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("manager_north", 403), ("researcher_north", 403),
                                          ("practitioner_south", 404)])
def test_who_may_send_a_survey_now(app, world, scene, at_noon, role, status):
    from tests.staff.scene import form_token

    client = client_as(app, role)
    before = counts(app)
    response = client.post(f"/staff/families/{scene.family}/members/{scene.mother}/send-now",
                           data={"csrf_token": form_token(client), "instrument": "follow-up", "channel": "sms_link"})
    assert response.status_code == status
    assert counts(app) == before and audits(app) == []


def test_another_familys_member_or_another_sites_family_is_404(app, scene, at_noon):
    from tests.staff.scene import form_token

    client = client_as(app, "practitioner_north")
    data = {"csrf_token": form_token(client), "instrument": "follow-up", "channel": "sms_link"}
    for family_id, member_id in ((scene.family, scene.south_member), (scene.south_family, scene.south_member),
                                 (scene.family, 99999)):
        assert client.post(f"/staff/families/{family_id}/members/{member_id}/send-now", data=data).status_code == 404
    assert counts(app)[1] == 0 and audits(app) == []
