"""Answering a survey by text: one question per message, replies understood, nobody stuck."""
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.instruments import load_catalogue
from feedback.instruments.loader import build_instrument
from feedback.sms import conversation as sms
from feedback.sms.conversation import SKIP, Answer, ConversationState, Unclear, advance, next_item, parse_reply, prompt
from feedback.sms.segments import segments
from feedback.survey import navigation

ROOT = Path(__file__).resolve().parents[2]
FOLLOW_UP = load_catalogue(ROOT / "questionnaires").latest("follow-up")

#: A test instrument with the item types the shipped SMS instrument lacks.
MIXED = build_instrument(yaml.safe_load("""
id: mixed
version: 1
languages: [en, cy]
title: {en: Mixed, cy: Cymysg}
respondents: [{role: parent_carer}]
modes: [web, sms]
missing_codes:
  - {code: -9, label: {en: Prefer not to say, cy: Mae'n well gen i beidio â dweud}}
  - {code: -8, label: {en: Don't know, cy: Ddim yn gwybod}}
choice_sets:
  agree:
    - {code: 1, label: {en: Agree, cy: Cytuno}}
    - {code: 2, label: {en: Disagree, cy: Anghytuno}}
  frequency:
    - {code: 0, label: {en: Not very often, cy: Ddim yn aml iawn}}
    - {code: 1, label: {en: Very often, cy: Yn aml iawn}}
    - {code: always, label: {en: All the time, cy: Drwy'r amser}}
pages:
  - id: one
    items:
      - id: agreed
        type: agreement
        choices: agree
        missing: [-9]
        text: {en: "I felt listened to", cy: "Roeddwn i'n teimlo bod rhywun yn gwrando"}
      - id: how_often
        type: single_choice
        choices: frequency
        required: false
        text: {en: "How often?", cy: "Pa mor aml?"}
      - id: ladder
        type: scale
        missing: [-9]
        text: {en: "Where are you on the ladder?", cy: "Ble rydych chi ar yr ysgol?"}
        anchors:
          - {from: 1, to: 5, label: {en: Stuck, cy: Yn sownd}}
          - {from: 6, to: 10, label: {en: Moving on, cy: Symud ymlaen}}
      - id: children
        type: number
        min: 0
        max: 20
        missing: [-9, -8]
        text: {en: "How many children live with you?", cy: "Faint o blant sy'n byw gyda chi?"}
      - id: hours
        type: number
        min: 0
        max: 40
        integer: false
        required: false
        text: {en: "Hours of help a week?", cy: "Oriau o help yr wythnos?"}
      - {id: word, type: text, max_length: 10, missing: [-9], text: {en: "One word for it?", cy: "Un gair amdano?"}}
      - {id: never_by_text, type: long_text, sms: false, required: false, text: {en: Tell us more, cy: Dywedwch fwy}}
"""), "mixed")

#: Welsh for some of the fixed wording, as the catalogue will give it.
WELSH = {
    sms.HOW_CHOICE: "Atebwch gyda rhif eich ateb.",
    sms.HOW_YES_NO: "Atebwch IE neu NA, neu rif eich ateb.",
    sms.HOW_TEXT: "Atebwch gydag ychydig eiriau.",
    sms.OR_SKIP: "Neu atebwch %(skip)s.",
    sms.SKIP_WORD: "NESAF",
    sms.NOT_A_CHOICE: "Mae'n ddrwg gennym, nid yw hynny'n un o'r atebion.",
    sms.NO_WORDS: "Mae'n ddrwg gennym, doedd dim geiriau yn eich ateb.",
    sms.LEFT_OUT: "Rydym wedi gadael y cwestiwn hwnnw heb ei ateb.",
    sms.DONE: "Diolch. Dyna'r cwestiwn olaf, ac mae eich atebion wedi'u cadw.",
}


def welsh(message):
    return WELSH.get(message, message)


