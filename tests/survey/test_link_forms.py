"""A survey link's forms are protected by a token bound to the link, with no session (issue 24).

What a respondent's browser may post, what is refused (forged, another link's, missing, too old,
from another site, a closed response) and that answering sets and reads no cookie at all; staff
pages keep their session token.
"""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from feedback.extensions import db
from feedback.survey.models import Response
from feedback.survey.tokens import token_hash
from feedback.timeutil import utcnow
from tests.conftest import csrf_token
from tests.survey.test_web_flow import HOUSEHOLD, answers, walk

QUESTION = "q/has_children"


def page_token(client, token, address=QUESTION, **kwargs) -> str:
    path = f"/s/{token}/{address}" if address else f"/s/{token}"
    return csrf_token(client.get(path, **kwargs).get_data(as_text=True))


def answer(client, token, form_token, **kwargs):
    return client.post(f"/s/{token}/{QUESTION}", data={"csrf_token": form_token, "has_children": "1"}, **kwargs)


def refused(page) -> bool:
    return page.status_code == 400 and "nothing was saved" in page.get_data(as_text=True)


def test_answering_a_whole_survey_sets_and_sends_no_cookie(app, make_link):
    response_id, token = make_link()
    client = app.test_client()
    welcome = client.get(f"/s/{token}")
    seen = [welcome] + [client.get(f"/s/{token}/{address}") for address, _html in walk(client, token)]
    check = client.get(f"/s/{token}/check")
    sent = client.post(f"/s/{token}/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))})
    assert sent.status_code == 302 and sent.location.endswith("/done")
    for page in [*seen, check, sent, client.get(sent.location)]:
        assert "Set-Cookie" not in page.headers, page.request.path
    assert list(client._cookies) == []  # so no later request carries one
    with app.app_context():
        assert db.session.get(Response, response_id).status == "completed"


def test_a_saved_answer_sets_no_cookie(client, make_link):
    _, token = make_link()
    form_token = page_token(client, token)
    saved = answer(client, token, form_token)
    assert saved.status_code == 302 and "Set-Cookie" not in saved.headers


def test_the_token_carries_neither_the_link_nor_its_hash(client, make_link):
    _, token = make_link()
    form_token = page_token(client, token)
    assert token not in form_token and token_hash(token) not in form_token
    assert len(form_token) < 60


def test_one_page_draws_one_token_for_its_answers_and_its_language_switch(client, make_link):
    _, token = make_link()
    html = client.get(f"/s/{token}/{QUESTION}").get_data(as_text=True)
    assert 'class="language-switch"' in html
    assert len(set(re.findall(r'name="csrf_token" value="([^"]+)"', html))) == 1


def test_a_token_from_the_same_link_works_on_its_other_pages_and_again(app, client, make_link):
    response_id, token = make_link()
    form_token = page_token(client, token, "")  # the welcome page's language switch
    assert answer(client, token, form_token).status_code == 302
    assert answer(client, token, form_token).status_code == 302  # a second tab, a resent page
    assert answers(app, response_id) == {"has_children": 1}


def test_a_forged_or_altered_token_is_refused_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    genuine = page_token(client, token)
    timestamp, signature = genuine.split(".")
    altered_signature = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    for forged in ("forged", f"{timestamp}.{altered_signature}", f"{timestamp}x.{signature}", f"{genuine}.extra",
                   f"{token_hash(token)}.{genuine}", genuine.upper()):
        assert refused(answer(client, token, forged)), forged
    # One signed with another secret, as a copy of the app with a different key would.
    other_key = TimestampSigner("another secret that is long enough to look real", salt="survey-form")
    elsewhere = other_key.sign(token_hash(token)).decode()[len(token_hash(token)) + 1:]
    assert refused(answer(client, token, elsewhere))
    assert answers(app, response_id) == {}


def test_a_token_from_another_link_is_refused_and_nothing_is_stored(app, client, make_link):
    response_id, token = make_link()
    _other_id, other = make_link()
    from_other_link = page_token(client, other)
    assert refused(answer(client, token, from_other_link))
    # Nor one drawn on another link's language switch, nor for its "Send my answers".
    assert refused(client.post(f"/s/{token}/language", data={"csrf_token": from_other_link, "language": "cy"}))
    assert refused(client.post(f"/s/{token}/check", data={"csrf_token": from_other_link}))
    assert answers(app, response_id) == {}
    with app.app_context():
        assert db.session.get(Response, response_id).language != "cy"


def test_a_staff_session_token_is_refused_on_a_link(app, client, make_link):
    response_id, token = make_link()
    staff_page = client.get("/staff/login").get_data(as_text=True)  # Flask-WTF's session token
    assert refused(answer(client, token, csrf_token(staff_page)))
    assert answers(app, response_id) == {}


def test_a_missing_or_empty_token_is_refused_on_every_form_of_a_link(app, client, make_link):
    response_id, token = make_link()
    for address, data in ((QUESTION, {"has_children": "1"}), ("check", {}), ("language", {"language": "cy"})):
        for posted in (data, {**data, "csrf_token": ""}):
            assert refused(client.post(f"/s/{token}/{address}", data=posted)), (address, posted)
    # Nor from a header, which Flask-WTF would have read: these pages have no script to send one.
    assert refused(client.post(f"/s/{token}/{QUESTION}", data={"has_children": "1"},
                               headers={"X-CSRFToken": page_token(client, token)}))
    assert answers(app, response_id) == {}


@pytest.fixture
def later(monkeypatch):
    """Move the signer's clock on, as if the page had been left open for ``seconds``."""
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp

    def move_on(seconds: int):
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                            lambda self: real(self) + seconds)

    return move_on


