"""Export profiles: the shipped ones load, and every mistake is named by file, key and problem."""
import re
import textwrap
from pathlib import Path

import pytest

from feedback.exports.profile import (
    ALL, DEFAULT_AGE_BANDS, FORMATS, ChangePair, InstrumentChoice, ProfileError, default_change_pairs,
    instrument_items, load_profile, load_profiles, profile_hash, wave_names,
)
from feedback.instruments import load_catalogue
from feedback.waves.schedule_loader import load_schedules

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(ROOT / "questionnaires")
SCHEDULES, _ = load_schedules(ROOT / "questionnaires", CATALOGUE)
ITEMS = instrument_items(CATALOGUE)
WAVES = wave_names(SCHEDULES)
SCHEDULE_WAVES = [wave for schedule in SCHEDULES.values() for wave in schedule.waves]

VALID = """
id: demo
title: Demo export
instruments: [family-functioning, {id: follow-up, items: [outcome_behaviour]}]
waves: [entry, exit, exit-3m]
shape: long
"""


def write(folder: Path, text: str, name: str = "demo.yaml") -> Path:
    path = folder / "exports" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path, text, **known):
    known = known or {"known_instruments": ITEMS, "known_waves": WAVES}
    return load_profile(write(tmp_path, text), **known)


def problems_for(tmp_path, text, **known) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load(tmp_path, text, **known)
    problems = [str(problem) for problem in caught.value.problems]
    assert str(caught.value) == "\n".join(problems)
    return problems


def with_lines(*lines: str) -> str:
    return VALID + "\n".join(lines) + "\n"


# -- what loads -----------------------------------------------------------------------------
def test_the_shipped_profiles_load_against_the_real_catalogue_and_schedules():
    assert CATALOGUE.problems == []
    profiles, problems = load_profiles(ROOT / "exports", ITEMS, WAVES)
    assert problems == []
    assert set(profiles) == {"evaluation", "follow-up-summary"}


def test_the_evaluation_profile_is_everything_wide_per_member_fully_deidentified_in_every_format():
    profile = load_profile(ROOT / "exports" / "evaluation.yaml", ITEMS, WAVES)
    assert (profile.instruments, profile.waves, profile.sites) == (ALL, ALL, ALL)
    assert all(profile.includes_instrument(instrument) for instrument in ITEMS)
    assert profile.shape == "wide_member"
    assert profile.deidentification.level == "deidentified" and not profile.deidentification.identifiable
    assert profile.deidentification.free_text == "drop"
    assert profile.formats == FORMATS
    assert profile.path == "exports/evaluation.yaml"
    assert profile.change_pairs(SCHEDULE_WAVES) == (
        ChangePair("entry", "exit"), ChangePair("exit", "exit-3m"), ChangePair("exit", "exit-6m"),
        ChangePair("exit", "exit-12m"))


def test_the_follow_up_summary_is_the_follow_up_after_exit_long_in_csv_and_xlsx():
    profile = load_profile(ROOT / "exports" / "follow-up-summary.yaml", ITEMS, WAVES)
    assert profile.instruments == (InstrumentChoice("follow-up"),)
    assert profile.waves == ("exit-3m", "exit-6m", "exit-12m")
    assert not profile.includes_wave("entry") and not profile.includes_instrument("family-star")
    assert profile.shape == "long"
    assert profile.deidentification.level == "deidentified"
    assert profile.formats == ("csv", "xlsx")