def stored(state):
    """The state as it comes back from a JSON database column."""
    return ConversationState.from_dict(json.loads(json.dumps(state.to_dict())))


# -- which question next ------------------------------------------------------------------------

def test_questions_come_in_page_order_skipping_those_answered_or_skipped():
    assert next_item(FOLLOW_UP, {}, set()).id == "outcome_behaviour"
    assert next_item(FOLLOW_UP, {"outcome_behaviour": 1}, set()).id == "outcome_school_attendance"
    assert next_item(FOLLOW_UP, {"outcome_behaviour": 1}, {"outcome_school_attendance"}).id == \
        "outcome_family_relationships"


def test_a_follow_on_question_is_asked_only_when_its_condition_holds():
    before = {item.id: 1 for item in FOLLOW_UP.items[:9]}
    assert next_item(FOLLOW_UP, {**before, "new_problems": 0, "other_services": 1}, set()).id == "contact_request"
    assert next_item(FOLLOW_UP, {**before, "new_problems": 1, "other_services": 1}, set()).id == "new_problems_detail"


def test_items_left_out_of_sms_are_never_asked():
    # other_services_which is a tick-all list marked sms: false; it is shown on the web when other_services is yes.
    answers = {item.id: 1 for item in FOLLOW_UP.items if item.id not in ("other_services_which", "contact_request")}
    assert next_item(FOLLOW_UP, answers, set()).id == "contact_request"
    assert next_item(MIXED, {"agreed": 1, "how_often": 1, "ladder": 2, "children": 0, "hours": 1, "word": "x"},
                     set()) is None


def test_an_old_answer_to_a_hidden_question_does_not_show_its_follow_on():
    # The web flow's rule: visibility is worked out from the answers of visible items only.
    answers = {item.id: 1 for item in FOLLOW_UP.items[:9]} | {"new_problems": 0, "other_services": 0}
    assert next_item(FOLLOW_UP, answers, set()).id == "contact_request"


@settings(max_examples=200, deadline=None)
@given(answered=st.dictionaries(st.sampled_from([item.id for item in FOLLOW_UP.items]), st.sampled_from([0, 1, 2])),
       skipped=st.frozensets(st.sampled_from([item.id for item in FOLLOW_UP.items])))
def test_the_next_question_is_the_first_the_web_pages_would_show_that_is_still_open(answered, skipped):
    """The same rule as the web flow's ``navigation.visible_items``, page by page (issue 24 works
    the visible answers out once per text instead of once per page)."""
    expected = next((item for page in FOLLOW_UP.pages for item in navigation.visible_items(FOLLOW_UP, page, answered)
                     if item.sms and item.type in sms.SMS_TYPES and item.id not in answered and item.id not in skipped),
                    None)
    assert next_item(FOLLOW_UP, answered, skipped) is expected


# -- how a question is asked --------------------------------------------------------------------

def test_a_choice_question_is_the_question_and_its_numbered_answers_missing_codes_included():
    assert prompt(FOLLOW_UP.item("outcome_school_attendance"), "en") == (
        "Since support ended, is going to school better, the same or worse?\n"
        "1 Better\n2 The same\n3 Worse\n4 Prefer not to say\n5 Does not apply to us")


def test_the_question_and_answers_are_in_the_members_language():
    assert prompt(FOLLOW_UP.item("outcome_behaviour"), "cy", gettext=welsh) == (
        "Ers i'r cymorth ddod i ben, ydy ymddygiad yn eich teulu yn well, yr un fath neu'n waeth?\n"
        "1 Gwell\n2 Yr un fath\n3 Gwaeth\n4 Mae'n well gen i beidio â dweud")


def test_a_language_the_instrument_lacks_falls_back_to_english():
    assert prompt(FOLLOW_UP.item("outcome_behaviour"), "fr").startswith("Since support ended")


