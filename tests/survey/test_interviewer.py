"""Staff fill in responses: telephone interviews with family members (read aloud, recorded as
interviews) and a key worker's own assessment (an assessment screen, no script to read)."""
import re

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.service import add_member
from feedback.survey.models import Response
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.conftest import csrf_token
from tests.families.helpers import consent_all
from tests.staff.scene import build_scene, client_as

#: What the person says on each screen of the test ``household`` instrument.
SAID = {"has_children": {"has_children": "0"}, "adults": {"adults": "2"}, "f1": {"f1": "2"}, "f2": {"f2": "3"},
        "f3": {"f3": "2"}, "rating": {"rating": "5"}, "moved_in": {}, "postcode": {}, "comments": {}}


def fill_in(client, location, answers, banner):
    """Go screen by screen from ``location`` to the check page; each screen must show ``banner``."""
    screens = 0
    while not location.endswith("/check"):
        html = client.get(location).get_data(as_text=True)
        assert banner in html, location
        item = location.rsplit("/", 1)[1]
        result = client.post(location, data={"csrf_token": csrf_token(html), **answers[item]})
        assert result.status_code == 302, result.get_data(as_text=True)
        location = result.location
        screens += 1
        assert screens < 60
    return location


def test_interviewer_pages_need_a_signed_in_member_of_staff(client, make_link):
    response_id, _ = make_link()
    for url in (f"/staff/interviews/{response_id}", f"/staff/interviews/{response_id}/q/has_children",
                f"/staff/interviews/{response_id}/check", "/staff/"):
        page = client.get(url)
        assert page.status_code == 302 and "/staff/login" in page.location


def test_a_wrong_password_gets_one_generic_message(client, staff_user):
    form = csrf_token(client.get("/staff/login").get_data(as_text=True))
    for email, password in ((staff_user["email"], "wrong password"), ("nobody@example.org", "whatever")):
        page = client.post("/staff/login", data={"csrf_token": form, "email": email, "password": password})
        assert page.status_code == 401
        assert "The email address or password is not right." in page.get_data(as_text=True)


def test_an_interview_goes_question_by_question_to_a_check_and_records_mode_and_interviewer(app, signed_in, staff_user,
                                                                                            make_link):
    response_id, _ = make_link(label="Case NB-1 · father")
    start = signed_in.get(f"/staff/interviews/{response_id}").get_data(as_text=True)
    assert "Read this aloud" in start and "Case NB-1 · father" in start
    first = signed_in.get(f"/staff/interviews/{response_id}/resume").location
    assert first.endswith(f"/staff/interviews/{response_id}/q/has_children")
    check = fill_in(signed_in, first, SAID, "Read each question and its answers aloud")
    html = signed_in.get(check).get_data(as_text=True)
    assert "Check the answers" in html and "Save the interview" in html and "Send my answers" not in html
    result = signed_in.post(check, data={"csrf_token": csrf_token(html)})
    assert result.location.endswith(f"/staff/interviews/{response_id}/done")
    assert "Interview saved" in signed_in.get(result.location).get_data(as_text=True)
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed"
        assert response.mode == "interview" and response.interviewer_id == staff_user["id"]
        assert response.scores[0].value == 3.0  # f1 2→3 and f3 2→3 reversed, f2 3


def test_a_completed_interview_cannot_be_changed(app, signed_in, make_link):
    response_id, _ = make_link()
    check = fill_in(signed_in, signed_in.get(f"/staff/interviews/{response_id}/resume").location, SAID, "aloud")
    signed_in.post(check, data={"csrf_token": csrf_token(signed_in.get(check).get_data(as_text=True))})
    page = signed_in.get(f"/staff/interviews/{response_id}/q/adults")
    assert page.status_code == 409 and "already completed" in page.get_data(as_text=True)


