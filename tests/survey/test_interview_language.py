"""The interviewer chooses the language an interview is read in, among those the instrument is
offered in here (``offered_languages``: narrowed by FEEDBACK_LANGUAGES); the response records it
and its wording, as a respondent's own choice on the survey pages does."""
from __future__ import annotations

from feedback.extensions import db
from feedback.families.models import Member
from feedback.instruments.wording import wording_hash
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response
from tests.conftest import app_under_test, csrf_token, sign_in
from tests.families.helpers import family_with_members


def start_page(client, response_id: int) -> str:
    return client.get(f"/staff/interviews/{response_id}").get_data(as_text=True)


def choose(client, response_id: int, language: str, token: str | None = None):
    data = {"language": language}
    if token is not False:
        data["csrf_token"] = token or csrf_token(start_page(client, response_id))
    return client.post(f"/staff/interviews/{response_id}/language", data=data)


def recorded(app, response_id: int):
    with app.app_context():
        response = db.session.get(Response, response_id)
        return response.language, response.wording_hash


def household_hash(app, language: str) -> str:
    with app.app_context():
        return wording_hash(current_catalogue().latest("household"), language)


def test_the_interview_screen_offers_the_other_languages(signed_in, make_link):
    response_id, _ = make_link()
    page = start_page(signed_in, response_id)
    assert 'action="/staff/interviews/%d/language"' % response_id in page
    assert "Interview language: English" in page
    assert 'value="cy">Interview in Welsh (Cymraeg)</button>' in page


def test_choosing_welsh_records_the_welsh_wording_and_the_interview_is_read_in_welsh(app, signed_in, make_link):
    response_id, _ = make_link()
    chosen = choose(signed_in, response_id, "cy")
    assert chosen.status_code == 302 and chosen.location.endswith(f"/staff/interviews/{response_id}")
    assert recorded(app, response_id) == ("cy", household_hash(app, "cy"))
    first = signed_in.get(f"/staff/interviews/{response_id}/resume").location
    page = signed_in.get(first).get_data(as_text=True)
    assert '<html lang="cy"' in page
    signed_in.post(first, data={"csrf_token": csrf_token(page), "has_children": "0"})
    assert recorded(app, response_id) == ("cy", household_hash(app, "cy"))
    # And back to English.
    choose(signed_in, response_id, "en")
    assert recorded(app, response_id) == ("en", household_hash(app, "en"))


def test_the_members_language_becomes_the_one_interviewed_in(app, signed_in, world, make_link):
    response_id, _ = make_link()
    with app.app_context():
        _family, (mother,) = family_with_members(world["north"], world["kw_north"], "L-1",
                                                 members=(("mother", 1990, 4),))
        response = db.session.get(Response, response_id)
        response.family_id, response.member_id = mother.family_id, mother.id
        db.session.commit()
        mother_id = mother.id
    choose(signed_in, response_id, "cy")
    with app.app_context():
        assert db.session.get(Member, mother_id).language == "cy"


def test_a_language_the_instrument_is_not_offered_in_is_refused(app, signed_in, make_link):
    response_id, _ = make_link()
    assert choose(signed_in, response_id, "ur").status_code == 400  # household has English and Welsh only
    assert choose(signed_in, response_id, "").status_code == 400
    assert recorded(app, response_id) == (None, None)


def test_the_choice_needs_the_forms_csrf_token_and_a_member_of_staff(app, client, signed_in, make_link):
    response_id, _ = make_link()
    assert choose(signed_in, response_id, "cy", token=False).status_code == 400
    stranger = app.test_client()
    refused = stranger.post(f"/staff/interviews/{response_id}/language", data={"language": "cy"})
    assert refused.status_code in (302, 400)
    assert recorded(app, response_id) == (None, None)


def test_a_completed_interview_keeps_its_language(app, signed_in, make_link):
    response_id, _ = make_link()
    with app.app_context():
        db.session.get(Response, response_id).status = "completed"
        db.session.commit()
    token = csrf_token(signed_in.get("/staff/").get_data(as_text=True))
    assert choose(signed_in, response_id, "cy", token=token).status_code == 409
    assert recorded(app, response_id) == (None, None)


def test_a_language_the_app_does_not_speak_is_not_offered(schema, database_url, questionnaires_dir):
    from feedback.staff.models import StaffUser
    from feedback.survey.service import create_response

    with app_under_test(database_url, questionnaires_dir, FEEDBACK_LANGUAGES="en") as app:
        with app.app_context():
            instrument = current_catalogue().latest("household")
            assert "cy" in instrument.languages
            response, _token = create_response(instrument, 28, None, language="cy")
            user = StaffUser(email="ida@example.org", name="Ida", role="admin")
            user.set_password("correct horse battery staple")
            db.session.add(user)
            db.session.commit()
            response_id = response.id
        client = sign_in(app.test_client(), "ida@example.org", "correct horse battery staple")
        page = start_page(client, response_id)
        assert '<html lang="en"' in page and f"/staff/interviews/{response_id}/language" not in page  # read in English, nothing to choose
        token = csrf_token(client.get("/staff/").get_data(as_text=True))
        assert choose(client, response_id, "cy", token=token).status_code == 400
