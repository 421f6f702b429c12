"""A respondent answers a survey from a link: one question per screen, then "Check your answers",
then "Send my answers". Validation, conditions, progress, resume, changing an answer, completion."""
import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, table_count
from feedback.extensions import db
from feedback.survey.models import Answer, Response, Score
from feedback.timeutil import utcnow


def url(token, address=""):
    return f"/s/{token}/{address}" if address else f"/s/{token}"


def answers(app, response_id):
    with app.app_context():
        return db.session.get(Response, response_id).answer_values()


def post(client, token, address, data, csrf=True):
    if csrf:
        data = {"csrf_token": csrf_token(client.get(url(token, address)).get_data(as_text=True)), **data}
    return client.post(url(token, address), data=data)


def address_of(location, token):
    return location.split(f"/s/{token}/", 1)[1]


def errors_in(html):
    """The error messages beside the questions, without their hidden "Error:" prefix."""
    return [unescape(re.sub("<[^>]+>", "", re.sub(r'<span class="govuk-visually-hidden[^>]*>.*?</span>', "", message))).strip()
            for message in re.findall(r'class="govuk-error-message[^"]*"[^>]*>(.*?)</p>', html, re.S)]


def summary_links(html):
    summary = re.search(r'<div class="govuk-error-summary.*?</ul>', html, re.S).group(0)
    return [(target, unescape(text)) for target, text in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)]


def questions_on(html):
    return re.findall(r'id="q-([a-z0-9_]+)"', html)


def progress_of(html):
    match = re.search(r'class="govuk-caption-m progress">\s*(.*?)\s*</p>', html, re.S)
    return match.group(1) if match else None


#: What the respondent answers on each screen of the test ``household`` instrument.
HOUSEHOLD = {
    "has_children": {"has_children": "1"}, "adults": {"adults": "2"}, "children_count": {"children_count": "3"},
    "school": {"school": ["1", "2"]}, "f1": {"f1": "1"}, "f2": {"f2": "-9"}, "f3": {"f3": "4"},
    "rating": {"rating": "7"}, "moved_in": {"moved_in-day": "3", "moved_in-month": "4", "moved_in-year": "2021"},
    "postcode": {}, "comments": {},
}
NO_CHILDREN = {**HOUSEHOLD, "has_children": {"has_children": "0"}}


def walk(client, token, given=HOUSEHOLD):
    """Answer from the start to the check page, a screen at a time; the addresses seen, with their pages."""
    location = client.get(url(token, "start")).location
    seen = []
    while not location.endswith("/check"):
        address = address_of(location, token)
        html = client.get(location).get_data(as_text=True)
        seen.append((address, html))
        posted = client.post(location, data={"csrf_token": csrf_token(html), **given[address.split("/")[1]]})
        assert posted.status_code == 302, (address, errors_in(posted.get_data(as_text=True)))
        location = posted.location
        assert len(seen) < 30
    return seen


def test_the_first_page_says_who_is_asking_why_how_long_and_that_it_is_voluntary(client, make_link):
    _, token = make_link()
    html = client.get(url(token)).get_data(as_text=True)
    assert "Northbridge Family Support is asking for your views" in html
    assert "Your household" in html and "A short test survey." in html
    assert html.count("about 3 minutes") == 1
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

        instrument = current_catalogue().latest("household")
        stored = db.session.get(Response, response_id)
        assert (stored.instrument_id, stored.version, stored.content_hash) == ("household", 1, instrument.content_hash)


def test_each_question_has_a_screen_of_its_own_and_nothing_is_sent_before_the_check(app, client, make_link):
    response_id, token = make_link()
    seen = walk(client, token)
    assert [address for address, _ in seen] == [f"q/{item}" for item in HOUSEHOLD]
    for address, html in seen:
        assert questions_on(html) == [address[2:]], address
        assert "Send my answers" not in html and "Save and continue" in html
    # The question is the screen's heading; its page's title is a caption above it.
    first = seen[0][1]
    assert re.search(r'<h1 class="govuk-fieldset__heading">\s*Do children live with you\?', first)
    assert "About you" in first
    with app.app_context():
        assert db.session.get(Response, response_id).status == "open"


