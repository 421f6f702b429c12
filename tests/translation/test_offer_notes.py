"""`flask instruments check` says which of the app's languages a family-facing instrument does not
offer because it has no language file for them at all, and once that staff-answered instruments
are in English and Welsh only. Notes, not problems: neither check fails for them."""
from __future__ import annotations

import shutil

from feedback.instruments import load_catalogue
from feedback.translation.cli import language_gap_lines
from tests.conftest import ROOT, app_under_test
from tests.translation.test_sheets import HOUSEHOLD

APP_LANGUAGES = ("en", "cy", "ar", "bn", "pl", "ro", "so", "ur")


def notes(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("note: ") and "plain words" not in line]


def test_an_instrument_with_no_language_file_is_noted_with_the_languages_it_lacks(runner):
    result = runner.invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output
    household = [line for line in notes(result.output) if line.startswith("note: household v1")]
    assert household == ["note: household v1 is not offered in العربية (ar), বাংলা (bn), polski (pl), română (ro), "
                         "Soomaali (so), اردو (ur): it has no language file for them "
                         "(`flask translations export household --language ar` starts one)"]
    # The shipped family instruments have a file for every language: nothing to say about them.
    assert not [line for line in notes(result.output)
                if line.startswith(("note: exit-interview", "note: family-", "note: follow-up"))]
    staff = [line for line in notes(result.output) if "answered by staff" in line]
    assert staff == ["note: member-assessment, partner-survey, practitioner-assessment: "
                     "answered by staff: English and Welsh only"]
    assert "warning: note:" not in result.output


def test_a_started_language_file_is_reported_as_lacking_texts_not_as_absent(tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(HOUSEHOLD, folder / "household")
    (folder / "household" / "languages").mkdir()
    (folder / "household" / "languages" / "pl.yaml").write_text(
        'language: pl\ntexts:\n  - en: "Your household"\n    pl: "Twoje gospodarstwo domowe"\n', encoding="utf-8")
    lines = language_gap_lines(load_catalogue(folder), languages=APP_LANGUAGES)
    assert lines[0].startswith("household v1: polski (pl) lacks")
    note = [line for line in lines if line.startswith("note: ")]
    assert len(note) == 1 and "(pl)" not in note[0] and "(ro)" in note[0]


def test_an_app_speaking_only_english_and_welsh_has_nothing_to_note():
    catalogue = load_catalogue(ROOT / "questionnaires")
    assert [line for line in language_gap_lines(catalogue, languages=("en", "cy")) if line.startswith("note: ")] == []


def test_notes_do_not_fail_the_strict_translations_check(schema, database_url, tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(HOUSEHOLD, folder / "household")
    with app_under_test(database_url, folder) as app:
        result = app.test_cli_runner().invoke(args=["translations", "check"])
    assert "note:" not in result.output and "household v1" not in result.output
