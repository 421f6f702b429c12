"""Counts, dates and numbers in the respondent's language, and kept in order in right-to-left pages
(issue 20): a date in an error reads in words ("3 Ebrill 2021", "3 kwietnia 2021"), a count picks
the plural form its language needs, and on an Urdu page a number or phone number sits in its own
<bdi> so the bidi algorithm cannot reorder it."""
from __future__ import annotations

import html
import re
from datetime import date
from types import SimpleNamespace

import pytest
from babel.messages.mofile import read_mo
from flask_babel import force_locale
from markupsafe import Markup
from wtforms.validators import ValidationError

from feedback.extensions import db
from feedback.instruments.definition import Item, Text
from feedback.survey.forms import item_value, needs_answer, too_long
from tests.conftest import ROOT, app_under_test, csrf_token

TRANSLATIONS = ROOT / "translations"
NOW = ("It is now %(num)s character.", "It is now %(num)s characters.")
URDU_CONTACT = "ہمیں 01234 567890 پر کال کریں"


def error_for(item: Item, **parts) -> str:
    """The message a date typed as ``parts`` gets (the field as the page form reads it)."""
    field = SimpleNamespace(errors=[], parts={"day": "", "month": "", "year": ""} | parts)
    with pytest.raises(ValidationError) as raised:
        item_value(item, field)
    return raised.value.args[0]


def plain(message) -> str:
    """The words a reader sees: tags dropped, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(message)))


START = Item(id="started", type="date", text=Text({"en": "When did you start?"}), earliest=date(2021, 4, 3))


@pytest.fixture
def contact_app(schema, database_url, questionnaires_dir):
    """The shipped catalogues, and a help line in English and in Urdu."""
    with app_under_test(database_url, questionnaires_dir,
                        FEEDBACK_CONTACT="call 01234 567890", FEEDBACK_CONTACT_UR=URDU_CONTACT) as app:
        yield app


def shipped_forms(code: str, message: tuple[str, str]) -> tuple[str, ...]:
    """A plural message's forms in a shipped compiled catalogue, in its own order."""
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        shipped = read_mo(mo)
    found = shipped.get(message[0])
    assert found is not None and all(found.string), f"{code} catalogue lacks {message[0]!r}"
    return found.string


def test_a_date_in_an_error_message_reads_in_words_in_welsh(app):
    with app.test_request_context(), force_locale("cy"):
        assert plain(error_for(START, day="1", month="1", year="2020")) == \
            "Rhaid i'r dyddiad fod ar 3 Ebrill 2021 neu ar ôl hynny."


def test_a_date_in_an_error_message_reads_in_words_in_polish_with_the_month_in_the_genitive(app):
    with app.test_request_context(), force_locale("pl"):
        assert "3 kwietnia 2021" in plain(error_for(START, day="1", month="1", year="2020"))  # not "kwiecień"


def test_in_english_the_date_is_written_day_month_year_in_words(app):
    with app.test_request_context(), force_locale("en"):
        assert error_for(START, day="1", month="1", year="2020") == "The date must be on or after 3 April 2021."


#: Polish counts take three forms (Babel's plural rule for pl): one (1), few (2–4, 22–24, but not
#: 12–14) and many (5–21, 25 …). Each count must draw its own form from the shipped catalogue.
@pytest.mark.parametrize("length, form", [(1, 0), (2, 1), (5, 2), (12, 2), (22, 1), (25, 2)])
def test_a_polish_count_picks_the_plural_form_its_number_needs(app, length, form):
    forms = shipped_forms("pl", NOW)
    assert len(set(forms)) == 3, "the Polish catalogue should write one, few and many differently"
    with app.test_request_context(), force_locale("pl"):
        assert plain(too_long(0, length)).endswith(forms[form] % {"num": length})


def test_welsh_keeps_the_noun_singular_after_a_number_in_both_sentences(app):
    with app.test_request_context(), force_locale("cy"):
        assert plain(too_long(500, 612)) == "Rhaid i'ch ateb fod yn 500 nod neu lai. Mae'n 612 nod ar hyn o bryd."
    with app.test_request_context(), force_locale("en"):
        assert too_long(1, 2) == "Your answer must be 1 character or fewer. It is now 2 characters."


def test_counts_and_ranges_are_written_the_way_the_language_writes_numbers(app):
    scale = Item(id="score", type="number", text=Text({"en": "Score"}), minimum=0, maximum=2.5, integer=False)
    with app.test_request_context(), force_locale("pl"):
        assert "1\N{NO-BREAK SPACE}234" in plain(too_long(1000, 1234))  # Polish groups thousands with a space
        assert "2,5" in plain(needs_answer(scale, "pl"))
    with app.test_request_context(), force_locale("en"):
        assert "1,234" in too_long(1000, 1234) and "2.5" in needs_answer(scale, "en")


def test_on_a_right_to_left_page_numbers_in_an_error_are_isolated_and_on_others_plain(app):
    with app.test_request_context(), force_locale("ur"):
        message = too_long(500, 612)
        assert isinstance(message, Markup)
        assert "<bdi>500</bdi>" in message and "<bdi>612</bdi>" in message
    with app.test_request_context(), force_locale("en"):
        assert "<bdi>" not in too_long(500, 612)


def test_an_urdu_page_keeps_the_help_line_phone_number_left_to_right(contact_app):
    page = contact_app.test_client().get("/s/no-such-link", headers={"Accept-Language": "ur"})
    html = page.get_data(as_text=True)
    assert re.search(r'<html lang="ur" dir="rtl">', html)
    assert '<bdi dir="ltr">01234 567890</bdi>' in html
    english = contact_app.test_client().get("/s/no-such-link", headers={"Accept-Language": "en"})
    assert "call 01234 567890</p>" in english.get_data(as_text=True)


def test_an_urdu_question_page_isolates_its_progress_numbers_and_its_error(app):
    from feedback.publishing.startup import current_catalogue
    from feedback.survey.service import create_response

    with app.app_context():
        instrument = current_catalogue().latest("exit-interview")
        assert "ur" in instrument.languages  # the shipped Urdu language file
        _, token = create_response(instrument, 28, None, language="ur")
        db.session.commit()
        first = instrument.items[0]
    client = app.test_client()
    question = client.get(f"/s/{token}/q/{first.id}").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in question
    progress = re.search(r'<p class="govuk-caption-m progress">(.*?)</p>', question, re.S).group(1)
    assert "<bdi>1</bdi>" in progress and not re.search(r"\d", re.sub(r"<bdi>\d+</bdi>", "", progress))
    sent_empty = client.post(f"/s/{token}/q/{first.id}", data={"csrf_token": csrf_token(question)})
    assert sent_empty.status_code == 422 and 'class="govuk-error-summary"' in sent_empty.get_data(as_text=True)
