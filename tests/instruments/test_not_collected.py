""""Not collected": a code no instrument may declare, never scored; and items an import may derive."""
from pathlib import Path

import pytest
import yaml

from feedback.instruments import Scale, Text, load_catalogue, load_instrument, score_scale
from feedback.instruments.definition import NOT_COLLECTED
from feedback.instruments.derivation import derived_value, higher_than_entry, point_of_wave
from tests.instruments.test_loader import VALID, problems_for, write

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(ROOT / "questionnaires")


def test_no_shipped_instrument_uses_the_not_collected_code(catalogue):
    for path in sorted((ROOT / "questionnaires").glob("*/v*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert NOT_COLLECTED not in [code["code"] for code in raw.get("missing_codes") or []], path
    codes = {choice.code for instrument in catalogue for item in instrument.items for choice in item.all_choices}
    assert NOT_COLLECTED not in codes


@pytest.mark.parametrize("change, expected", [
    (("{code: -9, label: {en: Prefer not to say", "{code: -6, label: {en: Prefer not to say"),
     "missing_codes choice 1: code -6 is reserved for \"not collected\""),
    (("missing: [-9]", "missing: [-6]"), "item 'q1': missing code -6 is reserved for \"not collected\""),
    (("{code: 2, label: {en: Disagree", "{code: -6, label: {en: Disagree"),
     "choice set 'agree' choice 2: code -6 is reserved"),
    (("{id: q2, type: yes_no, text: {en: Two, cy: Dau}}",
      "{id: q2, type: number, min: -10, max: 10, text: {en: Two, cy: Dau}}"),
     "item 'q2': min -10 and max 10 take in -6"),
])
def test_an_instrument_declaring_the_not_collected_code_is_refused_naming_file_and_item(tmp_path, change, expected):
    old, new = change
    assert old in VALID
    problems = problems_for(tmp_path, VALID.replace(old, new))
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith(str(tmp_path / "demo" / "v1.yaml")) for problem in problems)


def test_the_same_code_declared_and_used_by_an_item_names_the_item(tmp_path):
    text = VALID.replace("{code: -9, label: {en: Prefer not to say", "{code: -6, label: {en: Prefer not to say")
    problems = problems_for(tmp_path, text.replace("missing: [-9]", "missing: [-6]"))
    assert any("item 'q1': missing code -6 is reserved" in problem for problem in problems), problems


def test_not_collected_items_are_left_out_of_a_score_and_of_its_answered_count(catalogue):
    [scale] = catalogue.latest("practitioner-assessment").scales
    answers = {item: 1 for item in scale.items[:9]} | {item: NOT_COLLECTED for item in scale.items[9:]}
    score = score_scale(scale, answers)
    assert (score.answered, score.items) == (9, 12)
    assert score.value == 12.0  # nine yeses of nine collected, prorated: -6 is never added in
    nothing = score_scale(scale, {item: NOT_COLLECTED for item in scale.items})
    assert (nothing.value, nothing.answered) == (None, 0)


def test_need_escalated_is_yes_only_when_need_went_up_and_not_collected_when_entry_is_unknown():
    assert [higher_than_entry(now, entry) for now, entry in ((3, 2), (2, 2), (1, 3))] == [1, 0, 0]
    assert higher_than_entry(3, None) == NOT_COLLECTED
    assert higher_than_entry(3, NOT_COLLECTED) == NOT_COLLECTED
    assert higher_than_entry(3, -8) == NOT_COLLECTED  # "not known" at entry: still unknown
    assert (point_of_wave("entry"), point_of_wave("exit"), point_of_wave(None)) == (1, 2, NOT_COLLECTED)


def test_version_2_of_the_key_workers_assessment_says_which_items_an_import_may_derive(catalogue):
    assert catalogue.problems == []
    first, second = catalogue.get("practitioner-assessment", 1), catalogue.latest("practitioner-assessment")
    assert second.version == 2 and all(item.derive is None for item in first.items)
    assert [item.id for item in first.items] == [item.id for item in second.items]
    escalated = second.item("need_escalated")
    assert (escalated.derive.rule, escalated.derive.source) == ("higher_than_entry", "level_of_need")
    assert derived_value(escalated, {"level_of_need": 4}, "exit", {"level_of_need": 2}) == 1
    assert derived_value(second.item("assessment_point"), {}, "exit") == 2


@pytest.mark.parametrize("derive, expected", [
    ("{rule: guess}", "item 'q2': derive rule 'guess' is not one of higher_than_entry, point_of_wave"),
    ("{rule: higher_than_entry}", "item 'q2': derive rule higher_than_entry needs 'from'"),
    ("{rule: higher_than_entry, from: q9}",
     "needs 'from': an item on an earlier page or earlier on this page, not 'q9'"),
    ("{rule: point_of_wave}", "item 'q2': derive rule point_of_wave needs a single_choice item"),
    ("{rule: higher_than_entry, from: q1, when: exit}", "item 'q2' derive: unknown field 'when'"),
])
def test_a_derive_declaration_is_checked_with_a_clear_message(tmp_path, derive, expected):
    old = "{id: q2, type: yes_no, text: {en: Two, cy: Dau}}"
    text = VALID.replace(old, "{id: q2, type: yes_no, text: {en: Two, cy: Dau}, derive: " + derive + "}")
    problems = problems_for(tmp_path, text)
    assert any(expected in problem for problem in problems), problems


def test_a_valid_derive_declaration_loads(tmp_path):
    old = "{id: q2, type: yes_no, text: {en: Two, cy: Dau}}"
    text = VALID.replace(old, "{id: q2, type: yes_no, text: {en: Two, cy: Dau}, "
                              "derive: {rule: higher_than_entry, from: q1}}")
    item = load_instrument(write(tmp_path, text)).item("q2")
    assert (item.derive.rule, item.derive.source) == ("higher_than_entry", "q1")


def test_not_collected_is_no_answer_even_on_a_scale_whose_answers_run_below_it():
    scale = Scale("balance", Text({"en": "Balance"}), ("a", "b", "c"), "mean", min_answered=0.6, low=-10, high=10)
    score = score_scale(scale, {"a": 4, "b": NOT_COLLECTED, "c": -2})
    assert (score.value, score.answered) == (1.0, 2)
