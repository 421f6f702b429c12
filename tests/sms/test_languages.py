"""Texts in the member's language: a language named by text switches it, conversations are asked and
answered in it, and what each text costs is counted as the network will count it."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import yaml
from dateutil.relativedelta import relativedelta

from feedback.extensions import db
from feedback.families.models import Member
from feedback.instruments.loader import build_instrument
from feedback.sms import conversation as sms
from feedback.sms.conversation import names_a_choice, prompt
from feedback.sms.keywords import language_keyword
from feedback.sms.models import InboundMessage, SmsConversation
from feedback.sms.segments import segments
from tests.sms.conftest import dispatch, leaving_family, reply_of
from tests.sms.counting import independent_count

TODAY = date.today()
SPOKEN = ("en", "cy", "pl", "ro", "ur", "ar", "bn", "so")


# -- which texts name a language ----------------------------------------------------------------

@pytest.mark.parametrize("body, code", [
    ("POLSKI", "pl"), ("polski", "pl"), ("Polish", "pl"),
    ("ROMANA", "ro"), ("ROMÂNĂ", "ro"), ("română", "ro"), ("Romanian", "ro"),
    ("URDU", "ur"), ("اردو", "ur"), ("ARABIC", "ar"), ("العربية", "ar"),
    ("BANGLA", "bn"), ("BENGALI", "bn"), ("বাংলা", "bn"), ("SOOMAALI", "so"), ("Somali", "so"),
    ("CYMRAEG", "cy"), ("Welsh.", "cy"), (" English! ", "en"),
])
def test_a_language_is_named_in_itself_or_in_english_whatever_the_case_and_accents(body, code):
    assert language_keyword(body, SPOKEN) == code


@pytest.mark.parametrize("body", ["Polski please", "I speak Urdu", "STOP", "HELP", "1", "", "Français", "Klingon"])
def test_only_a_whole_message_naming_a_language_the_app_speaks_is_a_language_keyword(body):
    assert language_keyword(body, SPOKEN) is None


def test_a_language_the_app_does_not_speak_is_no_keyword():
    assert language_keyword("POLSKI", ("en", "cy")) is None


LANGUAGE_QUESTION = build_instrument(yaml.safe_load("""
id: home-language
version: 1
languages: [en, cy]
title: {en: Language, cy: Iaith}
respondents: [{role: parent_carer}]
modes: [web, sms]
pages:
  - id: one
    items:
      - id: home_language
        type: single_choice
        choices:
          - {code: 1, label: {en: English, cy: Saesneg}}
          - {code: 2, label: {en: Cymraeg, cy: Cymraeg}}
        text: {en: "Which language do you speak at home?", cy: "Pa iaith ydych chi'n ei siarad gartref?"}
      - {id: words, type: text, required: false, text: {en: "Anything else?", cy: "Unrhyw beth arall?"}}
