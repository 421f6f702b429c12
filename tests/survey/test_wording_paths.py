"""Every way a response is made records the wording it is answered in: (language, wording hash of
that language), on the anonymous link, the telephone interview and the dispatcher's interview task
(imports: ``tests/imports/test_import_wording.py``)."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.families.service import add_member
from feedback.instruments.wording import wording_hash
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response
from feedback.survey.service import create_response
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation
from tests.conftest import csrf_token
from tests.families.helpers import consent_all, family_with_members
from tests.staff.scene import build_scene
from tests.survey.test_anonymous import invite, opened, response_of  # noqa: F401 (a fixture)
from tests.survey.test_web_flow import url


def expected(app, instrument_id: str, language: str) -> tuple[str, str]:
    with app.app_context():
        return language, wording_hash(current_catalogue().latest(instrument_id), language)


def recorded(app, response_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        response = db.session.get(Response, response_id)
        return response.language, response.wording_hash


# -- the anonymous link (anonymous.new_unlinked_response) ------------------------------------------

def test_an_anonymous_response_begun_in_welsh_records_the_welsh_wording(app, client, invite):
    _, _, link = invite()
    page = client.get(url(link)).get_data(as_text=True)
    client.post(url(link, "language"), data={"csrf_token": csrf_token(page), "language": "cy"})
    token = opened(client, link)
    with app.app_context():
        response_id = response_of(token).id
    assert recorded(app, response_id) == expected(app, "partner-survey", "cy")


def test_an_anonymous_response_answered_without_a_choice_records_the_language_it_was_read_in(app, client, invite):
    _, _, link = invite()
    token = opened(client, link)
    with app.app_context():
        response_id = response_of(token).id
    assert recorded(app, response_id) == (None, None)  # not known until chosen or a page is answered
    location = client.get(url(token, "start")).location
    page = client.get(location).get_data(as_text=True)
    client.post(location, data={"csrf_token": csrf_token(page), "role": "2"})
    assert recorded(app, response_id) == expected(app, "partner-survey", "en")


# -- telephone interviews (interviewer.py → save_answers(shown=…)) ---------------------------------

def welsh_members_interview(app, world) -> int:
    """A household interview with a Welsh-speaking mother, made in her language; its id."""
    with app.app_context():
        family, (mother,) = family_with_members(world["north"], world["kw_north"], "W-1",
                                                members=(("mother", 1990, 4),))
        mother.language = "cy"
        response, _token = create_response(current_catalogue().latest("household"), 28, "W-1 mother", language="cy")
        response.family_id, response.member_id = family.id, mother.id
        db.session.commit()
        return response.id


def test_a_welsh_members_interview_records_the_welsh_wording_when_answered(app, signed_in, world):
    response_id = welsh_members_interview(app, world)
    first = signed_in.get(f"/staff/interviews/{response_id}/resume").location
    page = signed_in.get(first).get_data(as_text=True)
    assert 'lang="cy"' in page
    answered = signed_in.post(first, data={"csrf_token": csrf_token(page), "has_children": "0"})
    assert answered.status_code == 302
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.mode == "interview" and response.answer_values() == {"has_children": 0}
    assert recorded(app, response_id) == expected(app, "household", "cy")


def test_an_interview_with_no_language_on_record_records_the_english_it_was_read_in(app, signed_in, make_link):
    response_id, _token = make_link()
    first = signed_in.get(f"/staff/interviews/{response_id}/resume").location
    page = signed_in.get(first).get_data(as_text=True)
    signed_in.post(first, data={"csrf_token": csrf_token(page), "has_children": "0"})
    assert recorded(app, response_id) == expected(app, "household", "en")


def test_the_dispatchers_interview_for_a_welsh_member_is_made_in_welsh(app, world):
    scene = build_scene(app, world)
    with app.app_context():
        family = db.session.get(Family, scene.family)
        nain = add_member(family, "other_carer", "Nain", 1955, 2, "cy", "interview", None)
        consent_all(nain)
        db.session.commit()
        dispatch_once(OutboxBackend())
        response_id, instrument_id = db.session.execute(
            sa.select(Invitation.response_id, Invitation.instrument_id)
            .where(Invitation.member_id == nain.id, Invitation.channel == "interview")).one()
    assert response_id is not None
    assert recorded(app, response_id) == expected(app, instrument_id, "cy")