def test_the_check_page_shows_every_answer_in_words_with_a_change_link_and_sending_completes(app, client, make_link):
    response_id, token = make_link()
    walk(client, token)
    html = client.get(url(token, "check")).get_data(as_text=True)
    assert "Check your answers before sending them" in html
    rows = re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*<dd class="govuk-summary-list__value">(.*?)</dd>',
                      html, re.S)
    assert [(question, value.strip()) for question, value in rows] == [
        ("Do children live with you?", "Yes"), ("How many adults live with you?", "2"),
        ("How many children live with you?", "3"), ("Which schools do they go to?", "Primary<br>Secondary"),
        ("We get on well.", "Strongly agree"), ("We argue a lot.", "Prefer not to say"),
        ("We can talk.", "Strongly disagree"), ("How are things overall?", "7"),
        ("When did you move in?", "3 April 2021"), ("Your postcode", "Not answered"), ("Anything else?", "Not answered")]
    changes = re.findall(r'<a class="govuk-link" href="([^"]+)">Change<span class="govuk-visually-hidden[^"]*"> ([^<]+)</span>',
                         html)
    assert changes[0] == (f"/s/{token}/q/has_children?from=check", "Do children live with you?")
    assert len(changes) == 11
    assert html.count("Send my answers") == 1
    done = post(client, token, "check", {})
    assert done.location.endswith(url(token, "done"))
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


def test_progress_counts_the_questions_that_can_still_apply_and_never_goes_back(client, make_link):
    _, token = make_link()
    assert progress_of(client.get(url(token, "q/has_children")).get_data(as_text=True)) == "Question 1 of about 11"
    with_children = [progress_of(html) for _, html in walk(client, token)]
    assert with_children[:4] == ["Question 1 of about 11", "Question 2 of 11", "Question 3 of 11", "Question 4 of 11"]
    assert with_children[-1] == "Question 11 of 11"
    _, other = make_link()
    without = [progress_of(html) for _, html in walk(client, other, NO_CHILDREN)]
    # The two questions about children drop out of the total once the answer closes that branch.
    assert without[:3] == ["Question 1 of about 11", "Question 2 of 9", "Question 3 of 9"]
    assert without[-1] == "Question 9 of 9"


def test_a_missing_answer_gets_a_message_from_the_question_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    page = post(client, token, "q/has_children", {})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert errors_in(html) == ["Select yes or no"]
    assert summary_links(html) == [("f-has_children-0", "Select yes or no")]
    assert 'id="f-has_children-0"' in html
    assert html.startswith("<!doctype html>") and "<title>Error: " in html
    # Focused on load without JavaScript: focusable, and autofocus.
    assert re.search(r'<div class="govuk-error-summary[^>]*tabindex="-1"[^>]*autofocus', html)
    number = post(client, token, "q/adults", {}).get_data(as_text=True)
    assert errors_in(number) == ["Enter a number between 1 and 12"]
    assert answers(app, response_id) == {}


@pytest.mark.parametrize("address, data, message", [
    ("q/has_children", {"has_children": "7"}, "Choose one of the answers shown."),
    ("q/adults", {"adults": "40"}, "Enter a number between 1 and 12"),
    ("q/adults", {"adults": "two"}, "Enter a whole number, like 3."),
    ("q/adults", {"adults": "2", "adults__missing": "-9"}, "Either give an answer or choose “Prefer not to say”, not both."),
    ("q/rating", {}, "Select a number from 1 to 10"),
    ("q/f1", {}, "Select how much you agree"),
    ("q/moved_in", {"moved_in-day": "31", "moved_in-month": "2", "moved_in-year": "2020"},
     "Enter a real date, for example 27 3 2024."),
])
def test_tampered_or_invalid_answers_get_a_clear_message_and_nothing_is_stored(app, client, make_link, address, data, message):
    response_id, token = make_link()
    post(client, token, "q/has_children", {"has_children": "1"})
    before = answers(app, response_id)
    page = post(client, token, address, data)
    assert page.status_code == 422
    assert errors_in(page.get_data(as_text=True)) == [message]
    assert answers(app, response_id) == before