"""), "home-language")


def test_a_language_name_that_is_one_of_the_questions_answers_is_that_answer():
    item = LANGUAGE_QUESTION.item("home_language")
    assert names_a_choice(item, "ENGLISH", "en") and names_a_choice(item, "cymraeg", "cy")
    assert not names_a_choice(item, "POLSKI", "en")
    assert not names_a_choice(LANGUAGE_QUESTION.item("words"), "English", "en")  # free text: a keyword


# -- through the webhook ------------------------------------------------------------------------

@pytest.fixture
def conversation(twilio_app, north, fake_twilio):
    """A mother answering by text, in English, three months after her family left support."""
    made, (mother,) = leaving_family(north, channel="sms_conversation", exit_=TODAY - relativedelta(months=3))
    assert dispatch(twilio_app).sent == 1
    return mother, fake_twilio.sent()[-1].form["Body"]


def waiting_item():
    """The question the (only) conversation waits on, from the instrument it was opened with."""
    from feedback.publishing.startup import current_catalogue

    row = db.session.scalars(sa.select(SmsConversation)).one()
    db.session.refresh(row)
    return current_catalogue().latest(row.invitation.instrument_id).item(row.state["current"])


def language_of(member_id: int) -> str:
    return db.session.scalar(sa.select(Member.language).where(Member.id == member_id))


def last_handled() -> str:
    return db.session.scalars(sa.select(InboundMessage.handled_as).order_by(InboundMessage.id.desc())).first()


def test_naming_a_language_switches_the_member_and_asks_the_waiting_question_again_in_it(webhooks, conversation):
    from feedback.waves.messages import language_changed_text, translator

    mother, opening = conversation
    item = waiting_item()
    reply = reply_of(webhooks.text(mother.phone, "Cymraeg"))
    assert reply == language_changed_text("cy") + "\n" + prompt(item, "cy", gettext=translator("cy"))
    assert item.text.get("cy") in reply and item.text.get("cy") != item.text.get("en")
    assert language_of(mother.id) == "cy" and last_handled() == "language"
    # Nothing was answered; the next reply answers the same question, and is answered in Welsh.
    assert waiting_item().id == item.id
    unclear = reply_of(webhooks.text(mother.phone, "banana"))
    assert unclear.startswith(translator("cy")(sms.NOT_A_CHOICE) + "\n")
    following = reply_of(webhooks.text(mother.phone, "1"))
    assert following == prompt(waiting_item(), "cy", gettext=translator("cy"))
    # And back: English works the same way.
    assert reply_of(webhooks.text(mother.phone, "ENGLISH")).startswith(language_changed_text("en") + "\n")
    assert language_of(mother.id) == "en"


def test_stop_still_wins_and_is_answered_in_the_language_chosen(webhooks, conversation):
    from feedback.waves.messages import opted_out_text

    mother, opening = conversation
    webhooks.text(mother.phone, "CYMRAEG")
    stopped = webhooks.text(mother.phone, "STOP")
    assert last_handled() == "opt_out"
    assert db.session.scalars(sa.select(SmsConversation)).one().closed_at is not None
    db.session.expire_all()
    assert db.session.get(Member, mother.id).opted_out_at is not None
    assert reply_of(stopped) == opted_out_text("cy")


@pytest.mark.parametrize("body", ["Klingon", "Français", "Welsh please"])
def test_an_unknown_word_is_an_unclear_answer_not_a_language_change(webhooks, conversation, body):
    from feedback.waves.messages import translator

    mother, opening = conversation
    reply = reply_of(webhooks.text(mother.phone, body))
    assert reply.startswith(translator("en")(sms.NOT_A_CHOICE))
    assert language_of(mother.id) == "en" and last_handled() == "unclear"


def test_without_a_conversation_a_language_keyword_sets_everyone_on_the_number(twilio_app, webhooks, north):
    from feedback.waves.messages import language_changed_text, nothing_open_text

    family, (mother, child) = leaving_family(north, members=(("mother", 1988, 3), ("child", 2015, 1)))
    shared = db.session.get(Member, child.id)
    shared.phone, shared.phone_digest = mother.phone, mother.phone_digest
    db.session.commit()
    assert reply_of(webhooks.text(mother.phone, "cymraeg")) == language_changed_text("cy")
    assert (language_of(mother.id), language_of(child.id)) == ("cy", "cy")
    # A number no member has changes nothing and learns nothing.
    assert reply_of(webhooks.text("+447700900999", "CYMRAEG")) == nothing_open_text("en")
    assert last_handled() == "no_conversation"


# -- whole conversations in Polish and in Urdu ------------------------------------------------------

def require_language(code: str):
    """The shipped catalogue and the follow-up's language file are there (they ship with the app)."""
    from feedback.languages import ui_languages
    from feedback.publishing.startup import current_catalogue

    assert code in ui_languages(), f"translations/{code}/LC_MESSAGES/messages.mo is missing"
    assert code in current_catalogue().latest("follow-up").languages, \
        f"questionnaires/follow-up/languages/{code}.yaml is incomplete"


def assert_wording_recorded(language: str):
    """The conversation's response says what it was answered in: the language and its wording."""
    from feedback.instruments.wording import wording_hash
    from feedback.publishing.startup import current_catalogue
    from feedback.survey.models import Response

    response = db.session.scalars(sa.select(Response)).one()
    db.session.refresh(response)
    instrument = current_catalogue().get(response.instrument_id, response.version)
    assert (response.language, response.wording_hash) == (language, wording_hash(instrument, language))


def assert_priced_right(text: str, encoding: str | None = None):
    """The app's segment count agrees with an independent count (and with the encoding expected)."""
    count = segments(text)
    assert (count.encoding, count.units, count.segments) == independent_count(text)
    if encoding:
        assert count.encoding == encoding, text


def speaking(twilio_app, north, fake_twilio, language: str):
    """A mother whose language is ``language`` and the opening text of her conversation."""
    made, (mother,) = leaving_family(north, channel="sms_conversation", exit_=TODAY - relativedelta(months=3))
    db.session.get(Member, mother.id).language = language
    db.session.commit()
    assert dispatch(twilio_app).sent == 1
    return mother, fake_twilio.sent()[-1].form["Body"]