def test_a_yes_no_question_says_how_to_answer():
    assert prompt(FOLLOW_UP.item("children_at_home"), "en") == (
        "Are all the children still living at home?\n1 Yes\n2 No\n3 Prefer not to say\n"
        "Reply YES or NO, or the number of your answer.")
    assert prompt(FOLLOW_UP.item("children_at_home"), "cy", gettext=welsh).endswith(
        "1 Ie\n2 Na\n3 Mae'n well gen i beidio â dweud\nAtebwch IE neu NA, neu rif eich ateb.")


def test_an_optional_question_offers_skip_in_the_members_words():
    assert prompt(FOLLOW_UP.item("new_problems_detail"), "en") == (
        "What is the new problem? A few words is fine.\nReply with a few words.\nOr reply SKIP.")
    assert prompt(FOLLOW_UP.item("new_problems_detail"), "cy", gettext=welsh).endswith(
        "Atebwch gydag ychydig eiriau.\nNeu atebwch NESAF.")
    assert "SKIP" not in prompt(FOLLOW_UP.item("outcome_behaviour"), "en")


def test_scale_number_and_agreement_questions_say_how_to_answer():
    assert prompt(MIXED.item("ladder"), "en") == (
        "Where are you on the ladder?\n1-5 Stuck\n6-10 Moving on\nReply with a number from 1 to 10.\n"
        "Or reply: Prefer not to say")
    assert prompt(MIXED.item("children"), "en") == (
        "How many children live with you?\nReply with a number from 0 to 20.\n"
        "Or reply: Prefer not to say / Don't know")
    assert prompt(MIXED.item("agreed"), "en").endswith("3 Prefer not to say\nReply with the number of your answer.")


def test_a_reprompt_starts_by_saying_how_to_answer():
    assert prompt(FOLLOW_UP.item("outcome_behaviour"), "en", reprompt=True).startswith(
        "Reply with the number of your answer.\nSince support ended")
    again = prompt(MIXED.item("ladder"), "en", reprompt=True)
    assert again.startswith("Reply with a number from 1 to 10.\nWhere are you")
    assert again.count("Reply with a number") == 1


# -- what a reply means -------------------------------------------------------------------------

@pytest.mark.parametrize("body, code", [
    ("1", 1), (" 2 ", 2), ("3.", 3), ("(1)", 1), ("4", -9), ("-9", -9),
    ("better", 1), ("Better!", 1), ("BETTER", 1), ("the same", 2), ("same", 2), ("worse", 3),
    ("prefer not to say", -9), ("Prefer not", -9), ("1 Better", 1), ("1. Better", 1),
])
def test_a_choice_reply_may_be_its_number_code_or_words(body, code):
    assert parse_reply(FOLLOW_UP.item("outcome_behaviour"), body, "en") == Answer(code)


@pytest.mark.parametrize("body, code", [
    ("Gwell", 1), ("gwaeth", 3), ("yr un fath", 2), ("Mae'n well gen i beidio â dweud", -9),
    ("maen well gen i beidio a dweud", -9), ("beidio", -9), ("better", 1), ("2", 2),
])
def test_welsh_labels_match_without_accents_or_apostrophes_and_english_still_works(body, code):
    assert parse_reply(FOLLOW_UP.item("outcome_behaviour"), body, "cy") == Answer(code)


def test_an_english_speaker_may_answer_in_welsh():
    assert parse_reply(FOLLOW_UP.item("outcome_behaviour"), "Gwell", "en") == Answer(1)


@pytest.mark.parametrize("body, code", [
    ("y", 1), ("Yes", 1), ("YES!", 1), ("ie", 1), ("Oes", 1), ("ydy", 1), ("1", 1),
    ("n", 0), ("no", 0), ("Na", 0), ("nac oes", 0), ("Nac ydy.", 0), ("naddo", 0), ("2", 0), ("0", 0),
    ("3", -9), ("prefer not to say", -9),
])
def test_yes_no_replies_in_english_and_welsh(body, code):
    assert parse_reply(FOLLOW_UP.item("children_at_home"), body, "cy") == Answer(code)