def test_an_instrument_not_offered_by_interview_cannot_be_opened_in_interviewer_mode(app, signed_in, make_link):
    response_id, _ = make_link("partner-survey")  # web only
    assert signed_in.get(f"/staff/interviews/{response_id}").status_code == 404
    assert signed_in.get(f"/staff/interviews/{response_id}/q/role").status_code == 404


def test_signing_out_needs_a_post_with_csrf(signed_in):
    assert signed_in.get("/staff/logout").status_code == 405
    assert signed_in.post("/staff/logout").status_code == 400  # no CSRF token
    home = signed_in.get("/staff/").get_data(as_text=True)
    out = signed_in.post("/staff/logout", data={"csrf_token": csrf_token(home)})
    assert out.status_code == 302
    assert signed_in.get("/staff/").status_code == 302


# -- a key worker's own assessment -----------------------------------------------------------------

@pytest.fixture
def tasks(app, world):
    """North's entry wave is due: the key worker's own assessment (``kw_north``'s), and a telephone
    interview with a member who prefers one; the dispatcher has issued a response for each."""
    scene = build_scene(app, world)
    with app.app_context():
        family = db.session.get(Family, scene.family)
        family.key_worker_id = world["kw_north"]
        gran = add_member(family, "other_carer", "Gran", 1955, 2, "en", "interview", None)
        consent_all(gran)
        db.session.commit()
        dispatch_once(OutboxBackend())
        found = {invitation.channel: invitation.response_id for invitation in db.session.scalars(
            sa.select(Invitation).where(Invitation.channel.in_(("interview", "staff_task")),
                                        Invitation.family_id == scene.family))}
        case_ref = family.case_ref
    assert set(found) == {"interview", "staff_task"} and all(found.values())
    return {**found, "case_ref": case_ref}


def test_a_key_worker_s_assessment_opens_an_assessment_screen_not_an_interview_script(app, tasks):
    client = client_as(app, "kw_north")
    html = client.get(f"/staff/interviews/{tasks['staff_task']}").get_data(as_text=True)
    assert "Read this aloud" not in html and "taking part is up to you" not in html
    assert "Respondent:" not in html and "Telephone interview" not in html
    assert re.search(r"Assessor</dt>\s*<dd[^>]*>Kw North</dd>", html)
    assert re.search(rf"Family</dt>\s*<dd[^>]*>{tasks['case_ref']}</dd>", html)
    assert "Start the assessment" in html


def test_a_telephone_interview_with_a_family_member_still_opens_the_interview_screen(app, tasks):
    html = client_as(app, "kw_north").get(f"/staff/interviews/{tasks['interview']}").get_data(as_text=True)
    assert "Telephone interview" in html and "Read this aloud" in html
    assert "Respondent: Gran (other carer)" in html


def test_the_key_worker_fills_in_the_assessment_screen_by_screen_and_it_keeps_its_mode(app, world, tasks):
    client = client_as(app, "kw_north")
    response_id = tasks["staff_task"]
    location = client.get(f"/staff/interviews/{response_id}/resume").location
    html = client.get(location).get_data(as_text=True)
    assert f"Family: {tasks['case_ref']}" in html and "Assessor: Kw North" in html
    assert "aloud" not in html
    with app.app_context():
        from feedback.publishing.startup import current_catalogue

        instrument = current_catalogue().latest(db.session.get(Response, response_id).instrument_id)
    answers = {}
    for item in instrument.items:
        if item.type in ("single_choice", "yes_no", "agreement", "scale"):
            answers[item.id] = {item.id: str(item.choices[0].code)}
        else:
            answers[item.id] = {}
    check = fill_in(client, location, answers, "Assessor: Kw North")
    html = client.get(check).get_data(as_text=True)
    assert "Check your assessment" in html and "Save the assessment" in html
    done = client.post(check, data={"csrf_token": csrf_token(html)})
    assert "Assessment saved" in client.get(done.location).get_data(as_text=True)
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed" and response.mode == "staff"
        assert response.interviewer_id == world["kw_north"]
