"""The instrument validator names the file, the item and the problem, and misses nothing."""
import textwrap

import pytest

from feedback.instruments import InstrumentError, load_catalogue, load_instrument

VALID = """
id: demo
version: 1
languages: [en, cy]
title: {en: Demo, cy: Demo}
respondents: [{role: parent_carer}]
modes: [web]
missing_codes:
  - {code: -9, label: {en: Prefer not to say, cy: Gwell peidio}}
choice_sets:
  agree:
    - {code: 1, label: {en: Agree, cy: Cytuno}}
    - {code: 2, label: {en: Disagree, cy: Anghytuno}}
pages:
  - id: one
    items:
      - {id: q1, type: agreement, choices: agree, missing: [-9], text: {en: One, cy: Un}}
      - {id: q2, type: yes_no, text: {en: Two, cy: Dau}}
  - id: two
    items:
      - {id: q3, type: agreement, choices: agree, text: {en: Three, cy: Tri}, show_if: {item: q2, equals: 1}}
scales:
  - {id: total, label: {en: Total, cy: Cyfanswm}, items: [q1, q3], reverse: [q3], method: mean}
"""


def write(tmp_path, text, folder="demo", name="v1.yaml"):
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def problems_for(tmp_path, text, **kwargs):
    path = write(tmp_path, text, **kwargs)
    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_file_loads_with_its_pages_items_and_scale(tmp_path):
    instrument = load_instrument(write(tmp_path, VALID))
    assert instrument.key == ("demo", 1)
    assert [item.id for item in instrument.items] == ["q1", "q2", "q3"]
    assert instrument.item("q2").choices[0].label.get("cy") == "Ie"
    assert instrument.scales[0].low == 1 and instrument.scales[0].high == 2
    assert len(instrument.content_hash) == 64


def test_comments_and_layout_do_not_change_the_hash_but_meaning_does(tmp_path):
    first = load_instrument(write(tmp_path, VALID))
    relaid = load_instrument(write(tmp_path, "# a comment\n" + VALID.replace("[en, cy]", "\n  - en\n  - cy"), folder="x/demo"))
    changed = load_instrument(write(tmp_path, VALID.replace("{en: One,", "{en: One!,"), folder="y/demo"))
    assert relaid.content_hash == first.content_hash
    assert changed.content_hash != first.content_hash


@pytest.mark.parametrize("change, expected", [
    (("{id: q2, type: yes_no,", "{id: q1, type: yes_no,"), "item 'q1': duplicate item id"),
    (("show_if: {item: q2,", "show_if: {item: q9,"), "item 'q3': show_if refers to unknown item 'q9'"),
    (("{en: Three, cy: Tri}", "{en: Three}"), "item 'q3': text has no 'cy' text"),
    (("reverse: [q3]", "reverse: [q2]"), "scale 'total': reverse item 'q2' is not in the scale's items"),
    (("type: yes_no", "type: yes_or_no"), "item 'q2': type 'yes_or_no' is not one of"),
    (("missing: [-9]", "missing: [-7]"), "item 'q1': missing code -7 is not defined in missing_codes"),
    (("choices: agree, text: {en: Three", "choices: agreed, text: {en: Three"), "item 'q3': choices 'agreed' is not a choice set"),
    (("equals: 1}", "equals: 5}"), "item 'q3': show_if tests code(s) [5] that item 'q2' does not offer"),
    (("method: mean", "method: median"), "scale 'total': method 'median' must be mean or sum"),
    (("modes: [web]", "modes: [web, fax]"), "modes: must be a list drawn from web, sms, interview"),
    (("{role: parent_carer}", "{role: uncle}"), "respondents[1]: role 'uncle' is not one of"),
])
def test_each_mistake_is_reported_with_file_item_and_problem(tmp_path, change, expected):
    old, new = change
    assert old in VALID
    problems = problems_for(tmp_path, VALID.replace(old, new))
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith(str(tmp_path / "demo" / "v1.yaml")) for problem in problems)


def test_unknown_fields_are_errors_not_ignored(tmp_path):
    problems = problems_for(tmp_path, VALID.replace("{id: q2, type: yes_no,", "{id: q2, type: yes_no, requird: false,"))
    assert any("page 'one' item 2: unknown field 'requird'" in problem for problem in problems)


def test_a_condition_on_the_same_page_is_refused_because_pages_work_without_javascript(tmp_path):
    text = VALID.replace("      - {id: q2, type: yes_no, text: {en: Two, cy: Dau}}",
                         "      - {id: q2, type: yes_no, text: {en: Two, cy: Dau}, show_if: {item: q1, equals: 1}}")
    assert any("on the same page" in problem for problem in problems_for(tmp_path, text))


def test_malformed_yaml_names_the_file_and_line(tmp_path):
    problems = problems_for(tmp_path, "id: demo\npages: [unclosed\n")
    assert len(problems) == 1 and "line" in problems[0] and "not valid YAML" in problems[0]