@pytest.mark.parametrize("body, reason", [
    ("6", "not one of the answers"), ("1 Worse", "not one of the answers"), ("maybe", "not one of the answers"),
    ("the", "not one of the answers"), ("better or worse", "not one of the answers"),
    ("", "empty"), ("   ", "empty"), ("?", "not one of the answers"), ("😀", "not one of the answers"),
    ("skip", "needs an answer"),
])
def test_replies_that_are_not_an_answer_are_unclear_with_a_reason(body, reason):
    parsed = parse_reply(FOLLOW_UP.item("outcome_behaviour"), body, "en")
    assert isinstance(parsed, Unclear) and reason in parsed.reason


def test_a_reply_that_fits_more_than_one_answer_is_unclear():
    parsed = parse_reply(MIXED.item("how_often"), "often", "en")
    assert parsed == Unclear("Sorry, that could be more than one answer.")
    assert parse_reply(MIXED.item("how_often"), "very often", "en") == Answer(1)  # an exact label wins
    assert parse_reply(MIXED.item("how_often"), "all the time", "en") == Answer("always")


def test_shown_numbers_win_over_codes_that_differ_from_them():
    how_often = MIXED.item("how_often")  # codes 0, 1, "always" shown as 1, 2, 3
    assert parse_reply(how_often, "1", "en") == Answer(0)
    assert parse_reply(how_often, "0", "en") == Answer(0)
    assert parse_reply(how_often, "3", "en") == Answer("always")


@pytest.mark.parametrize("body", ["skip", "SKIP", "Skip.", "hepgor", "sgipio", "nesaf"])
def test_skip_is_accepted_for_an_optional_question_in_either_language(body):
    assert parse_reply(MIXED.item("how_often"), body, "cy", gettext=welsh) is SKIP


@pytest.mark.parametrize("item_id, body, value", [
    ("ladder", "7", 7), ("ladder", "10", 10), ("ladder", "prefer not to say", -9), ("ladder", "-9", -9),
    ("children", "0", 0), ("children", "3", 3), ("children", "3.0", 3), ("children", "don't know", -8),
    ("children", "Ddim yn gwybod", -8), ("hours", "2.5", 2.5), ("hours", "40", 40.0),
])
def test_numbers_in_range_and_missing_codes_by_name(item_id, body, value):
    parsed = parse_reply(MIXED.item(item_id), body, "en")
    assert parsed == Answer(value) and type(parsed.value) is type(value)


@pytest.mark.parametrize("item_id, body, reason", [
    ("ladder", "11", "Sorry, 11 is not from 1 to 10."), ("ladder", "0", "Sorry, 0 is not from 1 to 10."),
    ("ladder", "7.5", "Sorry, that is not a whole number."), ("children", "21", "Sorry, 21 is not from 0 to 20."),
    ("children", "-1", "Sorry, -1 is not from 0 to 20."), ("children", "two", "Sorry, that is not a number."),
    ("children", "1" * 40, "Sorry, that is not a number."), ("children", "1,000", "Sorry, 1000 is not from 0 to 20."),
    ("hours", "1,5,0", "Sorry, that is not a number."), ("hours", "41.5", "Sorry, 41.5 is not from 0 to 40."),
])
def test_numbers_out_of_range_are_unclear_and_the_reason_gives_the_range(item_id, body, reason):
    assert parse_reply(MIXED.item(item_id), body, "en") == Unclear(reason)


def test_a_text_answer_is_trimmed_and_cut_to_its_length():
    assert parse_reply(MIXED.item("word"), "  tired  ", "en") == Answer("tired")
    assert parse_reply(MIXED.item("word"), "exhausting week", "en") == Answer("exhausting")
    assert parse_reply(FOLLOW_UP.item("new_problems_detail"), "x" * 2000, "en") == Answer("x" * 160)


def test_a_text_answer_is_a_missing_code_only_when_it_is_the_whole_label():
    assert parse_reply(MIXED.item("word"), "Prefer not to say", "en") == Answer(-9)
    assert parse_reply(MIXED.item("word"), "I prefer not to say much", "en") == Answer("I prefer n")