def test_an_answer_to_another_question_is_refused_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    page = post(client, token, "q/has_children", {"has_children": "1", "adults": "2"})
    assert page.status_code == 400
    assert "nothing was saved" in page.get_data(as_text=True)
    assert answers(app, response_id) == {}


def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    for address in ("q/has_children", "check"):
        page = post(client, token, address, {"has_children": "1"}, csrf=False)
        assert page.status_code == 400
        assert "nothing was saved" in page.get_data(as_text=True)
    assert answers(app, response_id) == {}


def test_a_forged_csrf_token_is_refused(app, client, make_link):
    response_id, token = make_link()
    client.get(url(token, "q/has_children"))
    page = client.post(url(token, "q/has_children"), data={"csrf_token": "forged", "has_children": "1"})
    assert page.status_code == 400
    assert answers(app, response_id) == {}


def test_conditions_skip_questions_the_answers_hide_on_the_server(client, make_link):
    _, token = make_link()
    post(client, token, "q/has_children", {"has_children": "0"})
    moved = post(client, token, "q/adults", {"adults": "1"})
    assert moved.location.endswith(url(token, "q/f1"))  # the questions about children are skipped
    assert client.get(url(token, "q/children_count")).status_code == 404
    assert client.get(url(token, "q/no_such_question")).status_code == 404


def test_answers_hidden_by_a_changed_earlier_answer_are_discarded_at_completion(app, client, make_link):
    response_id, token = make_link()
    walk(client, token)
    post(client, token, "q/has_children?from=check", {"has_children": "0"})  # went back and changed it
    post(client, token, "check", {})
    stored = answers(app, response_id)
    assert "children_count" not in stored and "school" not in stored
    assert stored["has_children"] == 0


def test_back_goes_to_the_previous_question_with_its_saved_answer(client, make_link):
    _, token = make_link()
    first = client.get(url(token, "q/has_children")).get_data(as_text=True)
    assert f'href="{url(token)}">Back' in first  # the first question goes back to the welcome page
    post(client, token, "q/has_children", {"has_children": "1"})
    html = client.get(url(token, "q/adults")).get_data(as_text=True)
    assert f'href="{url(token, "q/has_children")}">Back' in html
    again = client.get(url(token, "q/has_children")).get_data(as_text=True)
    assert re.search(r'name="has_children" value="1"\s+checked', again)
    post(client, token, "q/has_children", {"has_children": "0"})
    post(client, token, "q/adults", {"adults": "2"})
    # Back from the first question after a closed branch skips the hidden ones.
    assert f'href="{url(token, "q/adults")}">Back' in client.get(url(token, "q/f1")).get_data(as_text=True)


def test_a_respondent_can_stop_and_resume_later_on_another_device(app, client, make_link):
    _, token = make_link()
    post(client, token, "q/has_children", {"has_children": "1"})
    post(client, token, "q/adults", {"adults": "2"})
    other_device = app.test_client()
    welcome = other_device.get(url(token)).get_data(as_text=True)
    assert "Carry on where you left off" in welcome
    assert other_device.get(url(token, "start")).location.endswith(url(token, "q/children_count"))
    walk(client, token)
    # After the last question they answered; the optional ones they passed stay unanswered.
    assert other_device.get(url(token, "start")).location.endswith(url(token, "q/postcode"))
    post(client, token, "q/comments", {"comments": "Thanks"})
    assert other_device.get(url(token, "start")).location.endswith(url(token, "check"))


def test_a_change_from_the_check_page_goes_back_to_it(client, make_link):
    _, token = make_link()
    walk(client, token)
    change = client.get(url(token, "q/rating?from=check")).get_data(as_text=True)
    assert f'href="{url(token, "check")}">Back' in change
    assert progress_of(change) is None
    assert post(client, token, "q/rating?from=check", {"rating": "3"}).location.endswith(url(token, "check"))
    assert re.search(r"How are things overall\?</dt>\s*<dd[^>]*>3</dd>", client.get(url(token, "check")).get_data(as_text=True))


