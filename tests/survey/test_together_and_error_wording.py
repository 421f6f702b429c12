"""A page the instrument marks `together` is one screen, and every error says what to do for its own
question: in the instrument's words when it gives them, else from the question's type."""
import re

import pytest
import yaml

from feedback.extensions import db
from feedback.instruments.loader import build_instrument
from tests.conftest import csrf_token
from tests.survey.test_web_flow import errors_in, progress_of, summary_links

GRID = """
id: grid-survey
version: 1
languages: [en, cy]
title: {en: How things are, cy: Sut mae pethau}
respondents: [{role: parent_carer}]
modes: [web]
choice_sets:
  agree3:
    - {code: 1, label: {en: Agree, cy: Cytuno}}
    - {code: 2, label: {en: Not sure, cy: Ddim yn siŵr}}
    - {code: 3, label: {en: Disagree, cy: Anghytuno}}
pages:
  - id: overall
    items:
      - id: difference
        type: single_choice
        text: {en: "How much difference has the help made?", cy: "Faint o wahaniaeth mae'r help wedi'i wneud?"}
        choices:
          - {code: 1, label: {en: A lot, cy: Llawer}}
          - {code: 2, label: {en: None, cy: Dim}}
        error: {en: "Select how much difference the help has made", cy: "Dewiswch faint o wahaniaeth mae'r help wedi'i wneud"}
  - id: grid
    together: true
    title: {en: How we get on, cy: Sut rydyn ni'n cyd-dynnu}
    intro: {en: "How much do you agree?", cy: "Faint ydych chi'n cytuno?"}
    items:
      - {id: talk, type: agreement, choices: agree3, text: {en: We talk., cy: Rydyn ni'n siarad.}}
      - {id: listen, type: agreement, choices: agree3, text: {en: We listen., cy: Rydyn ni'n gwrando.}}
      - {id: score, type: number, min: 0, max: 10, text: {en: Your score out of ten, cy: Eich sgôr allan o ddeg}}
"""


@pytest.fixture
def grid_link(app):
    """A link to an instrument published only for this test (it is in no questionnaires folder)."""
    from feedback.survey.service import create_response

    with app.app_context():
        response, token = create_response(build_instrument(yaml.safe_load(GRID), "grid-survey"), 28)
        db.session.commit()
    return token


def post(client, token, address, data):
    html = client.get(f"/s/{token}/{address}").get_data(as_text=True)
    return client.post(f"/s/{token}/{address}", data={"csrf_token": csrf_token(html), **data})


def test_a_together_page_is_one_screen_headed_by_its_title(client, grid_link):
    token = grid_link
    assert post(client, token, "q/difference", {"difference": "1"}).location.endswith(f"/s/{token}/p/grid")
    html = client.get(f"/s/{token}/p/grid").get_data(as_text=True)
    assert re.findall(r'id="q-([a-z_]+)"', html) == ["talk", "listen", "score"]
    assert re.search(r'<h1 class="govuk-heading-l">How we get on</h1>', html)
    assert html.count("<h1") == 1  # the questions are legends and labels under it
    assert progress_of(html) == "Questions 2 to 4 of 4"
    assert client.get(f"/s/{token}/q/talk").status_code == 404  # no screen of its own
    done = post(client, token, "p/grid", {"talk": "1", "listen": "3", "score": "7"})
    assert done.location.endswith(f"/s/{token}/check")
    check = client.get(done.location).get_data(as_text=True)
    assert f'href="/s/{token}/p/grid?from=check#q-listen"' in check


def test_each_error_on_a_together_page_names_its_own_question(client, grid_link):
    page = post(client, grid_link, "p/grid", {"score": "11"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    expected = ["Select how much you agree with “We talk.”", "Select how much you agree with “We listen.”",
                "Enter a number between 0 and 10 for “Your score out of ten”"]
    assert errors_in(html) == expected
    assert summary_links(html) == list(zip(["f-talk-0", "f-listen-0", "f-score"], expected))
    for target, _message in summary_links(html):
        assert f'id="{target}"' in html  # each link jumps to its input


def test_an_instrument_may_word_an_error_itself_in_each_language(client, grid_link):
    html = post(client, grid_link, "q/difference", {}).get_data(as_text=True)
    assert errors_in(html) == ["Select how much difference the help has made"]
    welcome = client.get(f"/s/{grid_link}").get_data(as_text=True)
    client.post(f"/s/{grid_link}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"})
    html = post(client, grid_link, "q/difference", {}).get_data(as_text=True)
    assert errors_in(html) == ["Dewiswch faint o wahaniaeth mae'r help wedi'i wneud"]
    grid = post(client, grid_link, "p/grid", {"talk": "1", "listen": "2"}).get_data(as_text=True)
    assert errors_in(grid) == ["Rhowch rif rhwng 0 a 10 ar gyfer “Eich sgôr allan o ddeg”"]