def test_a_text_answer_needs_some_words():
    assert parse_reply(MIXED.item("word"), "?!", "en") == Unclear("Sorry, we could not find any words in your reply.")
    assert parse_reply(MIXED.item("word"), "skip", "en") == Unclear("This question needs an answer.")


ASKABLE = [item for instrument in (FOLLOW_UP, MIXED) for item in instrument.items if item.sms]
REPLIES = st.one_of(st.text(max_size=2000), st.sampled_from(["1", "-9", "skip", "Yes", "nac oes", "7.5", "1e9",
                                                             "٣", "𝟑", "1" * 5000, "\x00", "😀" * 1000, None]))


@settings(max_examples=300)
@given(st.sampled_from(ASKABLE), REPLIES, st.sampled_from(["en", "cy", "fr"]))
def test_any_reply_to_any_question_is_understood_or_unclear_and_never_fails(item, body, language):
    parsed = parse_reply(item, body, language)
    if isinstance(parsed, Answer):
        value = parsed.value
        if item.type in ("single_choice", "agreement", "yes_no"):
            assert item.choice(value) is not None
        elif item.type in ("scale", "number"):
            assert value in item.missing_code_values or item.minimum <= value <= item.maximum
        else:
            assert value in item.missing_code_values or 0 < len(value) <= item.max_length
    elif parsed is SKIP:
        assert not item.required
    else:
        assert isinstance(parsed, Unclear) and parsed.reason


# -- the state ----------------------------------------------------------------------------------

def test_the_state_survives_a_json_column_unchanged():
    state = ConversationState({"a": 1, "b": "tired", "c": 2.5}, frozenset({"d"}), "e", True)
    assert stored(state) == state
    assert state.to_dict() == {"answers": {"a": 1, "b": "tired", "c": 2.5}, "skipped": ["d"], "current": "e",
                               "reprompted": True}


def test_a_state_cannot_be_changed_by_whoever_holds_it():
    answers = {"a": 1}
    state = ConversationState(answers, frozenset(), "b")
    answers["a"] = 2
    assert state.answers["a"] == 1
    with pytest.raises(TypeError):
        state.answers["a"] = 3


@pytest.mark.parametrize("data", [None, {}, {"answers": [], "skipped": [], "current": None},
                                  {"answers": {}, "skipped": [], "current": 3, "reprompted": False},
                                  {"answers": {}, "skipped": [1], "current": None, "reprompted": False},
                                  {"answers": {}, "skipped": [], "current": None, "reprompted": "yes"}])
def test_a_damaged_stored_state_is_refused(data):
    with pytest.raises(ValueError, match="not a stored SMS conversation state"):
        ConversationState.from_dict(data)


# -- whole conversations ------------------------------------------------------------------------

def talk(instrument, replies, language="en", gettext=sms.untranslated):
    """Start a conversation and send the replies; the steps, with the state stored between each."""
    steps = [sms.start(instrument, language, gettext)]
    for body in replies:
        steps.append(advance(instrument, stored(steps[-1].state), body, language, gettext))
    return steps