def test_a_change_that_opens_a_branch_asks_its_questions_before_the_check_page(app, client, make_link):
    response_id, token = make_link()
    walk(client, token, NO_CHILDREN)
    opened = post(client, token, "q/has_children?from=check", {"has_children": "1"})
    assert opened.location.endswith(url(token, "q/children_count?from=check"))
    following = post(client, token, "q/children_count?from=check", {"children_count": "2"})
    assert following.location.endswith(url(token, "q/school?from=check"))
    assert post(client, token, "q/school?from=check", {}).location.endswith(url(token, "check"))
    assert answers(app, response_id)["children_count"] == 2


def test_the_check_page_sends_someone_who_skipped_a_required_question_back_to_it(app, client, make_link):
    response_id, token = make_link()
    post(client, token, "q/has_children", {"has_children": "0"})
    assert client.get(url(token, "check")).location.endswith(url(token, "q/adults"))
    form = csrf_token(client.get(url(token, "q/adults")).get_data(as_text=True))
    assert client.post(url(token, "check"), data={"csrf_token": form}).location.endswith(url(token, "q/adults"))
    with app.app_context():
        assert db.session.get(Response, response_id).status == "open"


def test_submitting_a_question_twice_stores_it_once(app, client, make_link):
    response_id, token = make_link()
    post(client, token, "q/has_children", {"has_children": "1"})
    post(client, token, "q/has_children", {"has_children": "1"})
    with app.app_context():
        assert table_count(Answer, response_id=response_id) == 1


def test_two_tabs_saving_different_questions_lose_no_answer(app, make_link):
    response_id, token = make_link()
    tab_one, tab_two = app.test_client(), app.test_client()
    form_one = csrf_token(tab_one.get(url(token, "q/adults")).get_data(as_text=True))
    post(tab_two, token, "q/has_children", {"has_children": "1"})
    post(tab_two, token, "q/f2", {"f2": "-9"})
    tab_one.post(url(token, "q/adults"), data={"csrf_token": form_one, "adults": "3"})
    stored = answers(app, response_id)
    assert stored == {"has_children": 1, "adults": 3, "f2": -9}


def test_sending_twice_completes_and_scores_once(app, client, make_link):
    response_id, token = make_link()
    walk(client, token)
    form = csrf_token(client.get(url(token, "check")).get_data(as_text=True))
    first = client.post(url(token, "check"), data={"csrf_token": form})
    second = client.post(url(token, "check"), data={"csrf_token": form})
    assert first.location.endswith("/done")
    assert "already answered" in second.get_data(as_text=True)
    with app.app_context():
        assert table_count(Score, response_id=response_id) == 1


def test_a_completed_link_says_so_kindly_and_shows_nothing_of_the_answers(client, make_link):
    _, token = make_link()
    walk(client, token)
    post(client, token, "check", {})
    for address in ("", "q/has_children", "p/about", "check", "start"):
        page = client.get(url(token, address))
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "You have already answered" in html
        assert "Strongly agree" not in html and 'value="2"' not in html


def test_an_expired_link_says_so_kindly_and_accepts_nothing(app, client, make_link):
    response_id, token = make_link()
    with app.app_context():
        db.session.execute(sa.update(Response).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    page = client.get(url(token))
    assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)
    assert client.post(url(token, "q/has_children"), data={"has_children": "1"}).status_code in (400, 410)
    assert client.get(url(token, "q/has_children")).status_code == 410
    assert client.get(url(token, "check")).status_code == 410
    assert answers(app, response_id) == {}


def test_welsh_can_be_chosen_and_every_text_follows(app, client, make_link):
    response_id, token = make_link()
    welcome = client.get(url(token)).get_data(as_text=True)
    chose = client.post(url(token, "language"), data={"csrf_token": csrf_token(welcome), "language": "cy"})
    assert chose.status_code == 302
    html = client.get(url(token, "q/has_children")).get_data(as_text=True)
    assert 'lang="cy"' in html
    assert "Oes plant yn byw gyda chi?" in html and "Ie" in html
    assert progress_of(html) == "Cwestiwn 1 o tua 11"
    assert errors_in(post(client, token, "q/has_children", {}).get_data(as_text=True)) == ["Dewiswch ie neu na"]
    walk(client, token)
    check = client.get(url(token, "check")).get_data(as_text=True)
    assert "Gwiriwch eich atebion cyn eu hanfon" in check and "Anfon fy atebion" in check
    assert "3 Ebrill 2021" in check and "Newid" in check
    with app.app_context():
        assert db.session.get(Response, response_id).language == "cy"


