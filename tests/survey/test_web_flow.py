"""A respondent answers a survey from a link: pages, validation, conditions, resume, completion."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conftest import csrf_token, table_count
from feedback.extensions import db
from feedback.survey.models import Answer, Response, Score
from feedback.timeutil import utcnow


def page_url(token, page_id):
    return f"/s/{token}/p/{page_id}"


def answers(app, response_id):
    with app.app_context():
        return db.session.get(Response, response_id).answer_values()


def post_page(client, token, page_id, data, csrf=True):
    if csrf:
        data = {"csrf_token": csrf_token(client.get(page_url(token, page_id)).get_data(as_text=True)), **data}
    return client.post(page_url(token, page_id), data=data)


def errors_in(html):
    return [re.sub("<[^>]+>", "", message).replace("Error:", "").strip()
            for message in re.findall(r'class="error-message"[^>]*>(.*?)</p>', html, re.S)]


ABOUT = {"has_children": "1", "adults": "2"}
CHILDREN = {"children_count": "3", "school": ["1", "2"]}
FEELINGS = {"f1": "1", "f2": "-9", "f3": "4"}
MORE = {"rating": "7", "moved_in-day": "3", "moved_in-month": "4", "moved_in-year": "2021"}


def answer_all(client, token, about=ABOUT):
    post_page(client, token, "about", about)
    if about.get("has_children") == "1":
        post_page(client, token, "children", CHILDREN)
    post_page(client, token, "feelings", FEELINGS)
    return post_page(client, token, "more", MORE)


def test_the_first_page_says_who_is_asking_why_how_long_and_that_it_is_voluntary(client, make_link):
    _, token = make_link()
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "Northbridge Family Support is asking for your views" in html
    assert "Your household" in html and "A short test survey." in html
    assert "about 3 minutes" in html
    assert "confidential" in html and "up to you" in html
    assert 'lang="en"' in html
    assert 'value="cy"' in html and "Cymraeg" in html  # the language choice


def test_an_unknown_token_gets_the_same_plain_404_as_any_missing_page(client):
    unknown = client.get("/s/" + "A" * 32)
    missing = client.get("/no-such-page")
    assert unknown.status_code == missing.status_code == 404
    assert unknown.get_data() == missing.get_data()


def test_the_link_token_has_at_least_128_random_bits_and_only_its_hash_is_stored(app, make_link):
    response_id, token = make_link()
    assert len(token) >= 22  # base64url: 22 characters carry 128 bits
    with app.app_context():
        stored = db.session.get(Response, response_id)
        assert stored.token_hash != token and len(stored.token_hash) == 64
        assert token not in str([getattr(stored, column.key) for column in Response.__table__.columns])


def test_the_response_records_the_exact_instrument_version_and_hash(app, make_link):
    response_id, _ = make_link()
    with app.app_context():
        from feedback.publishing.startup import current_catalogue

        instrument = current_catalogue().get("household", 1)
        stored = db.session.get(Response, response_id)
        assert (stored.instrument_id, stored.version, stored.content_hash) == ("household", 1, instrument.content_hash)


def test_answering_every_page_completes_stores_and_scores_the_response(app, client, make_link):
    response_id, token = make_link()
    start = client.get(f"/s/{token}/start")
    assert start.location.endswith(page_url(token, "about"))
    assert "Page 1 of 3" in client.get(start.location).get_data(as_text=True)
    done = answer_all(client, token)
    assert done.location.endswith(f"/s/{token}/done")
    assert "Thank you" in client.get(done.location).get_data(as_text=True)
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response.status == "completed" and response.mode == "web" and response.completed_at
        assert response.answer_values() == {
            "has_children": 1, "adults": 2, "children_count": 3, "school": [1, 2],
            "f1": 1, "f2": -9, "f3": 4, "rating": 7, "moved_in": "2021-04-03"}
        [score] = response.scores
        # f1 = 1 reversed to 4, f2 prefer-not-to-say, f3 = 4 reversed to 1
        assert (score.scale_id, score.value, score.flagged, score.band, score.answered) == ("getting_on", 2.5, True, "high", 2)
        assert score.scoring_version == "1"


def test_a_missing_required_answer_is_shown_beside_the_question_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    page = post_page(client, token, "about", {"adults": "2"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "There is a problem" in html and 'href="#f-has_children-0"' in html
    assert errors_in(html) == ["Select an answer."]
    assert 'value="2"' in html  # what they typed is kept
    assert answers(app, response_id) == {}


@pytest.mark.parametrize("data, message", [
    ({"has_children": "7", "adults": "2"}, "Choose one of the answers shown."),
    ({"has_children": "1", "adults": "40"}, "Enter a number from 1 to 12."),
    ({"has_children": "1", "adults": "two"}, "Enter a whole number, like 3."),
    ({"has_children": "1", "adults": "2", "adults__missing": "-9"}, "Either give an answer or choose “Prefer not to say”, not both."),
])
def test_tampered_or_invalid_answers_get_a_clear_message_and_nothing_is_stored(app, client, make_link, data, message):
    response_id, token = make_link()
    page = post_page(client, token, "about", data)
    assert page.status_code == 422
    assert message in errors_in(page.get_data(as_text=True))
    assert answers(app, response_id) == {}


def test_an_answer_to_an_item_from_another_page_is_refused_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    page = post_page(client, token, "about", {**ABOUT, "rating": "9"})
    assert page.status_code == 400
    assert "nothing was saved" in page.get_data(as_text=True)
    assert answers(app, response_id) == {}


def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    page = post_page(client, token, "about", ABOUT, csrf=False)
    assert page.status_code == 400
    assert "nothing was saved" in page.get_data(as_text=True)
    assert answers(app, response_id) == {}


def test_a_forged_csrf_token_is_refused(app, client, make_link):
    response_id, token = make_link()
    client.get(page_url(token, "about"))
    page = client.post(page_url(token, "about"), data={"csrf_token": "forged", **ABOUT})
    assert page.status_code == 400
    assert answers(app, response_id) == {}


def test_conditions_skip_pages_the_answers_hide_on_the_server(app, client, make_link):
    response_id, token = make_link()
    moved = post_page(client, token, "about", {"has_children": "0", "adults": "1"})
    assert moved.location.endswith(page_url(token, "feelings"))  # the children page is skipped
    assert client.get(page_url(token, "children")).status_code == 404
    assert "Page 2 of 3" in client.get(page_url(token, "feelings")).get_data(as_text=True)


def test_answers_hidden_by_a_changed_earlier_answer_are_discarded_at_completion(app, client, make_link):
    response_id, token = make_link()
    post_page(client, token, "about", ABOUT)
    post_page(client, token, "children", CHILDREN)
    answer_all(client, token, about={"has_children": "0", "adults": "1"})  # went back and changed it
    stored = answers(app, response_id)
    assert "children_count" not in stored and "school" not in stored
    assert stored["has_children"] == 0


def test_back_shows_the_previous_page_with_its_saved_answers(client, make_link):
    _, token = make_link()
    post_page(client, token, "about", ABOUT)
    html = client.get(page_url(token, "children")).get_data(as_text=True)
    assert f'href="{page_url(token, "about")}">Back' in html
    about = client.get(page_url(token, "about")).get_data(as_text=True)
    assert re.search(r'name="has_children"\s+value="1"\s+checked', about)
    assert 'value="2"' in about


def test_a_respondent_can_stop_and_resume_later_on_another_device(app, client, make_link):
    _, token = make_link()
    post_page(client, token, "about", ABOUT)
    post_page(client, token, "children", CHILDREN)
    other_device = app.test_client()
    welcome = other_device.get(f"/s/{token}").get_data(as_text=True)
    assert "Carry on where you left off" in welcome
    assert other_device.get(f"/s/{token}/start").location.endswith(page_url(token, "feelings"))


def test_submitting_a_page_twice_stores_it_once(app, client, make_link):
    response_id, token = make_link()
    post_page(client, token, "about", ABOUT)
    post_page(client, token, "about", ABOUT)
    with app.app_context():
        assert table_count(Answer, response_id=response_id) == 2


def test_two_tabs_saving_different_pages_lose_no_answer(app, make_link):
    response_id, token = make_link()
    tab_one, tab_two = app.test_client(), app.test_client()
    form_one = csrf_token(tab_one.get(page_url(token, "about")).get_data(as_text=True))
    post_page(tab_two, token, "about", ABOUT)
    form_two = csrf_token(tab_two.get(page_url(token, "feelings")).get_data(as_text=True))
    tab_two.post(page_url(token, "feelings"), data={"csrf_token": form_two, **FEELINGS})
    tab_one.post(page_url(token, "about"), data={"csrf_token": form_one, "has_children": "1", "adults": "3"})
    stored = answers(app, response_id)
    assert stored["adults"] == 3 and stored["f1"] == 1 and stored["f2"] == -9


def test_posting_the_last_page_twice_completes_and_scores_once(app, client, make_link):
    response_id, token = make_link()
    post_page(client, token, "about", {"has_children": "0", "adults": "1"})
    post_page(client, token, "feelings", FEELINGS)
    form = csrf_token(client.get(page_url(token, "more")).get_data(as_text=True))
    first = client.post(page_url(token, "more"), data={"csrf_token": form, **MORE})
    second = client.post(page_url(token, "more"), data={"csrf_token": form, **MORE})
    assert first.location.endswith("/done")
    assert "already answered" in second.get_data(as_text=True)
    with app.app_context():
        assert table_count(Score, response_id=response_id) == 1


def test_a_completed_link_says_so_kindly_and_shows_nothing_of_the_answers(client, make_link):
    _, token = make_link()
    answer_all(client, token)
    for url in (f"/s/{token}", page_url(token, "about"), f"/s/{token}/start"):
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "You have already answered" in html
        assert "Strongly agree" not in html and 'value="2"' not in html


def test_an_expired_link_says_so_kindly_and_accepts_nothing(app, client, make_link):
    response_id, token = make_link()
    with app.app_context():
        db.session.execute(sa.update(Response).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    page = client.get(f"/s/{token}")
    assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)
    assert client.post(page_url(token, "about"), data=ABOUT).status_code in (400, 410)
    assert client.get(page_url(token, "about")).status_code == 410
    assert answers(app, response_id) == {}


def test_welsh_can_be_chosen_and_every_text_follows(app, client, make_link):
    response_id, token = make_link()
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    chose = client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"})
    assert chose.status_code == 302
    html = client.get(page_url(token, "about")).get_data(as_text=True)
    assert 'lang="cy"' in html
    assert "Oes plant yn byw gyda chi?" in html and "Ie" in html
    with app.app_context():
        assert db.session.get(Response, response_id).language == "cy"


def test_a_welsh_browser_gets_welsh_before_choosing(client, make_link):
    _, token = make_link()
    html = client.get(page_url(token, "about"), headers={"Accept-Language": "cy-GB,cy;q=0.9"}).get_data(as_text=True)
    assert 'lang="cy"' in html and "Amdanoch chi" in html


def test_an_unoffered_language_is_refused(client, make_link):
    _, token = make_link()
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    assert client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "fr"}).status_code == 400


def test_survey_pages_carry_security_headers_and_are_never_cached(client, make_link):
    _, token = make_link()
    page = client.get(page_url(token, "about"))
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # no script may run at all
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"


def test_pages_use_no_script_and_no_external_asset(client, make_link):
    _, token = make_link()
    html = client.get(page_url(token, "more")).get_data(as_text=True)
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_prefer_not_to_say_on_a_typed_question_is_stored_as_its_missing_code_and_shown_again(app, client, make_link):
    response_id, token = make_link()
    assert post_page(client, token, "about", {"has_children": "0", "adults__missing": "-9"}).status_code == 302
    assert answers(app, response_id)["adults"] == -9
    html = client.get(page_url(token, "about")).get_data(as_text=True)
    assert re.search(r'name="adults__missing" value="-9"\s+checked', html)