def test_a_whole_conversation_in_english_with_a_condition_a_reprompt_a_refused_skip_and_a_missing_answer():
    replies = [
        "Better", "5", "2", "the same",                 # behaviour … confidence; 5 is "does not apply"
        "maybe",                                        # unclear: one re-prompt for work_training
        "3", "1", "2", "4",                             # work_training … feeling_safe (prefer not to say)
        "skip",                                         # children_at_home is required: refused
        "Yes", "y", "no",                               # children_at_home, new_problems, other_services
        "?",                                            # new_problems_detail (shown as new_problems is yes)
        "",                                             # a second unclear reply: left unanswered
        "No",                                           # contact_request
    ]
    steps = talk(FOLLOW_UP, replies)
    asked = [step.state.current for step in steps]
    assert asked == [
        "outcome_behaviour", "outcome_school_attendance", "outcome_family_relationships", "outcome_confidence",
        "outcome_work_training", "outcome_work_training", "outcome_home_conditions", "outcome_health",
        "outcome_feeling_safe", "children_at_home", "children_at_home", "new_problems", "other_services",
        "new_problems_detail", "new_problems_detail", "contact_request", None]
    assert steps[5].message.startswith("Sorry, that is not one of the answers.\nReply with the number of your answer.\n"
                                       "Since support ended, is work or training better")
    assert steps[10].message.startswith("This question needs an answer.\nReply YES or NO")
    assert steps[14].message.startswith("Sorry, we could not find any words in your reply.\nReply with a few words.")
    assert steps[15].message.startswith("We have left that question unanswered.\nWould you like someone")
    final = steps[-1]
    assert final.complete and final.state.complete
    assert final.message == "Thank you. That was the last question, and your answers are saved."
    assert dict(final.state.answers) == {
        "outcome_behaviour": 1, "outcome_school_attendance": -7, "outcome_family_relationships": 2,
        "outcome_confidence": 2, "outcome_work_training": 3, "outcome_home_conditions": 1, "outcome_health": 2,
        "outcome_feeling_safe": -9, "children_at_home": 1, "new_problems": 1, "other_services": 0,
        "contact_request": 0}
    assert final.state.skipped == {"new_problems_detail"}
    # Nothing required is left, so the response can be completed like a web one.
    assert navigation.unanswered_required(FOLLOW_UP, final.state.answers) == []


def test_a_whole_conversation_in_welsh_with_a_condition_a_reprompt_and_skip():
    replies = ["Gwell", "Yr un fath", "gwaeth", "dim syniad", "1", "beidio â dweud", "2", "Gwell", "Gwell", "Ydy",
               "Oes", "Nac oes", "nesaf", "Hoffwn"]
    steps = talk(FOLLOW_UP, replies, "cy", welsh)
    assert steps[0].message.startswith("Ers i'r cymorth ddod i ben, ydy ymddygiad")
    assert steps[4].state.current == "outcome_confidence" and steps[4].message.startswith(
        "Mae'n ddrwg gennym, nid yw hynny'n un o'r atebion.\nAtebwch gyda rhif eich ateb.\n"
        "Ers i'r cymorth ddod i ben, ydy eich hyder")
    assert steps[12].state.current == "new_problems_detail"
    assert steps[12].message == "Beth yw'r broblem newydd? Mae ychydig eiriau'n iawn.\n" \
                                "Atebwch gydag ychydig eiriau.\nNeu atebwch NESAF."
    final = steps[-1]
    assert final.complete
    assert final.message == "Diolch. Dyna'r cwestiwn olaf, ac mae eich atebion wedi'u cadw."
    assert final.state.answers["outcome_work_training"] == -9
    assert final.state.answers["new_problems"] == 1 and final.state.answers["other_services"] == 0
    assert final.state.answers["contact_request"] == 1
    assert final.state.skipped == {"new_problems_detail"}
    assert navigation.unanswered_required(FOLLOW_UP, final.state.answers) == []


def test_in_welsh_an_optional_question_is_left_after_two_unclear_replies():
    steps = talk(FOLLOW_UP, ["1"] * 9 + ["ie", "na", "😀", "...", "na"], "cy", welsh)
    assert [step.state.current for step in steps[-4:]] == ["new_problems_detail", "new_problems_detail",
                                                           "contact_request", None]
    assert steps[-3].message.startswith("Mae'n ddrwg gennym, doedd dim geiriau yn eich ateb.\n"
                                        "Atebwch gydag ychydig eiriau.\nBeth yw'r broblem newydd?")
    assert steps[-2].message.startswith("Rydym wedi gadael y cwestiwn hwnnw heb ei ateb.\n"
                                        "Hoffech chi i rywun o'r gwasanaeth gysylltu â chi?")
    assert steps[-1].complete and steps[-1].state.skipped == {"new_problems_detail"}
    assert steps[-1].state.answers["contact_request"] == 0


