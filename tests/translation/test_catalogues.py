"""The interface catalogues CI holds every shipped language to, and a broken one it refuses."""
from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from feedback.translation.catalogues import catalogue_problems, languages

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("ar", "bn", "cy", "pl", "ro", "so", "ur")


def test_every_shipped_catalogue_is_complete_compiled_and_consistent():
    assert languages(ROOT / "translations") == sorted(SHIPPED)
    assert [str(problem) for problem in catalogue_problems(ROOT / "translations")] == []


def copy_of(tmp_path: Path, language: str) -> Path:
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations" / language, folder / language)
    shutil.copy(ROOT / "translations" / "messages.pot", folder / "messages.pot")
    return folder


def rewrite(folder: Path, language: str, change) -> None:
    po = folder / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    change(catalogue)
    with po.open("wb") as handle:
        write_po(handle, catalogue)
    with po.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalogue)


def first(catalogue, test):
    return next(message for message in catalogue if message.id and test(message))


def test_a_dropped_placeholder_is_refused(tmp_path):
    folder = copy_of(tmp_path, "pl")

    def drop(catalogue):
        message = first(catalogue, lambda m: isinstance(m.id, str) and "%(link)s" in m.id)
        message.string = message.string.replace("%(link)s", "")

    rewrite(folder, "pl", drop)
    assert any("placeholders differ" in str(problem) or "placeholder" in str(problem)
               for problem in catalogue_problems(folder))


def test_a_plural_with_too_few_forms_is_refused(tmp_path):
    folder = copy_of(tmp_path, "pl")

    def two_forms(catalogue):
        message = first(catalogue, lambda m: isinstance(m.id, tuple))
        message.string = tuple(message.string[:2])

    rewrite(folder, "pl", two_forms)
    assert any("plural" in str(problem).lower() or "not translated" in str(problem)
               for problem in catalogue_problems(folder))


def test_a_wrong_plural_rule_in_the_header_is_refused(tmp_path):
    folder = copy_of(tmp_path, "ar")
    po = folder / "ar" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    start = text.index("Plural-Forms:")
    end = text.index("\\n", start)
    po.write_text(text[:start] + "Plural-Forms: nplurals=2; plural=(n != 1);" + text[end:], encoding="utf-8")
    assert any("Plural-Forms is 'nplurals=2" in str(problem) for problem in catalogue_problems(folder))


def test_an_untranslated_or_fuzzy_string_and_a_stale_mo_are_refused(tmp_path):
    folder = copy_of(tmp_path, "ro")

    def blank(catalogue):
        first(catalogue, lambda m: isinstance(m.id, str)).string = ""
        second = [m for m in catalogue if m.id and isinstance(m.id, str)][1]
        second.flags.add("fuzzy")

    rewrite(folder, "ro", blank)
    found = [str(problem) for problem in catalogue_problems(folder)]
    assert any("is not translated" in problem for problem in found)
    assert any("fuzzy" in problem for problem in found)
    # The .po changed after compiling: the app would still read the old words.
    po = folder / "ro" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale="ro")
    message = first(catalogue, lambda m: isinstance(m.id, str) and m.string)
    message.string += " (changed)"
    with po.open("wb") as handle:
        write_po(handle, catalogue)
    assert any("run pybabel compile" in str(problem) for problem in catalogue_problems(folder))


def test_a_string_missing_from_a_catalogue_is_refused(tmp_path):
    folder = copy_of(tmp_path, "so")

    def remove(catalogue):
        message = first(catalogue, lambda m: isinstance(m.id, str))
        del catalogue[message.id]

    rewrite(folder, "so", remove)
    assert any("is in messages.pot but not in this catalogue" in str(problem) for problem in catalogue_problems(folder))


def test_the_check_command_fails_on_a_broken_catalogue(tmp_path, database_url, questionnaires_dir, schema):
    from tests.conftest import app_under_test

    folder = copy_of(tmp_path, "pl")
    rewrite(folder, "pl", lambda catalogue: setattr(first(catalogue, lambda m: isinstance(m.id, str)), "string", ""))
    with app_under_test(database_url, questionnaires_dir, FEEDBACK_TRANSLATIONS=str(folder)) as app:
        result = app.test_cli_runner().invoke(args=["translations", "check"])
    assert result.exit_code == 1 and "pl: " in result.output and "is not translated" in result.output