def test_a_token_older_than_a_session_could_last_is_refused(app, client, make_link, later):
    from feedback.survey.link_forms import max_age

    response_id, token = make_link()
    form_token = page_token(client, token)
    with app.app_context():
        limit = max_age()
        # Today's setting (no WTF_CSRF_TIME_LIMIT): the session's lifetime, which bounded the old token.
        assert app.config["WTF_CSRF_TIME_LIMIT"] is None
        assert limit == int(app.permanent_session_lifetime.total_seconds())
    later(limit - 60)
    assert answer(client, token, form_token).status_code == 302  # a page left open for weeks still saves
    later(limit + 60)
    assert refused(answer(client, token, form_token))
    assert answers(app, response_id) == {"has_children": 1}


def test_a_time_limit_when_set_bounds_the_token(app, client, make_link, later):
    response_id, token = make_link()
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    form_token = page_token(client, token)
    later(3600 + 60)
    assert refused(answer(client, token, form_token))
    assert answers(app, response_id) == {}


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling site on the same domain is still another site
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},  # the browser's word wins
    {"Origin": "https://attacker.example"},  # a browser that sends no Sec-Fetch-Site
    {"Origin": "null"},
])
def test_a_post_from_another_site_is_refused_even_with_a_valid_token(app, client, make_link, headers):
    response_id, token = make_link()
    assert refused(answer(client, token, page_token(client, token), headers=headers))
    assert answers(app, response_id) == {}


@pytest.mark.parametrize("headers", [
    {}, {"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
])
def test_a_post_from_the_links_own_page_is_accepted(client, make_link, headers):
    _, token = make_link()
    assert answer(client, token, page_token(client, token), headers=headers).status_code == 302


def test_over_https_the_referrer_must_be_this_site_as_before(app, make_link):
    response_id, token = make_link()
    client = app.test_client()
    form_token = page_token(client, token, base_url="https://localhost")
    for referrer in (None, "https://attacker.example/page", "http://localhost/s/x"):
        headers = {"Referer": referrer} if referrer else {}
        assert refused(answer(client, token, form_token, base_url="https://localhost", headers=headers)), referrer
    assert answers(app, response_id) == {}
    ours = {"Referer": f"https://localhost/s/{token}/{QUESTION}", "Sec-Fetch-Site": "same-origin"}
    assert answer(client, token, form_token, base_url="https://localhost", headers=ours).status_code == 302


def test_a_valid_token_saves_nothing_once_the_response_is_sent(app, client, make_link):
    response_id, token = make_link()
    walk(client, token)
    form_token = page_token(client, token, "check")
    assert client.post(f"/s/{token}/check", data={"csrf_token": form_token}).status_code == 302
    page = client.post(f"/s/{token}/q/adults", data={"csrf_token": form_token, "adults": "9"})
    assert page.status_code == 200 and 'name="adults"' not in page.get_data(as_text=True)  # the kind closed page
    assert answers(app, response_id)["adults"] == int(HOUSEHOLD["adults"]["adults"])


def test_a_valid_token_saves_nothing_once_the_link_has_expired(app, client, make_link):
    response_id, token = make_link()
    form_token = page_token(client, token)
    with app.app_context():
        db.session.execute(sa.update(Response).where(Response.id == response_id)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert answer(client, token, form_token).status_code == 410
    assert answers(app, response_id) == {}


def test_staff_interview_pages_keep_the_session_token(app, signed_in, make_link):
    response_id, token = make_link()
    first = f"/staff/interviews/{response_id}/q/has_children"
    link_token = page_token(app.test_client(), token)
    staff_html = signed_in.get(first).get_data(as_text=True)
    assert signed_in.post(first, data={"csrf_token": link_token, "has_children": "1"}).status_code == 400
    assert signed_in.post(first, data={"has_children": "1"}).status_code == 400
    assert answers(app, response_id) == {}
    saved = signed_in.post(first, data={"csrf_token": csrf_token(staff_html), "has_children": "1"})
    assert saved.status_code == 302
    assert answers(app, response_id) == {"has_children": 1}


def test_choosing_a_language_is_the_one_thing_a_link_keeps_in_the_browser(client, make_link):
    """For pages drawn without the link, such as a 404 for a mistyped address; an ordinary page
    keeps nothing."""
    _, token = make_link()
    welcome = client.get(f"/s/{token}", headers={"Accept-Language": "cy"})
    assert 'lang="cy"' in welcome.get_data(as_text=True) and "Set-Cookie" not in welcome.headers
    assert 'lang="en"' in client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chose = client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome.get_data(as_text=True)),
                                                      "language": "cy"})
    assert chose.status_code == 302 and "Set-Cookie" in chose.headers
    assert 'lang="cy"' in client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)
