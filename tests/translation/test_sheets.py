"""Instrument wording out to a translator's XLSX or PO file and back, all or nothing."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from openpyxl import load_workbook

from feedback.instruments import load_catalogue
from tests.conftest import app_under_test

HOUSEHOLD = Path(__file__).resolve().parents[1] / "fixtures" / "questionnaires" / "household"


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "q"
    shutil.copytree(HOUSEHOLD, folder / "household")
    return folder


@pytest.fixture
def cli(schema, database_url, folder):
    with app_under_test(database_url, folder) as app:
        yield app.test_cli_runner()


def test_an_xlsx_has_a_row_per_text_and_a_column_per_language_and_comes_back_as_a_language_file(cli, folder, tmp_path):
    sheet = tmp_path / "household.xlsx"
    result = cli.invoke(args=["translations", "export", "household", "--language", "pl", "--language", "ro", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    book = load_workbook(sheet)
    rows = list(book["texts"].iter_rows(values_only=True))
    assert rows[0] == ("where", "en", "pl", "ro")
    english = [row[1] for row in rows[1:]]
    assert "Your household" in english and len(english) == len(set(english))  # each text once
    # The translator fills every Polish cell and one Romanian cell.
    for number, row in enumerate(book["texts"].iter_rows(min_row=2), start=2):
        row[2].value = f"PL {row[1].value}"
    book["texts"]["D2"] = "RO first"
    book.save(sheet)

    result = cli.invoke(args=["translations", "import", "household", str(sheet)])
    assert result.exit_code == 0, result.output
    catalogue = load_catalogue(folder)
    household = catalogue.get("household", 1)
    assert "pl" in household.languages and "ro" not in household.languages  # Romanian is incomplete
    assert household.title.get("pl") == "PL Your household"
    assert len(catalogue.language_gaps[("household", 1, "ro")]) == len(english) - 1


def test_an_xlsx_with_a_changed_source_text_or_a_broken_placeholder_changes_nothing_and_names_each_row(cli, folder, tmp_path):
    sheet = tmp_path / "household.xlsx"
    cli.invoke(args=["translations", "export", "household", "--language", "pl", "-o", str(sheet)])
    book = load_workbook(sheet)
    texts = book["texts"]
    for row in texts.iter_rows(min_row=2):
        row[2].value = f"PL {row[1].value}"
    texts["B3"] = "A text nobody wrote"
    texts["C4"] = "%(link)s"
    book.save(sheet)
    result = cli.invoke(args=["translations", "import", "household", str(sheet)])
    assert result.exit_code != 0
    assert "row 3: source text 'A text nobody wrote' is not in any version of household" in result.output
    assert "row 4 column 3 (pl): placeholders differ" in result.output
    assert "no language file was changed" in result.output
    assert not (folder / "household" / "languages").exists()


def test_a_po_file_round_trips_one_language(cli, folder, tmp_path):
    po = tmp_path / "household.pl.po"
    assert cli.invoke(args=["translations", "export", "household", "--language", "pl", "--format", "po",
                            "-o", str(po)]).exit_code == 0
    catalogue = read_po(io.BytesIO(po.read_bytes()))
    assert str(catalogue.locale) == "pl"
    for message in catalogue:
        if message.id:
            message.string = f"PL {message.id}"
            assert message.auto_comments  # where the text is used
    buffer = io.BytesIO()
    write_po(buffer, catalogue)
    po.write_bytes(buffer.getvalue())
    result = cli.invoke(args=["translations", "import", "household", str(po)])
    assert result.exit_code == 0, result.output
    household = load_catalogue(folder).get("household", 1)
    assert household.item("adults").text.get("pl") == "PL How many adults live with you?"
    # Exported again, the translations come back filled in.
    cli.invoke(args=["translations", "export", "household", "--language", "pl", "--format", "po", "-o", str(po)])
    assert all(message.string for message in read_po(io.BytesIO(po.read_bytes())) if message.id)


def test_import_check_writes_nothing(cli, folder, tmp_path):
    sheet = tmp_path / "household.xlsx"
    cli.invoke(args=["translations", "export", "household", "--language", "pl", "-o", str(sheet)])
    result = cli.invoke(args=["translations", "import", "household", str(sheet), "--check"])
    assert result.exit_code == 0 and "nothing written" in result.output
    assert not (folder / "household" / "languages").exists()


def test_an_unknown_instrument_is_named(cli, tmp_path):
    result = cli.invoke(args=["translations", "export", "nope", "--language", "pl", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "no instrument 'nope'; the instruments are household" in result.output


def test_instruments_check_says_what_a_language_lacks_per_version(cli, folder):
    path = folder / "household" / "languages" / "pl.yaml"
    path.parent.mkdir()
    path.write_text('language: pl\ntexts:\n  - en: "Your household"\n    pl: "Twoje gospodarstwo domowe"\n',
                    encoding="utf-8")
    result = cli.invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output  # a language not yet complete is not an error
    assert "warning: household v1: polski (pl) lacks" in result.output
    assert "so this version does not offer it" in result.output
    assert "'Your household'" not in result.output  # translated, so not listed as missing
    strict = cli.invoke(args=["translations", "check"])
    assert strict.exit_code == 1 and "household v1: polski (pl) lacks" in strict.output
