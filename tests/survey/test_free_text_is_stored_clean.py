"""Free text is stored the same way whichever way it came: line breaks as LF, tabs as spaces, no
control characters, ordinary newlines kept (web survey, interviewer mode, SMS reply, import)."""
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import csrf_token
from feedback.extensions import db
from feedback.free_text import clean_free_text
from feedback.imports.cells import answer_in
from feedback.instruments import load_catalogue
from feedback.sms.conversation import Answer, parse_reply
from feedback.survey.models import Response

ROOT = Path(__file__).resolve().parents[2]
#: The exploit from issue 15: a bare CR, then a formula that a spreadsheet would run.
INJECTION = "More visits\r@SUM(1+1)*cmd|' /C calc'!A0"
#: CR LF (what browsers send from a text area), a bare CR, NUL, BEL, ESC, DEL, form feed, a tab.
TYPED = "Line one\r\nLine two\rLine three\x00\x07\x1b\x7f\x0c end\tnow\nLine four"
STORED = "Line one\nLine two\nLine three end now\nLine four"
C0_AND_DEL = [chr(code) for code in range(0x20) if chr(code) != "\n"] + ["\x7f"]


@pytest.mark.parametrize("typed, stored", [
    (INJECTION, "More visits\n@SUM(1+1)*cmd|' /C calc'!A0"),
    (TYPED, STORED),
    ("first\nsecond\n\nthird", "first\nsecond\n\nthird"),  # ordinary newlines are kept
    ("a\r\n\r\nb", "a\n\nb"),
    ("tab\there", "tab here"),
    ("nul\x00", "nul"),
    ("Mae'r gwasanaeth yn dda — ŵyr ŷd 😀", "Mae'r gwasanaeth yn dda — ŵyr ŷd 😀"),
    ("", ""),
])
def test_free_text_keeps_words_and_newlines_and_loses_control_characters(typed, stored):
    assert clean_free_text(typed) == stored


def test_no_c0_control_character_survives():
    cleaned = clean_free_text("x".join(C0_AND_DEL))
    assert not any(char in cleaned for char in C0_AND_DEL if char != "\t")
    assert "\t" not in cleaned and "\r" not in cleaned


# -- the web survey and interviewer mode ------------------------------------------------------------

def comments_of(app, response_id):
    with app.app_context():
        return db.session.get(Response, response_id).answer_values().get("comments")


def post_comments(client, url, comments):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(html), "comments": comments})


@pytest.mark.parametrize("typed, stored", [(INJECTION, "More visits\n@SUM(1+1)*cmd|' /C calc'!A0"),
                                           (TYPED, STORED)])
def test_a_web_answer_is_stored_with_lf_line_breaks_and_no_control_characters(app, client, make_link, typed, stored):
    response_id, token = make_link()
    result = post_comments(client, f"/s/{token}/q/comments", typed)
    assert result.status_code == 302, result.get_data(as_text=True)
    assert comments_of(app, response_id) == stored


def test_a_web_answer_of_control_characters_only_is_no_answer(app, client, make_link):
    response_id, token = make_link()
    assert post_comments(client, f"/s/{token}/q/comments", "\x00\r\n\x07").status_code == 302
    assert comments_of(app, response_id) is None


def test_an_interviewer_s_entry_is_stored_the_same_way(app, signed_in, make_link):
    response_id, _ = make_link()
    result = post_comments(signed_in, f"/staff/interviews/{response_id}/q/comments", TYPED)
    assert result.status_code == 302, result.get_data(as_text=True)
    assert comments_of(app, response_id) == STORED


# -- SMS replies and imported files -----------------------------------------------------------------

def test_an_sms_reply_is_stored_the_same_way():
    item = load_catalogue(ROOT / "questionnaires").latest("follow-up").item("new_problems_detail")
    assert item.type == "text" and item.sms
    assert parse_reply(item, TYPED, "en") == Answer(STORED)
    assert parse_reply(item, INJECTION, "en") == Answer("More visits\n@SUM(1+1)*cmd|' /C calc'!A0")


def test_an_imported_answer_is_stored_the_same_way(questionnaires_dir):
    item = load_catalogue(questionnaires_dir).get("household", 1).item("comments")
    assert item.type == "long_text"
    assert answer_in(item, TYPED, date.today()) == STORED
    assert answer_in(item, "\x00\x1b", date.today()) is None