def test_every_follow_up_question_fits_one_text_in_english():
    # Welsh needs UCS-2 (â, ŵ), so the same questions take two or three segments there.
    for item in FOLLOW_UP.items:
        if item.sms:
            assert segments(prompt(item, "en")).segments == 1, item.id


def test_without_new_problems_the_follow_on_question_is_never_asked():
    steps = talk(FOLLOW_UP, ["1"] * 9 + ["no", "no", "no"])
    assert "new_problems_detail" not in [step.state.current for step in steps]
    assert steps[-1].complete and len(steps[-1].state.answers) == 12


def test_a_required_question_is_asked_again_however_many_unclear_replies_come():
    steps = talk(FOLLOW_UP, ["what?", "eh", "hmm", "skip"])
    assert [step.state.current for step in steps] == ["outcome_behaviour"] * 5
    assert all(not step.complete and step.state.reprompted for step in steps[1:])
    assert all("1 Better" in step.message for step in steps)
    assert advance(FOLLOW_UP, steps[-1].state, "prefer not to say", "en").state.answers == {"outcome_behaviour": -9}


def test_an_answer_after_a_reprompt_resets_the_reprompt_for_the_next_question():
    steps = talk(MIXED, ["x", "1", "x"])
    assert steps[2].state.current == "how_often" and not steps[2].state.reprompted
    assert steps[3].state.reprompted and steps[3].state.skipped == frozenset()  # first unclear: asked again


def test_an_optional_question_is_left_after_two_unclear_replies_and_a_required_one_is_not():
    steps = talk(MIXED, ["1", "x", "x", "x", "x", "x"])
    assert [step.state.current for step in steps] == ["agreed", "how_often", "how_often", "ladder", "ladder",
                                                      "ladder", "ladder"]
    assert steps[3].state.skipped == {"how_often"}


def test_mixed_item_types_reach_completion_and_long_text_is_never_texted():
    steps = talk(MIXED, ["Agree", "skip", "7", "two", "2", "", "?", "calm"])
    final = steps[-1]
    assert final.complete
    assert dict(final.state.answers) == {"agreed": 1, "ladder": 7, "children": 2, "word": "calm"}
    assert final.state.skipped == {"how_often", "hours"}
    assert "never_by_text" not in [step.state.current for step in steps]


def test_a_reply_after_the_end_changes_nothing_and_sends_nothing():
    done = talk(MIXED, ["1", "skip", "7", "2", "skip", "calm"])[-1]
    again = advance(MIXED, done.state, "hello?", "en")
    assert again.state == done.state and again.message is None and again.complete


def test_an_instrument_with_nothing_to_ask_by_text_completes_at_once():
    web_only = build_instrument(yaml.safe_load("""
    id: web-only
    version: 1
    languages: [en]
    title: Web only
    respondents: [{role: parent_carer}]
    modes: [web]
    pages:
      - id: one
        items: [{id: when, type: date, text: "When did support end?"}]
    """), "web-only")
    step = sms.start(web_only, "en")
    assert step.complete and step.state.current is None and step.message.startswith("Thank you")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["1", "2", "3", "4", "yes", "no", "skip", "", "better", "gwell", "-9"]),
                          st.text(max_size=50)), max_size=25))
def test_any_run_of_replies_keeps_the_conversation_consistent(replies):
    for step in talk(FOLLOW_UP, replies):
        state = step.state
        assert step.complete == state.complete and bool(step.message)
        assert not (set(state.answers) & state.skipped)
        assert all(not FOLLOW_UP.item(item_id).required for item_id in state.skipped)
        assert all(FOLLOW_UP.item(item_id).sms for item_id in state.answers)
        if state.current is not None:
            assert state.current == next_item(FOLLOW_UP, state.answers, state.skipped).id