def test_choosing_a_language_comes_back_to_the_same_question(client, make_link):
    _, token = make_link()
    html = client.get(url(token, "q/adults")).get_data(as_text=True)
    assert 'name="return_to" value="q/adults"' in html
    back = client.post(url(token, "language"), data={"csrf_token": csrf_token(html), "language": "cy", "return_to": "q/adults"})
    assert back.location.endswith(url(token, "q/adults"))
    elsewhere = client.post(url(token, "language"), data={"csrf_token": csrf_token(html), "language": "en",
                                                          "return_to": "//evil.example/"})
    assert elsewhere.location.endswith(url(token))


def test_a_welsh_browser_gets_welsh_before_choosing(client, make_link):
    _, token = make_link()
    html = client.get(url(token, "q/has_children"), headers={"Accept-Language": "cy-GB,cy;q=0.9"}).get_data(as_text=True)
    assert 'lang="cy"' in html and "Amdanoch chi" in html


def test_an_unoffered_language_is_refused(client, make_link):
    _, token = make_link()
    welcome = client.get(url(token)).get_data(as_text=True)
    assert client.post(url(token, "language"), data={"csrf_token": csrf_token(welcome), "language": "fr"}).status_code == 400


def test_an_old_page_address_goes_to_its_first_question_and_a_whole_page_posted_from_an_old_tab_is_saved(app, client, make_link):
    response_id, token = make_link()
    assert client.get(url(token, "p/about")).location.endswith(url(token, "q/has_children"))
    assert client.get(url(token, "p/no_such_page")).status_code == 404
    form = csrf_token(client.get(url(token, "q/has_children")).get_data(as_text=True))
    saved = client.post(url(token, "p/about"), data={"csrf_token": form, "has_children": "0", "adults": "2"})
    assert saved.location.endswith(url(token, "q/f1"))
    assert answers(app, response_id) == {"has_children": 0, "adults": 2}


def test_survey_pages_carry_security_headers_and_are_never_cached(client, make_link):
    _, token = make_link()
    for address in ("q/has_children", "check"):
        page = client.get(url(token, address), follow_redirects=True)
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert "script-src" not in page.headers["Content-Security-Policy"]  # no script may run at all
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Cache-Control"] == "no-store"


def test_pages_use_no_script_and_no_external_asset(client, make_link):
    _, token = make_link()
    walk(client, token)
    for address in ("q/rating", "q/moved_in", "check"):
        html = client.get(url(token, address)).get_data(as_text=True)
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_prefer_not_to_say_on_a_typed_question_is_stored_as_its_missing_code_and_shown_again(app, client, make_link):
    response_id, token = make_link()
    assert post(client, token, "q/adults", {"adults__missing": "-9"}).status_code == 302
    assert answers(app, response_id)["adults"] == -9
    html = client.get(url(token, "q/adults")).get_data(as_text=True)
    assert re.search(r'name="adults__missing" value="-9"\s+checked', html)


def test_a_scale_reads_its_words_once_per_step_and_its_bands_as_ranges(client, make_link):
    _, token = make_link("exit-interview")
    html = client.get(url(token, "q/overall_rating")).get_data(as_text=True)
    assert "1–1" not in html and "5–5" not in html
    assert re.search(r'<label class="govuk-label govuk-radios__label" for="f-overall_rating-0">1</label>\s*'
                     r'<div class="govuk-hint govuk-radios__hint" id="f-overall_rating-0-hint">Very poor</div>', html)
    assert 'aria-describedby="f-overall_rating-0-hint"' in html
    _, household = make_link()
    banded = client.get(url(household, "q/rating")).get_data(as_text=True)
    assert "1–5: Hard" in banded and "6–10: Good" in banded
