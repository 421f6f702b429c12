"""Plain words: what families read suits a UK reading age of 11 (Flesch–Kincaid grade 6)."""
from dataclasses import replace
from pathlib import Path

import pytest

from feedback.instruments import load_catalogue
from feedback.instruments import readability
from feedback.instruments.readability import (
    EXEMPT_ITEMS, STAFF_ITEMS, check_instrument, check_interface, exempt_items, family_passages,
    interface_strings, is_family_facing, problems,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(ROOT / "questionnaires")
SHIPPED = sorted({instrument_id for instrument_id, _version in CATALOGUE.instruments})
FAMILY_FACING = ("exit-interview", "family-functioning", "family-star", "follow-up")
#: Versions made only to reword English for plain words: everything but the English stays.
REWORDED = (("family-star", 2), ("follow-up", 2))


# -- the shipped wording ------------------------------------------------------------------------

@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_every_shipped_instrument_reads_at_a_reading_age_of_eleven_or_is_exempt(instrument_id):
    findings = check_instrument(CATALOGUE.latest(instrument_id))
    assert [str(finding) for finding in findings if not finding.exempt] == []


def test_every_family_facing_page_and_text_message_reads_at_a_reading_age_of_eleven():
    assert [str(finding) for finding in check_interface(ROOT)] == []


def test_the_interface_check_reads_the_survey_pages_errors_and_text_messages():
    files = {name for name, _where, _text in interface_strings(ROOT)}
    assert {"feedback/survey/templates/survey/welcome.html", "feedback/survey/templates/survey/done.html",
            "feedback/survey/forms.py", "feedback/error_pages.py", "feedback/sms/conversation.py",
            "feedback/waves/messages.py"} <= files
    assert not any("interview_" in name or "assessment" in name for name in files)  # staff pages
    texts = {text for _name, _where, text in interface_strings(ROOT)}
    assert "It takes about %(num)s minutes." in texts  # both forms of a plural


def test_instruments_are_family_facing_by_their_respondents():
    assert {i for i in SHIPPED if is_family_facing(CATALOGUE.latest(i))} == set(FAMILY_FACING)
    assert family_passages(CATALOGUE.latest("practitioner-assessment")) == []


def test_the_star_checks_the_parents_reading_and_leaves_out_the_key_workers():
    star = CATALOGUE.latest("family-star")
    checked = {passage.item_id for passage in family_passages(star)}
    assert {"health_parent", "work_parent", "notes"} <= checked
    assert not any(item_id and item_id.endswith("_practitioner") for item_id in checked)
    assert "assessment_point" not in checked


def test_the_staff_and_exempt_lists_name_items_that_exist():
    for lists in (STAFF_ITEMS, {key: exemption.items for key, exemption in EXEMPT_ITEMS.items()}):
        for instrument_id, item_ids in lists.items():
            assert item_ids <= {item.id for item in CATALOGUE.latest(instrument_id).items}, instrument_id


def test_the_family_functioning_statements_are_reported_exempt_not_passed():
    instrument = CATALOGUE.latest("family-functioning")
    assert exempt_items(instrument) == [f"gf{n:02d}" for n in range(1, 13)]
    [finding] = [finding for finding in check_instrument(instrument) if "gf02" in finding.where]
    assert finding.exempt.startswith("scored scale, wording kept across versions")
    assert "exempt: scored scale" in str(finding)


@pytest.mark.parametrize("instrument_id, version", REWORDED)
def test_a_reworded_version_keeps_items_types_codes_scoring_and_welsh(instrument_id, version):
    old, new = CATALOGUE.get(instrument_id, version - 1), CATALOGUE.get(instrument_id, version)
    assert _shape(new) == _shape(old)
    # The Welsh of every question is kept (it follows v1's meaning until reviewed); the welcome
    # text may lose what the welcome page now says itself (the minutes it takes).
    assert _welsh({k: v for k, v in new.raw.items() if k != "description"}) == \
        _welsh({k: v for k, v in old.raw.items() if k != "description"})
    assert _english(new.raw) != _english(old.raw)
    assert [str(finding) for finding in check_instrument(old) if not finding.exempt]  # why it was made


def _shape(instrument):
    items = [(page.id, item.id, item.type, item.required, item.sms, item.minimum, item.maximum,
              [(choice.code, choice.missing) for choice in item.all_choices],
              [(low, high) for low, high, _label in item.anchors], item.conditions)
             for page in instrument.pages for item in page.items]
    scales = [(scale.id, scale.items, scale.method, scale.reverse, scale.min_answered, scale.cutoff and scale.cutoff.value)
              for scale in instrument.scales]
    return items, scales, instrument.respondents, instrument.modes


def _texts(raw, language):
    if isinstance(raw, dict):
        own = [raw[language]] if isinstance(raw.get(language), str) else []
        return own + [text for value in raw.values() for text in _texts(value, language)]
    if isinstance(raw, list):
        return [text for value in raw for text in _texts(value, language)]
    return []


def _welsh(raw):
    return _texts(raw, "cy")


def _english(raw):
    return _texts(raw, "en")


# -- the rule -----------------------------------------------------------------------------------

def test_a_long_hard_text_is_graded_and_named_with_its_grade():
    [problem] = problems("Notwithstanding the aforementioned considerations, respondents should articulate "
                         "their perspectives comprehensively.")
    assert problem.startswith("reads at grade 2") and "above 6" in problem


def test_plain_sentences_pass():
    assert problems("Your support from us is ending. We want to know what you thought of it.") == []


def test_short_choices_are_judged_by_their_words_not_a_grade():
    # Flesch–Kincaid puts "Strongly disagree" at grade 14; nobody needs it reworded.
    assert problems("Strongly disagree") == [] and problems("Very poor") == []
    assert problems("Confidentiality") == ["long word Confidentiality: use a shorter, everyday word"]
    assert problems("Your answers are kept confidential.") == ["long word confidential: use a shorter, everyday word"]


def test_an_allowed_word_may_be_used_in_a_short_text(monkeypatch):
    assert problems("Secondary school") == []
    monkeypatch.setattr(readability, "ALLOWED_WORDS", frozenset({"confidential"}))
    assert problems("Your answers are kept confidential.") == []
    assert problems("Secondary school") == ["long word Secondary: use a shorter, everyday word"]


def test_one_long_sentence_cannot_hide_behind_short_ones():
    long = ("We went to the park and we played on the swings and we ate our lunch and then we all walked "
            "back home with the dog and the cat.")
    text = long + " It was fun. We like it. We will go back. The sun was out. It was hot. We had a nap."
    assert problems(text) == ["a sentence of 29 words (at most 25): split it"]


def test_a_placeholder_counts_as_one_short_word():
    invitation = ("Hello. We would like to hear how things are for you. It takes about %(minutes)s minutes: "
                  "%(link)s Reply STOP to stop these messages.")
    assert problems(invitation) == []
    assert problems(invitation.replace("%(link)s", "https://feedback.example.org/s/abcdefghijklmnopqrstuvwxyz")) != []
    assert problems("%(organisation)s is asking for your views.") == []


# -- flask instruments check ----------------------------------------------------------------------

HARD = """\
id: hard
version: 1
languages: [en]
title: Your views
respondents: [{role: parent_carer}]
modes: [web]
pages:
  - id: p
    items:
      - id: plain
        type: yes_no
        text: Did the help work for you?
      - id: hard
        type: yes_no
        text: Notwithstanding the aforementioned considerations, was the intervention you received satisfactory?
"""


def test_check_lists_family_items_above_the_limit_as_warnings_without_failing(app, tmp_path):
    folder = tmp_path / "q" / "hard"
    folder.mkdir(parents=True)
    (folder / "v1.yaml").write_text(HARD)
    (tmp_path / "q" / "schedules").mkdir()
    app.config["FEEDBACK_SETTINGS"] = replace(app.config["FEEDBACK_SETTINGS"], questionnaires_dir=tmp_path / "q")
    result = app.test_cli_runner().invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "warning: plain words: " in result.output and "item 'hard' text: reads at grade" in result.output
    assert "item 'plain'" not in result.output


def test_check_names_the_exempt_items_of_the_shipped_instruments(runner):
    result = runner.invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "note: plain words: " in result.output and "12 item(s) exempt (gf01" in result.output
    assert "warning: plain words" not in result.output  # the shipped wording, and the test-only household