def test_the_readme_example_is_a_valid_profile(tmp_path):
    readme = (ROOT / "exports" / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## An example\n\n```yaml\n(.*?)```", readme, re.S).group(1)
    profile = load_profile(write(tmp_path, example, "family-functioning-change.yaml"), ITEMS, WAVES)
    assert profile.instruments[1] == InstrumentChoice("practitioner-assessment", ("level_of_need",))
    assert profile.deidentification.pseudonym.recipient == "university-evaluation-2025"
    assert profile.sites == ("north", "south")


def test_a_minimal_profile_gets_the_documented_defaults(tmp_path):
    profile = load(tmp_path, VALID)
    assert profile.sites == ALL and profile.formats == FORMATS
    assert profile.description == ""
    assert (profile.scores.scales, profile.scores.change, profile.scores.family_aggregates) == (True, "default", True)
    d = profile.deidentification
    assert (d.level, d.dates, d.ages, d.free_text, d.timestamps) == (
        "deidentified", "days_since_entry", "years", "drop", "week")
    assert d.pseudonym.key_setting == "FEEDBACK_PSEUDONYM_KEY" and d.pseudonym.recipient is None
    assert d.age_bands == DEFAULT_AGE_BANDS
    assert profile.disclosure.quasi_identifiers == ("site", "role", "age", "language")
    assert (profile.disclosure.k, profile.disclosure.on_small_groups) == (5, "refuse")
    assert profile.disclosure.max_suppressed_share == 0.05
    assert profile.on_version_mismatch == "refuse"
    # Default change pairs are limited to the waves the profile selects.
    assert profile.change_pairs(SCHEDULE_WAVES) == (ChangePair("entry", "exit"), ChangePair("exit", "exit-3m"))


def test_age_bands_change_the_default_quasi_identifier_to_the_band(tmp_path):
    profile = load(tmp_path, with_lines("deidentification: {ages: bands, age_bands: [0, 8, 18]}"))
    assert profile.deidentification.age_bands == (0, 8, 18)
    assert profile.disclosure.quasi_identifiers == ("site", "role", "age_band", "language")


def test_a_full_export_hides_nothing_and_has_no_disclosure_check(tmp_path):
    profile = load(tmp_path, with_lines("deidentification: {level: full}"))
    assert profile.deidentification.identifiable
    assert profile.deidentification.free_text is None and profile.deidentification.pseudonym is None
    assert profile.disclosure is None


def test_without_a_catalogue_names_are_checked_only_for_form(tmp_path):
    profile = load(tmp_path, VALID.replace("family-functioning", "a-service-instrument"),
                   known_instruments=None, known_waves=None)
    assert profile.includes_instrument("a-service-instrument")


def test_default_change_pairs_follow_the_wave_anchors():
    assert default_change_pairs(SCHEDULES["partner-survey"].waves) == ()
    family = SCHEDULES["family-support"].waves
    assert default_change_pairs(family)[0] == ChangePair("entry", "exit")


def test_scales_off_means_no_change_scores_or_aggregates_by_default(tmp_path):
    profile = load(tmp_path, with_lines("scores: {scales: false}"))
    assert profile.scores.change == () and not profile.scores.family_aggregates
    assert profile.change_pairs(SCHEDULE_WAVES) == ()


# -- the hash ---------------------------------------------------------------------------------
def test_the_hash_is_the_sha256_of_the_bytes_stable_and_changed_by_any_edit(tmp_path):
    path = write(tmp_path, VALID)
    first = profile_hash(path)
    assert first == profile_hash(path) == load_profile(path, ITEMS, WAVES).content_hash
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    path.write_text(path.read_text() + "# a comment\n")
    assert profile_hash(path) != first


def test_the_shipped_profile_hashes_are_stable_across_loads():
    path = ROOT / "exports" / "evaluation.yaml"
    assert load_profile(path).content_hash == load_profile(path, ITEMS, WAVES).content_hash == profile_hash(path)


# -- bad input: each case names file, key and problem ------------------------------------------
F = "exports/demo.yaml"
BAD = {
    "unknown top-level key": (
        with_lines("colour: blue"), f"{F}: unknown key 'colour'"),
    "unknown nested key": (
        with_lines("deidentification: {free_txt: scrub}"), f"{F}: key 'deidentification': unknown key 'free_txt'"),
    "unknown pseudonym key": (
        with_lines("deidentification: {pseudonym: {key: abc}}"),
        f"{F}: key 'deidentification.pseudonym': unknown key 'key'"),
    "missing required key": (
        VALID.replace("shape: long\n", ""), f"{F}: missing required key 'shape'"),
    "shape not allowed": (
        VALID.replace("shape: long", "shape: tall"),
        f"{F}: key 'shape': 'tall' is not one of long, wide_member, wide_family"),
    "id not the file name": (
        VALID.replace("id: demo", "id: other"), f"{F}: key 'id': is 'other' but the file is {F}"),
    "id of wrong form": (
        VALID.replace("id: demo", "id: Demo Export"), f"{F}: key 'id': 'Demo Export' must be lower-case"),
    "title missing text": (
        VALID.replace("title: Demo export", "title: ''"), f"{F}: key 'title': must be non-empty text"),
    "instruments of wrong type": (
        VALID.replace("instruments: [family-functioning, {id: follow-up, items: [outcome_behaviour]}]",
                      "instruments: family-functioning"),
        f"{F}: key 'instruments': must be \"all\" or a list of instrument ids"),
    "empty instruments": (
        VALID.replace("instruments: [family-functioning, {id: follow-up, items: [outcome_behaviour]}]",
                      "instruments: []"),
        f"{F}: key 'instruments': lists no instruments"),
    "unknown instrument": (
        VALID.replace("family-functioning", "family-fun"),
        f"{F}: key 'instruments[0]': 'family-fun' is not an instrument in the catalogue"),
    "instrument twice": (
        VALID.replace("{id: follow-up, items: [outcome_behaviour]}", "family-functioning"),
        f"{F}: key 'instruments[1]': 'family-functioning' is listed twice"),
    "unknown item": (
        VALID.replace("outcome_behaviour", "outcome_mood"),
        f"{F}: key 'instruments[1].items': 'outcome_mood' is not an item of 'follow-up'"),
    "empty item list": (
        VALID.replace("items: [outcome_behaviour]", "items: []"),
        f"{F}: key 'instruments[1].items': lists no item ids"),
    "unknown wave": (
        VALID.replace("exit-3m]", "exit-4m]"), f"{F}: key 'waves': 'exit-4m' is not a wave in any schedule"),
    "empty waves": (
        VALID.replace("waves: [entry, exit, exit-3m]", "waves: []"), f"{F}: key 'waves': lists no wave names"),
    "wave twice": (
        VALID.replace("exit-3m]", "exit]"), f"{F}: key 'waves': lists exit more than once"),
    "sites of wrong type": (
        with_lines("sites: 7"), f"{F}: key 'sites': must be a list of site codes"),
    "scales not a boolean": (
        with_lines("scores: {scales: sometimes}"), f"{F}: key 'scores.scales': scales must be true or false"),
    "scores not a mapping": (
        with_lines("scores: [scales]"), f"{F}: key 'scores': must be a mapping of keys, not a list"),
    "change of wrong type": (
        with_lines("scores: {change: exit}"), f"{F}: key 'scores.change': must be \"default\", [] for none"),
    "change pair missing to": (
        with_lines("scores: {change: [{from: entry}]}"), f"{F}: key 'scores.change[0]': missing required key 'to'"),
    "duplicate change pair": (
        with_lines("scores: {change: [{from: entry, to: exit}, {from: entry, to: exit}]}"),
        f"{F}: key 'scores.change[1]': the change from 'entry' to 'exit' is listed twice"),
    "change within one wave": (
        with_lines("scores: {change: [{from: exit, to: exit}]}"),
        f"{F}: key 'scores.change[0]': from and to are both 'exit'"),
    "change with an unselected wave": (
        with_lines("scores: {change: [{from: exit, to: exit-12m}]}"),
        f"{F}: key 'scores.change[0]': needs wave 'exit-12m', which waves leaves out"),
    "change with an unknown wave": (
        with_lines("scores: {change: [{from: exit, to: later}]}"),
        f"{F}: key 'scores.change[0]': 'later' is not a wave in any schedule"),
    "change without scales": (
        with_lines("scores: {scales: false, change: [{from: entry, to: exit}]}"),
        f"{F}: key 'scores.change': change scores are differences of scale scores"),
    "aggregates without scales": (
        with_lines("scores: {scales: false, family_aggregates: true}"),
        f"{F}: key 'scores.family_aggregates': family aggregates summarise scale scores"),
    "level not allowed": (
        with_lines("deidentification: {level: anonymous}"),
        f"{F}: key 'deidentification.level': 'anonymous' is not one of deidentified, full"),
    "full with scrubbed free text": (
        with_lines("deidentification: {level: full, free_text: scrub}"),
        f"{F}: key 'deidentification.free_text': free_text only applies to a de-identified export, "
        "but level: full exports free text as recorded"),
    "full with a disclosure check": (
        with_lines("deidentification: {level: full}", "disclosure: {k: 5}"),
        f"{F}: key 'disclosure': a disclosure check is for de-identified exports"),
    "key setting that is a key": (
        with_lines("deidentification: {pseudonym: {key_setting: s3cr3t-value}}"),
        f"{F}: key 'deidentification.pseudonym.key_setting': 's3cr3t-value' must be the name of a configuration"),
    "recipient of wrong form": (
        with_lines("deidentification: {pseudonym: {recipient: Dr Smith}}"),
        f"{F}: key 'deidentification.pseudonym.recipient': 'Dr Smith' must be a label"),
    "dates not allowed": (
        with_lines("deidentification: {dates: real}"),
        f"{F}: key 'deidentification.dates': 'real' is not one of days_since_entry, days_since_exit, shifted"),
    "free text read as a boolean": (
        with_lines("deidentification: {free_text: no}"),
        f"{F}: key 'deidentification.free_text': False is not one of drop, scrub"),
    "timestamps not allowed": (
        with_lines("deidentification: {timestamps: hour}"),
        f"{F}: key 'deidentification.timestamps': 'hour' is not one of day, week, month"),
    "bands not increasing": (
        with_lines("deidentification: {ages: bands, age_bands: [0, 18, 16]}"),
        f"{F}: key 'deidentification.age_bands': [0, 18, 16] must increase"),
    "bands not from zero": (
        with_lines("deidentification: {ages: bands, age_bands: [5, 18]}"),
        f"{F}: key 'deidentification.age_bands': must start at 0"),
    "bands of wrong type": (
        with_lines("deidentification: {ages: bands, age_bands: [0, teen]}"),
        f"{F}: key 'deidentification.age_bands': must be a list of at least two ages"),
    "bands with whole years": (
        with_lines("deidentification: {age_bands: [0, 18]}"),
        f"{F}: key 'deidentification.age_bands': age_bands are only used with ages: bands"),
    "k too small": (
        with_lines("disclosure: {k: 1}"), f"{F}: key 'disclosure.k': is 1; it must be at least 2"),
    "k not a number": (
        with_lines("disclosure: {k: five}"), f"{F}: key 'disclosure.k': must be a whole number of at least 2"),
    "unknown quasi-identifier": (
        with_lines("disclosure: {quasi_identifiers: [site, postcode]}"),
        f"{F}: key 'disclosure.quasi_identifiers': 'postcode' is not one of site, role, age, age_band, language"),
    "age band checked while years are released": (
        with_lines("disclosure: {quasi_identifiers: [site, age_band]}"),
        f"{F}: key 'disclosure.quasi_identifiers': age_band needs ages: bands"),
    "on_small_groups not allowed": (
        with_lines("disclosure: {on_small_groups: ignore}"),
        f"{F}: key 'disclosure.on_small_groups': 'ignore' is not one of suppress, generalise, refuse"),
    "on_fail, its older name, checked the same": (
        with_lines("disclosure: {on_fail: ignore}"),
        f"{F}: key 'disclosure.on_fail': 'ignore' is not one of suppress, generalise, refuse"),
    "both names at once": (
        with_lines("disclosure: {on_fail: refuse, on_small_groups: suppress}"),
        f"{F}: key 'disclosure.on_fail': is the older name of on_small_groups; keep only on_small_groups"),
    "a share of blanks without local suppression": (
        with_lines("disclosure: {on_small_groups: refuse, max_suppressed_share: 0.1}"),
        f"{F}: key 'disclosure.max_suppressed_share': only applies with on_small_groups: suppress"),
    "a share that is no share": (
        with_lines("disclosure: {on_small_groups: suppress, max_suppressed_share: 5}"),
        f"{F}: key 'disclosure.max_suppressed_share': must be a share above 0 and at most 1 (0.05 is 5%), not 5"),
    "on_mismatch not allowed": (
        with_lines("versions: {on_mismatch: merge}"),
        f"{F}: key 'versions.on_mismatch': 'merge' is not one of refuse, keep_apart"),
    "empty formats": (
        with_lines("formats: []"), f"{F}: key 'formats': lists no formats"),
    "unknown format": (
        with_lines("formats: [csv, json]"), f"{F}: key 'formats': 'json' is not one of csv, xlsx, sav, dta, parquet"),
    "format twice": (
        with_lines("formats: [csv, csv]"), f"{F}: key 'formats': lists csv more than once"),
    "not a mapping": (
        "- id: demo\n", f"{F}: must be a mapping of keys, not a list"),
    "empty file": (
        "", f"{F}: is empty"),
    "not YAML": (
        VALID + "shape: [long\n", f"{F}: line "),
}


@pytest.mark.parametrize("text, expected", BAD.values(), ids=BAD.keys())
def test_each_mistake_is_named_by_file_key_and_problem(tmp_path, text, expected):
    problems = problems_for(tmp_path, text)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_is_reported_together(tmp_path):
    text = """
    id: demo
    title: Demo export
    instruments: [family-fun]
    waves: [entry, exit-4m]
    shape: tall
    colour: blue
    scores: {change: [{from: entry, to: exit}, {from: entry, to: exit}]}
    deidentification: {ages: bands, age_bands: [0, 18, 16]}
    disclosure: {k: 1}
    formats: []
    """
    problems = problems_for(tmp_path, text)
    keys = ["unknown key 'colour'", "key 'instruments[0]'", "key 'waves'", "key 'shape'", "key 'scores.change[1]'",
            "key 'deidentification.age_bands'", "key 'disclosure.k'", "key 'formats'"]
    for key in keys:
        assert any(key in problem for problem in problems), (key, problems)
    assert all(problem.startswith(F + ": ") for problem in problems)


def test_the_error_is_a_value_error_listing_every_problem_one_per_line(tmp_path):
    with pytest.raises(ValueError) as caught:
        load(tmp_path, with_lines("formats: []", "disclosure: {k: 0}"))
    assert str(caught.value).splitlines() == [str(problem) for problem in caught.value.problems]
    assert len(caught.value.problems) == 2


def test_a_bad_profile_in_the_folder_does_not_hide_the_good_ones(tmp_path):
    write(tmp_path, VALID)
    write(tmp_path, VALID.replace("id: demo", "id: broken").replace("shape: long", "shape: tall"), "broken.yaml")
    profiles, problems = load_profiles(tmp_path / "exports", ITEMS, WAVES)
    assert set(profiles) == {"demo"}
    assert [str(problem) for problem in problems] == [
        "exports/broken.yaml: key 'shape': 'tall' is not one of long, wide_member, wide_family"]
