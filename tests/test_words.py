"""Words, not codes: every state, channel, role, audit action, consent kind and instrument reads as
words on staff pages, through the filters and through the pages that show them. Cells are read one
by one (a code such as "due" or "sent" is an English word too)."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import ACTIONS
from feedback.audit.service import record
from feedback.extensions import db
from feedback.families.eligibility import MEMBER_ROLES
from feedback.families.models import CHANNELS as MEMBER_CHANNELS
from feedback.families.models import CONSENT_PARTIES, CONSENT_PURPOSES, Family, Member
from feedback.families.service import add_member
from feedback.partners.models import CONTACT_ROLES
from feedback.publishing.startup import current_catalogue
from feedback.staff import words
from feedback.staff.models import ROLES, StaffUser
from feedback.waves.models import STATES, Invitation, OutboxMessage
from feedback.waves.schedule import CHANNELS as WAVE_CHANNELS
from feedback.survey.models import Response
from tests.staff.scene import build_scene, client_as

ALL_STATES = (*STATES, "unknown")
ALL_CHANNELS = tuple(dict.fromkeys((*WAVE_CHANNELS, *MEMBER_CHANNELS)))
ALL_ROLES = (*ROLES, *MEMBER_ROLES, *CONTACT_ROLES)


def cells(page: str, css: str, tags: str = "td|dd|th") -> list[str]:
    """The text of every element with ``class="css"`` (tags inside dropped)."""
    found = re.findall(rf'<({tags})[^>]*class="{css}"[^>]*>(.*?)</\1>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for _tag, text in found]


@pytest.mark.parametrize("labels, codes", [
    (words.STATE_LABELS, ALL_STATES), (words.CHANNEL_LABELS, ALL_CHANNELS), (words.ROLE_LABELS, ALL_ROLES),
    (words.AUDIT_ACTION_LABELS, ACTIONS), (words.CONSENT_PURPOSE_LABELS, CONSENT_PURPOSES),
    (words.CONSENT_PARTY_LABELS, CONSENT_PARTIES),
])
def test_every_code_has_words(labels, codes):
    assert set(codes) <= set(labels), set(codes) - set(labels)


@pytest.mark.parametrize("name, codes", [
    ("state_label", ALL_STATES), ("channel_label", ALL_CHANNELS), ("role_label", ALL_ROLES),
    ("audit_action_label", ACTIONS), ("consent_purpose_label", CONSENT_PURPOSES),
    ("consent_party_label", CONSENT_PARTIES), ("family_status_label", tuple(words.FAMILY_STATUS_LABELS)),
])
def test_the_filters_give_the_words(app, name, codes):
    with app.test_request_context("/staff/"):
        render = app.jinja_env.from_string("{{ code|%s }}" % name)
        for code in codes:
            shown = html.unescape(render.render(code=code))
            assert shown and ("_" not in shown and "." not in shown.rstrip(".")), (code, shown)
            if code not in ("due", "sent", "opened", "started", "completed", "expired", "cancelled", "failed",
                            "planned", "unknown", "queued", "delivered"):
                assert shown != code


def test_an_unknown_code_is_humanised_never_an_error(app):
    with app.test_request_context("/staff/"):
        for name in words.FILTERS:
            if name == "audit_details":
                continue
            assert app.jinja_env.from_string("{{ 'brand_new.code'|%s }}" % name).render() in (
                "Brand new code", "—") or name == "instrument_title"
        assert words.state_label(None) == "—"
        assert words.instrument_title("no-such-instrument") == "No such instrument"
        assert words.audit_details({"brand_new": [1, 2]}) == "brand new: 1, 2"
        assert words.audit_details(None) == "—"


def test_audit_details_read_as_words(app):
    with app.test_request_context("/staff/"):
        shown = words.audit_details({"purpose": "sms", "party": "parent", "given": True, "text_version": "v1"})
        assert shown == ("for: being contacted by text; by: their parent or carer; consent given: yes; "
                         "consent text version: v1")
        assert "True" not in shown and "given: True" not in shown
        assert words.audit_details({"given": False}) == "consent given: no"
        assert words.audit_details({"shown": "phone"}) == "shown: the mobile number"
        assert words.audit_details({"via": "cli", "role": "admin"}) == "through: the command line; role: Administrator"
        assert words.audit_details({"instrument": "household"}) == "instrument: Your household"


def test_an_instrument_is_shown_by_its_title(app):
    with app.test_request_context("/staff/"):
        assert words.instrument_title("household") == "Your household"
        assert words.instrument_title("family-functioning") != "family-functioning"


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


def test_the_invitation_page_shows_every_state_and_channel_as_words(app, scene):
    client = client_as(app, "admin")
    url = f"/staff/invitations/{scene.invitation}"
    for state in ALL_STATES:
        with app.app_context():
            invitation = db.session.get(Invitation, scene.invitation)
            invitation.state = "sent" if state == "unknown" else state
            invitation.pending_send = "invitation" if state == "unknown" else None
            invitation.send_started_at = datetime.utcnow() - timedelta(hours=1) if state == "unknown" else None
            db.session.commit()
        page = client.get(url).get_data(as_text=True)
        with app.test_request_context("/staff/"):
            label = words.state_label(state)
        [shown] = cells(page, "state", "dd")
        assert shown == label or shown.startswith(label + ":")
        assert set(cells(page, "state", "td")) <= {str(label) for label in words.STATE_LABELS.values()} | {"—"}
    for channel in WAVE_CHANNELS:
        with app.app_context():
            db.session.get(Invitation, scene.invitation).channel = channel
            db.session.commit()
        page = client.get(url).get_data(as_text=True)
        assert cells(page, "channel") == [str(words.CHANNEL_LABELS[channel])] != [channel]
    with app.app_context():
        title = current_catalogue().latest("family-functioning").title.get("en")
    assert cells(page, "instrument") == [title] != ["family-functioning"]


def test_the_family_page_shows_channels_states_roles_and_titles_as_words(app, world, scene):
    with app.app_context():
        family = db.session.get(Family, scene.family)
        for role in MEMBER_ROLES:
            add_member(family, role, None, 1980 if role not in ("child", "young_person") else 2015, 1, "en",
                       "none", None)
        db.session.commit()
        codes = set(db.session.scalars(sa.select(Invitation.instrument_id).filter_by(family_id=scene.family)))
        channels = set(db.session.scalars(sa.select(Member.channel).filter_by(family_id=scene.family)))
    page = client_as(app, "admin").get(f"/staff/families/{scene.family}").get_data(as_text=True)
    members = page[page.index("<h2>Members</h2>"):page.index("Contact pauses")]
    for role in MEMBER_ROLES:
        assert f"({str(words.ROLE_LABELS[role]).lower()})" in members
        assert f"({role})" not in members or role in ("mother", "father", "partner", "child", "other")
    shown_channels = set(re.findall(r"<td>([^<]+)</td>", members))
    assert {str(words.CHANNEL_LABELS[c]) for c in channels} <= shown_channels
    assert not channels & shown_channels
    assert set(cells(page, "state")) <= {str(label) for label in words.STATE_LABELS.values()}
    assert cells(page, "channel") and not set(cells(page, "channel")) & set(ALL_CHANNELS)
    links = re.findall(r'href="/staff/invitations/\d+">([^<]+)</a>', page)
    assert links and not set(links) & codes


def test_the_status_page_heads_every_state_with_words(app, scene):
    page = client_as(app, "admin").get("/staff/waves/status").get_data(as_text=True)
    headings = cells(page, "state")
    with app.test_request_context("/staff/"):
        assert headings == [words.state_label(state).capitalize() for state in ALL_STATES]


def test_the_calendar_shows_titles_and_channel_words(app, scene):
    with app.app_context():
        db.session.get(Invitation, scene.invitation).due_on = date.today() + timedelta(days=7)
        db.session.commit()
    page = client_as(app, "admin").get("/staff/waves").get_data(as_text=True)
    assert cells(page, "channel") and not set(cells(page, "channel")) & set(ALL_CHANNELS)
    assert cells(page, "instrument") and "family-functioning" not in cells(page, "instrument")


def test_the_audit_log_shows_every_action_and_its_details_as_words(app, world, scene):
    with app.app_context():
        actor = db.session.get(StaffUser, world["admin"])
        for action in ACTIONS:
            record(action, actor, actor_id=actor.id)
        member = db.session.get(Member, scene.mother)
        record("consent.recorded", member, actor_id=actor.id, purpose="sms", party="self", given=True,
               text_version="v1")
        db.session.commit()
    page = client_as(app, "admin").get("/staff/audit").get_data(as_text=True)
    shown = cells(page, "action")
    with app.test_request_context("/staff/"):
        assert set(shown) == {words.audit_action_label(action) for action in ACTIONS}
    assert not set(shown) & set(ACTIONS)
    details = cells(page, "details")
    assert "consent given: yes" in details[0] and "True" not in details[0]
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page)
    assert all(html.unescape(text) != value for value, text in options if value)
    filtered = client_as(app, "admin").get("/staff/audit?action=export.expired").get_data(as_text=True)
    assert "Export deleted (retention limit)" in filtered


def test_the_outbox_shows_what_each_text_was_in_words(app, world, scene):
    kinds = ("invitation", "reminder", "question", "reply")
    with app.app_context():
        for kind in kinds:
            db.session.add(OutboxMessage(kind=kind, to_number="+447911000001", body="hello", backend="outbox"))
        db.session.commit()
    page = client_as(app, "admin").get("/staff/outbox").get_data(as_text=True)
    assert sorted(cells(page, "kind")) == sorted(str(words.SEND_KIND_LABELS[k]) for k in kinds)
    assert set(cells(page, "delivery")) == {"kept in the outbox"}


def test_the_admin_home_names_the_respondent_and_offers_a_call_only_when_one_can_be_made(app, world, scene):
    with app.app_context():
        family = db.session.get(Family, scene.family)
        no_phone = add_member(family, "other_carer", "Nan", 1950, 1, "en", "email_link", None)
        db.session.flush()
        emailed = db.session.get(Response, scene.response)
        twin = Response(token_hash="x" * 64, instrument_version_id=emailed.instrument_version_id,
                        instrument_id=emailed.instrument_id, version=emailed.version,
                        content_hash=emailed.content_hash, family_id=family.id, member_id=no_phone.id,
                        expires_at=emailed.expires_at)
        db.session.add(twin)
        db.session.commit()
        twin_id = twin.id
    page = client_as(app, "admin").get("/staff/").get_data(as_text=True)
    page = page[page.index("Open surveys"):]
    rows = dict(re.findall(r'href="/staff/interviews/(\d+)">([^<]+)</a>', page))
    assert rows.get(str(scene.response)) == "Interview by telephone"  # the mother has a mobile number
    assert str(twin_id) not in rows  # Nan has none: no call offered
    respondents = cells(page, "respondent")
    assert "Mother (mother)" in respondents and "Nan (other carer)" in respondents and "—" not in respondents
    assert "N-1" in cells(page, "family")
    assert "Your household, version 1" in cells(page, "instrument")