def test_file_name_and_folder_must_match_version_and_id(tmp_path):
    assert any("named v2.yaml" in p for p in problems_for(tmp_path, VALID, name="v2.yaml"))
    assert any("in folder 'other'" in p for p in problems_for(tmp_path, VALID, folder="other"))


def test_scale_items_must_share_one_range(tmp_path):
    text = VALID.replace("items: [q1, q3]", "items: [q1, q2]").replace("reverse: [q3]", "reverse: []")
    assert any("different answer ranges" in p for p in problems_for(tmp_path, text))


def test_sms_instruments_refuse_items_that_cannot_be_texted(tmp_path):
    text = VALID.replace("modes: [web]", "modes: [web, sms]").replace(
        "type: agreement, choices: agree, text: {en: Three", "type: long_text, text: {en: Three").replace(
        "items: [q1, q3], reverse: [q3]", "items: [q1]")
    assert any("cannot be asked by SMS" in p for p in problems_for(tmp_path, text))


def test_the_catalogue_collects_problems_from_every_file_and_keeps_the_good_ones(tmp_path):
    write(tmp_path, VALID)
    write(tmp_path, VALID.replace("id: demo", "id: broken").replace("type: yes_no", "type: nope"), folder="broken")
    catalogue = load_catalogue(tmp_path)
    assert list(catalogue.instruments) == [("demo", 1)]
    assert catalogue.problems and all("broken/v1.yaml" in str(problem) for problem in catalogue.problems)


def test_pages_keep_their_ids_and_are_not_together_unless_the_file_says_so(tmp_path):
    instrument = load_instrument(write(tmp_path, VALID.replace("  - id: one\n", "  - id: one\n    together: true\n")))
    assert [(page.id, page.together) for page in instrument.pages] == [("one", True), ("two", False)]


def test_together_must_be_true_or_false(tmp_path):
    text = VALID.replace("  - id: one\n", "  - id: one\n    together: yes please\n")
    assert any("page 'one': together must be true or false" in p for p in problems_for(tmp_path, text))


def test_one_question_per_page_is_still_read_so_files_published_with_it_load(tmp_path):
    instrument = load_instrument(write(tmp_path, VALID.replace("modes: [web]", "modes: [web]\none_question_per_page: true")))
    assert [page.id for page in instrument.pages] == ["one", "two"]  # the page ids stay stable


def test_an_item_may_give_its_own_error_wording_in_every_language(tmp_path):
    worded = VALID.replace("{id: q2, type: yes_no, text: {en: Two, cy: Dau}}",
                           "{id: q2, type: yes_no, text: {en: Two, cy: Dau}, error: {en: Say if two, cy: Dywedwch a yw'n ddau}}")
    item = load_instrument(write(tmp_path, worded)).item("q2")
    assert (item.error.get("en"), item.error.get("cy")) == ("Say if two", "Dywedwch a yw'n ddau")
    assert load_instrument(write(tmp_path, VALID, folder="x/demo")).item("q2").error is None
    english_only = worded.replace(", cy: Dywedwch a yw'n ddau}", "}")
    assert any("item 'q2': error has no 'cy' text" in p for p in problems_for(tmp_path, english_only, folder="y/demo"))


def test_a_number_item_must_state_its_range_so_impossible_answers_are_refused(tmp_path):
    text = VALID.replace("{id: q2, type: yes_no, text: {en: Two, cy: Dau}}", "{id: q2, type: number, text: {en: Two, cy: Dau}}")
    assert any("item 'q2': a number item needs min and max" in p for p in problems_for(tmp_path, text))


def test_a_missing_code_that_is_also_an_answer_is_refused(tmp_path):
    text = VALID.replace("{id: q2, type: yes_no, text: {en: Two, cy: Dau}}",
                         "{id: q2, type: scale, min: -10, max: 10, missing: [-9], text: {en: Two, cy: Dau}}")
    text = text.replace("show_if: {item: q2, equals: 1}", "show_if: {item: q1, equals: 1}")
    assert any("item 'q2': missing code -9 is also a possible answer" in p for p in problems_for(tmp_path, text))


def test_estimated_minutes_must_be_positive(tmp_path):
    text = VALID.replace("modes: [web]", "modes: [web]\nestimated_minutes: 0")
    assert any("estimated_minutes: must be at least 1" in p for p in problems_for(tmp_path, text))


def test_overlapping_bands_are_refused(tmp_path):
    text = VALID.replace("method: mean}", "method: mean, bands: [{id: low, min: 1, max: 1.6, label: {en: L, cy: I}}, "
                                           "{id: high, min: 1.5, max: 2, label: {en: H, cy: U}}]}")
    assert any("bands 'low' and 'high' overlap" in p for p in problems_for(tmp_path, text))
