"""A key worker's day (issue 22): what needs them at their sites, each row linking to its action;
one site's families never shown to another's staff; managers see counts only; other roles nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.service import add_member
from feedback.staff.day import FAILED_DAYS, key_worker_day
from feedback.staff.models import StaffUser
from feedback.timeutil import utcnow
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation, OutboxMessage
from tests.families.helpers import consent_all, family_with_members
from tests.staff.scene import ENTRY, build_scene, client_as
from tests.conftest import page_text

LISTS = ("assessments", "interviews", "failed_texts", "no_consent", "pauses")


@dataclass(frozen=True)
class Seeded:
    family: int
    south: int
    assessment: int
    interview: int
    failed: int
    old_failed: int
    lost: int
    south_failed: int


@pytest.fixture
def seeded(app, world) -> Seeded:
    """North: N-1 (kw_north's, entry wave due: the assessment, Gran's telephone interview, a text
    that failed, one that failed long ago, one the provider reports undelivered; the father paused),
    N-2 (kw_north's, no consent recorded), N-3 (practitioner_north's, no consent). South: S-1 (paused,
    a failed text) and S-2 (no consent)."""
    scene = build_scene(app, world)
    with app.app_context():
        family = db.session.get(Family, scene.family)
        gran = add_member(family, "other_carer", "Gran", 1955, 2, "en", "interview", None)
        consent_all(gran)
        family_with_members(world["north"], world["practitioner_north"], "N-3", entry=ENTRY, consent=False,
                            members=(("mother", 1991, 2),))
        family_with_members(world["north"], world["kw_north"], "N-2", entry=ENTRY, consent=False,
                            members=(("mother", 1992, 5),))
        family_with_members(world["south"], world["practitioner_south"], "S-2", entry=ENTRY, consent=False,
                            members=(("mother", 1993, 6),))
        db.session.commit()
        dispatch_once(OutboxBackend())
        by_channel = {}
        for invitation in db.session.scalars(sa.select(Invitation).where(Invitation.family_id == scene.family)):
            by_channel.setdefault(invitation.channel, []).append(invitation)
        [assessment], [interview] = by_channel["staff_task"], by_channel["interview"]
        now = utcnow()
        failed = text_invitation(scene.family, scene.mother, "failed-lately", "failed", now - timedelta(days=1))
        old_failed = text_invitation(scene.family, scene.mother, "failed-long-ago", "failed",
                                     now - timedelta(days=FAILED_DAYS + 1))
        lost = text_invitation(scene.family, scene.mother, "undelivered", "sent", now - timedelta(days=1))
        db.session.add(OutboxMessage(invitation_id=lost.id, kind="invitation", to_number="+447911100000",
                                     body="x", backend="twilio", status="undelivered", status_at=now - timedelta(hours=2)))
        # Delivered, or lost long ago: not shown.
        delivered = text_invitation(scene.family, scene.mother, "delivered", "sent", now - timedelta(days=1))
        db.session.add(OutboxMessage(invitation_id=delivered.id, kind="invitation", to_number="+447911100000",
                                     body="x", backend="twilio", status="delivered", status_at=now))
        south_text = text_invitation(scene.south_family, scene.south_member, "failed-lately", "failed", now)
        db.session.commit()
        return Seeded(scene.family, scene.south_family, assessment.id, interview.id, failed.id, old_failed.id, lost.id,
                      south_text.id)


def text_invitation(family_id: int, member_id: int, wave: str, state: str, at) -> Invitation:
    invitation = Invitation(family_id=family_id, member_id=member_id, recipient_key=f"m{member_id}", schedule_id="test",
                            wave=wave, instrument_id="family-functioning", channel="sms_link", due_on=at.date(),
                            opens_at=at, closes_at=at + timedelta(days=28), state=state, updated_at=at, sent_at=at)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def day_for(app, world, name: str):
    with app.test_request_context():
        user = db.session.get(StaffUser, world[name])
        now = utcnow()
        return key_worker_day(user, now.date(), now)


def refs(rows) -> list[str]:
    return [row.case_ref for row in rows]


def test_a_key_worker_sees_what_needs_them_at_their_site(app, world, seeded):
    day = day_for(app, world, "kw_north")
    # Their own assessments first (to fill in), then the rest of the site's (to see).
    assert [(row.case_ref, row.yours, row.member) for row in day.assessments] == [
        ("N-1", True, None), ("N-2", True, None), ("N-3", False, None)]
    assert all(row.url.startswith("/staff/interviews/") and row.action == "Fill in the assessment"
               for row in day.assessments[:2])
    assert day.assessments[2].url.startswith("/staff/invitations/")
    [interview] = day.interviews
    assert interview.member.name == "Gran" and interview.url.startswith("/staff/interviews/")
    assert interview.action == "Interview by telephone" and interview.yours
    failed_urls = {row.url for row in day.failed_texts}
    assert failed_urls == {f"/staff/invitations/{seeded.failed}", f"/staff/invitations/{seeded.lost}"}
    # Their own family first, then the rest of the site.
    assert refs(day.no_consent) == ["N-2", "N-3"] and [row.yours for row in day.no_consent] == [True, False]
    [pause] = day.pauses
    assert (pause.case_ref, pause.member.role) == ("N-1", "father")
    assert pause.url == f"/staff/families/{seeded.family}"


def test_a_colleague_sees_the_sites_lists_but_cannot_fill_in_someone_elses_assessment(app, world, seeded):
    day = day_for(app, world, "practitioner_north")
    assert [(row.case_ref, row.yours) for row in day.assessments] == [("N-3", True), ("N-1", False), ("N-2", False)]
    assert day.assessments[1].url == f"/staff/invitations/{seeded.assessment}"
    assert refs(day.no_consent) == ["N-3", "N-2"]  # now N-3 is theirs


def test_a_south_family_never_appears_for_a_north_key_worker(app, world, seeded):
    north = day_for(app, world, "kw_north")
    for name in LISTS:
        assert not [ref for ref in refs(getattr(north, name)) if ref.startswith("S-")], name
    south = day_for(app, world, "practitioner_south")
    assert refs(south.no_consent) == ["S-2"] and refs(south.pauses) == ["S-1"]
    assert [row.url for row in south.failed_texts] == [f"/staff/invitations/{seeded.south_failed}"]
    assert refs(south.assessments) == ["S-2"] and not south.interviews


def test_no_sites_no_day(app, world, seeded):
    with app.app_context():
        user = db.session.get(StaffUser, world["kw_north"])
        user.sites = []
        db.session.commit()
    assert day_for(app, world, "kw_north").empty


def test_every_row_links_to_a_page_the_same_user_can_open(app, world, seeded):
    for name in ("kw_north", "practitioner_north", "practitioner_south"):
        day = day_for(app, world, name)
        client = client_as(app, name)
        urls = {row.url for rows in day.lists.values() for row in rows}
        assert urls
        for url in sorted(urls):
            assert client.get(url).status_code == 200, (name, url)


def test_the_lists_take_a_few_queries_however_many_rows(app, world, seeded):
    statements = []

    def count(*args, **kwargs):
        statements.append(args[2] if len(args) > 2 else None)

    with app.test_request_context():
        user = db.session.get(StaffUser, world["kw_north"])
        user.site_ids  # noqa: B018  (the grant is loaded before counting)
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            now = utcnow()
            key_worker_day(user, now.date(), now)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 12, statements


def home(app, name: str) -> str:
    page = client_as(app, name).get("/staff/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_home_page_shows_the_day_with_counts_and_links(app, world, seeded):
    html = home(app, "kw_north")
    for heading in ("Assessments due (3)", "Telephone interviews due (1)", "Texts that failed in the last 14 days (2)",
                    "Families with no consent recorded (2)", "Contact pauses ending (1)"):
        assert heading in html, heading
    assert "Gran (other carer)" in html
    assert f'href="/staff/families/{seeded.family}"' in html and f'href="/staff/invitations/{seeded.failed}"' in html
    shown = page_text(html)
    assert "S-1" not in shown and "S-2" not in shown


def test_empty_lists_say_so_in_words(app, world):
    html = home(app, "kw_north")
    for words in ("Assessments due (0)", "No assessments due.", "No telephone interviews due.", "No texts failed.",
                  "Every family has a consent decision recorded.",
                  "No contact pause ends soon, and none is without an end date."):
        assert words in html, words


def test_a_manager_sees_counts_for_their_site_but_no_family(app, world, seeded):
    html = home(app, "manager_north")
    assert "At your sites today" in html and "Your tasks" not in html
    assert "N-1" not in page_text(html) and "N-2" not in page_text(html) and "/staff/families/" not in html
    assert "/staff/invitations/" not in html and "/staff/interviews/" not in html
    counts = html[html.index("At your sites today"):]
    assert "<dd class=\"govuk-summary-list__value\">2</dd>" in counts  # two families with no consent


@pytest.mark.parametrize("role", ["researcher_north", "admin"])
def test_other_roles_have_no_day(app, world, seeded, role):
    html = home(app, role)
    assert "Your tasks" not in html and "At your sites today" not in html and "N-2" not in page_text(html)


def test_a_manager_or_researcher_cannot_open_the_rows_and_anonymous_is_sent_to_sign_in(app, world, seeded):
    day = day_for(app, world, "kw_north")
    urls = sorted({row.url for rows in day.lists.values() for row in rows})
    for name in ("manager_north", "researcher_north"):
        client = client_as(app, name)
        assert {client.get(url).status_code for url in urls} == {403}, name
    south = client_as(app, "practitioner_south")
    assert {south.get(url).status_code for url in urls} == {404}
    assert client_as(app, "anonymous").get("/staff/").status_code == 302