def converse(webhooks, phone, language, replies, encoding=None):
    """Send each reply in turn; each answer must be met by the next question (or the end) in
    ``language``, worded from the catalogue and the instrument, and priced right."""
    from feedback.waves.messages import translator

    gettext = translator(language)
    for body in replies:
        item = waiting_item()
        text = reply_of(webhooks.text(phone, body))
        assert_priced_right(text, encoding)
        row = db.session.scalars(sa.select(SmsConversation)).one()
        db.session.refresh(row)
        if row.state["current"] is None:
            assert text == gettext(sms.DONE)
            return
        assert row.state["current"] != item.id, f"{body!r} did not answer {item.id}: {text}"
        assert text == prompt(waiting_item(), language, gettext=gettext)
    raise AssertionError("the conversation did not end")


def test_a_polish_speaker_is_asked_and_answered_in_polish(twilio_app, webhooks, north, fake_twilio):
    from feedback.waves.messages import conversation_opening, translator

    require_language("pl")
    mother, opening = speaking(twilio_app, north, fake_twilio, "pl")
    gettext = translator("pl")
    first = waiting_item()
    assert opening == conversation_opening("pl", prompt(first, "pl", gettext=gettext))
    assert first.text.get("pl") in opening and first.text.get("pl") != first.text.get("en")
    assert gettext(sms.HOW_YES_NO) != sms.HOW_YES_NO  # the catalogue has the fixed wording
    assert_priced_right(opening)
    unclear = reply_of(webhooks.text(mother.phone, "banana"))
    assert unclear == gettext(sms.NOT_A_CHOICE) + "\n" + prompt(first, "pl", reprompt=True, gettext=gettext)
    assert_priced_right(unclear)
    # A Polish label, numbers, English YES and NO, Polish "yes" (its label), the Polish SKIP word.
    from feedback.publishing.startup import current_catalogue

    polish_yes = current_catalogue().latest("follow-up").item("new_problems").choice(1).label.get("pl")
    replies = [first.all_choices[0].label.get("pl"), "1", "2", "3", "1", "2", "1", "1",
               "YES", polish_yes, "NO", gettext(sms.SKIP_WORD), "2"]
    converse(webhooks, mother.phone, "pl", replies)
    assert language_of(mother.id) == "pl"
    assert_wording_recorded("pl")


def test_an_urdu_speaker_is_asked_and_answered_in_urdu_and_every_text_goes_as_unicode(
        twilio_app, webhooks, north, fake_twilio):
    from feedback.waves.messages import conversation_opening, template_costs, translator

    require_language("ur")
    mother, opening = speaking(twilio_app, north, fake_twilio, "ur")
    gettext = translator("ur")
    first = waiting_item()
    assert opening == conversation_opening("ur", prompt(first, "ur", gettext=gettext))
    assert first.text.get("ur") in opening and first.text.get("ur") != first.text.get("en")
    assert_priced_right(opening, "UCS-2")
    assert segments(opening).segments >= 2  # an Urdu opening and question do not fit in 70 units
    # Urdu digits, numbers, English YES/NO, the English SKIP (which works in every language).
    replies = ["۱", "1", "2", "3", "1", "2", "1", "1", "YES", "YES", "NO", "SKIP", "2"]
    converse(webhooks, mother.phone, "ur", replies, encoding="UCS-2")
    assert_wording_recorded("ur")
    for cost in template_costs():
        if cost.language == "ur":
            assert (cost.encoding, cost.segments) == independent_count(cost.text)[::2]
            assert cost.encoding == "UCS-2"


def test_naming_polish_or_urdu_mid_conversation_asks_again_in_it(webhooks, conversation):
    from feedback.waves.messages import language_changed_text, translator

    require_language("pl")
    require_language("ur")
    mother, opening = conversation
    item = waiting_item()
    for body, code in (("POLSKI", "pl"), ("اردو", "ur")):
        reply = reply_of(webhooks.text(mother.phone, body))
        assert reply == language_changed_text(code) + "\n" + prompt(item, code, gettext=translator(code))
        assert language_of(mother.id) == code
        assert_priced_right(reply, "UCS-2" if code == "ur" else None)


def test_a_reply_is_worded_from_the_same_catalogue_as_every_other_text(app):
    """The conversation looks each language's catalogue up once per text (issue 24); what it says
    must be word for word what the app's translator says, in every language and for every phrase."""
    from feedback.languages import ui_languages
    from feedback.sms.conversations import wording
    from feedback.waves.messages import translator

    phrases = [value for name, value in vars(sms).items()
               if name.isupper() and isinstance(value, str) and value[:1].isupper()]
    assert sms.DONE in phrases and sms.HOW_CHOICE in phrases
    translated = 0
    with app.test_request_context():
        for language in ui_languages():
            ours, theirs = wording(language), translator(language)
            for phrase in phrases:
                assert ours(phrase) == theirs(phrase)
                translated += ours(phrase) != phrase
    assert translated  # the catalogues were really read: some phrase is not English
