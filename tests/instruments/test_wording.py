"""The wording a respondent read, per language, and how far each translation has been checked."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from feedback.instruments import load_catalogue, load_instrument
from feedback.instruments.wording import wording_hash

HOUSEHOLD = Path(__file__).resolve().parents[1] / "fixtures" / "questionnaires" / "household"


def household_copy(tmp_path: Path, change=None) -> Path:
    """The test instrument in a questionnaires folder of its own, its parsed YAML changed by ``change``."""
    folder = tmp_path / "q" / "household"
    shutil.copytree(HOUSEHOLD, folder)
    if change is not None:
        path = folder / "v1.yaml"
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(raw)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


def every_text(node):
    """Each language → text mapping in the parsed file."""
    if isinstance(node, dict):
        if "en" in node and all(isinstance(value, str) for value in node.values()):
            yield node
        else:
            for value in node.values():
                yield from every_text(value)
    elif isinstance(node, list):
        for value in node:
            yield from every_text(value)


def add_polish(raw):
    raw["languages"].append("pl")
    # Built-in yes/no labels are English and Welsh only: written out, with the same words.
    raw["choice_sets"]["yes_no"] = [{"code": 1, "label": {"en": "Yes", "cy": "Ie"}},
                                    {"code": 0, "label": {"en": "No", "cy": "Na"}}]
    for text in every_text(raw):
        text["pl"] = "po polsku: " + text["en"]


def test_adding_a_language_leaves_the_others_wording_hashes_but_changes_the_content_hash(tmp_path):
    before = load_instrument(HOUSEHOLD / "v1.yaml")
    after = load_instrument(household_copy(tmp_path, add_polish) / "v1.yaml")
    assert after.content_hash != before.content_hash
    assert wording_hash(after, "en") == wording_hash(before, "en")
    assert wording_hash(after, "cy") == wording_hash(before, "cy")
    assert wording_hash(after, "pl") not in (wording_hash(after, "en"), wording_hash(after, "cy"))


def test_one_welsh_word_changes_only_the_welsh_hash(tmp_path):
    def reword(raw):
        raw["pages"][0]["items"][0]["text"]["cy"] = "Oes plant yn byw efo chi?"

    before = load_instrument(HOUSEHOLD / "v1.yaml")
    after = load_instrument(household_copy(tmp_path, reword) / "v1.yaml")
    assert wording_hash(after, "cy") != wording_hash(before, "cy")
    assert wording_hash(after, "en") == wording_hash(before, "en")


def test_a_changed_code_changes_every_languages_hash(tmp_path):
    def recode(raw):
        raw["missing_codes"][0]["code"] = -8
        for page in raw["pages"]:
            for item in page["items"]:
                if item.get("missing") == [-9]:
                    item["missing"] = [-8]

    before = load_instrument(HOUSEHOLD / "v1.yaml")
    after = load_instrument(household_copy(tmp_path, recode) / "v1.yaml")
    assert all(wording_hash(after, language) != wording_hash(before, language) for language in ("en", "cy"))


def test_a_language_the_instrument_lacks_has_no_hash():
    with pytest.raises(ValueError, match="no language 'pl'"):
        wording_hash(load_instrument(HOUSEHOLD / "v1.yaml"), "pl")


def test_translation_status_defaults_to_source_and_draft(tmp_path):
    household_copy(tmp_path)
    catalogue = load_catalogue(tmp_path / "q")
    instrument = catalogue.get("household", 1)
    assert not catalogue.problems
    assert catalogue.translation_status(instrument, "en").status == "source"
    assert catalogue.translation_status(instrument, "cy").status == "draft"


def test_a_reviewed_translation_says_who_and_when(tmp_path):
    folder = household_copy(tmp_path)
    (folder / "translations.yaml").write_text(
        "1:\n  cy: {status: reviewed, reviewed_by: A. Jones, reviewed_on: 2026-11-30, note: checked in full}\n")
    catalogue = load_catalogue(tmp_path / "q")
    status = catalogue.translation_status(catalogue.get("household", 1), "cy")
    assert not catalogue.problems
    assert (status.status, status.reviewed_by, str(status.reviewed_on)) == ("reviewed", "A. Jones", "2026-11-30")


@pytest.mark.parametrize("sidecar, where, says", [
    ("1:\n  pl: {status: draft}\n", "version 1 language 'pl'", "is not a language of household v1"),
    ("2:\n  cy: {status: draft}\n", "version 2", "is not a valid version"),
    ("1:\n  cy: {status: checked}\n", "version 1 language 'cy'", "status 'checked' must be one of"),
    ("1:\n  cy: {status: reviewed}\n", "version 1 language 'cy'", "needs reviewed_by"),
    ("1:\n  cy: {status: reviewed, reviewed_by: A. Jones}\n", "version 1 language 'cy'", "needs reviewed_on"),
    ("1:\n  cy: {status: draft, reviewed_by: A. Jones}\n", "version 1 language 'cy'", "has not been reviewed"),
    ("1:\n  cy: {status: source}\n", "version 1 language 'cy'", "only the first language (en) is the source"),
    ("1:\n  cy: {status: draft, by: me}\n", "version 1 language 'cy'", "unknown key(s) by"),
    ("- 1\n", "", "must map each version number"),
    ("1: [\n", "line", "not valid YAML"),
])
def test_a_bad_translations_file_is_refused_naming_file_and_key(tmp_path, sidecar, where, says):
    folder = household_copy(tmp_path)
    (folder / "translations.yaml").write_text(sidecar)
    catalogue = load_catalogue(tmp_path / "q")
    [problem] = catalogue.problems
    assert problem.file == "q/household/translations.yaml"
    assert problem.where.startswith(where)
    assert says in problem.message
    assert ("household", 1) in catalogue.instruments  # the sidecar is not read as a version


def test_the_shipped_welsh_is_never_claimed_as_reviewed():
    catalogue = load_catalogue(Path(__file__).resolve().parents[2] / "questionnaires")
    assert not catalogue.problems
    for instrument in catalogue:
        assert catalogue.translation_status(instrument, "en").status == "source"
        assert catalogue.translation_status(instrument, "cy").status == "draft"
