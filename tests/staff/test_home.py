"""The staff start page: each role's pages, and a practitioner's tasks; interviews limited to their sites."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.service import add_member
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.families.helpers import consent_all
from tests.staff.scene import build_scene, client_as


def navigation(html: str) -> list[str]:
    nav = html[html.index('<nav class="staff-nav"'):html.index("</nav>")]
    return re.findall(r">([^<>]+)</a>", nav)


@pytest.mark.parametrize("role, pages", [
    ("admin", ["Home", "Families", "Invitations", "Calendar of invitations", "Invitation status", "Reports", "Datasets for evaluators",
               "Import responses", "Partner agencies", "Languages", "Outbox", "Emails", "Audit log", "API clients"]),
    ("practitioner_north", ["Home", "Families", "Invitations"]),
    ("researcher_north", ["Home", "Calendar of invitations", "Invitation status", "Reports", "Datasets for evaluators",
                          "Import responses", "Partner agencies", "Languages"]),
    ("manager_north", ["Home", "Invitation status", "Reports", "Partner agencies", "Languages"]),
])
def test_each_role_is_shown_the_pages_it_may_use(app, world, role, pages):
    assert navigation(client_as(app, role).get("/staff/").get_data(as_text=True)) == pages


@pytest.fixture
def tasks(app, world):
    """North's entry wave is due: the key worker's assessment, and a telephone interview for a member
    who prefers one; the dispatcher has issued a response for each."""
    scene = build_scene(app, world)
    with app.app_context():
        family = db.session.get(Family, scene.family)
        gran = add_member(family, "other_carer", "Gran", 1955, 2, "en", "interview", None)
        consent_all(gran)
        db.session.commit()
        dispatch_once(OutboxBackend())
        found = {i.channel: i.response_id for i in db.session.scalars(
            sa.select(Invitation).where(Invitation.channel.in_(("interview", "staff_task")),
                                        Invitation.family_id == scene.family))}
    assert set(found) == {"interview", "staff_task"} and all(found.values())
    return found


def task_links(html: str) -> list[str]:
    tasks = html[html.index("Your tasks"):]
    return re.findall(r'href="/staff/interviews/(\d+)">([^<]+)</a>', tasks)


def test_a_key_worker_sees_their_assessment_and_the_sites_interviews(app, tasks):
    links = task_links(client_as(app, "kw_north").get("/staff/").get_data(as_text=True))
    assert sorted(links) == sorted([(str(tasks["interview"]), "Interview by telephone"),
                                    (str(tasks["staff_task"]), "Fill in the assessment")])


def test_a_colleague_sees_the_interview_but_not_someone_elses_assessment(app, tasks):
    links = task_links(client_as(app, "practitioner_north").get("/staff/").get_data(as_text=True))
    assert links == [(str(tasks["interview"]), "Interview by telephone")]
    assert task_links(client_as(app, "practitioner_south").get("/staff/").get_data(as_text=True)) == []


def test_the_key_worker_opens_their_assessment_and_the_opening_is_audited(app, world, tasks):
    page = client_as(app, "kw_north").get(f"/staff/interviews/{tasks['staff_task']}")
    assert page.status_code == 200  # a web-only instrument, filled in by staff
    with app.app_context():
        [opened] = db.session.scalars(sa.select(AuditEvent).filter_by(action="interview.opened")).all()
        assert (opened.actor_id, opened.subject_id, opened.site_id) == (world["kw_north"], tasks["staff_task"],
                                                                         world["north"])


def test_a_response_with_no_family_is_for_admins_only(app, world, make_link):
    response_id, _token = make_link()
    assert client_as(app, "practitioner_north").get(f"/staff/interviews/{response_id}").status_code == 404
    assert client_as(app, "admin").get(f"/staff/interviews/{response_id}").status_code == 200
