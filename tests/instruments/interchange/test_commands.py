"""``flask instruments export-xlsform / import-xlsform / export-redcap / import-redcap``."""
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from .test_hand_made import ROWS, UNSUPPORTED, make_workbook

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(app, tmp_path):
    """A CLI runner whose questionnaires folder holds only exit-interview, in a temporary place."""
    folder = tmp_path / "q"
    folder.mkdir()
    shutil.copytree(ROOT / "questionnaires" / "exit-interview", folder / "exit-interview")
    app.config["FEEDBACK_SETTINGS"] = replace(app.config["FEEDBACK_SETTINGS"], questionnaires_dir=folder)
    return app.test_cli_runner()


@pytest.mark.parametrize("fmt, suffix", [("xlsform", "xlsx"), ("redcap", "csv")])
def test_export_then_import_writes_a_version_that_passes_the_check(cli, tmp_path, fmt, suffix):
    out = tmp_path / f"exit.{suffix}"
    exported = cli.invoke(args=["instruments", f"export-{fmt}", "exit-interview", "--version", "1", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "anchors" in exported.output  # what the format cannot hold is said
    imported = cli.invoke(args=["instruments", f"import-{fmt}", str(out), "--id", "exit-copy"])
    assert imported.exit_code == 0, imported.output
    assert (tmp_path / "q" / "exit-copy" / "v1.yaml").exists()
    checked = cli.invoke(args=["instruments", "check"])
    assert "exit-copy" not in "".join(line for line in checked.output.splitlines() if line.startswith("error"))
    assert "2 instrument version(s) OK" in checked.output


def test_redcap_export_and_import_in_another_language(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exported = cli.invoke(args=["instruments", "export-redcap", "exit-interview", "--version", "1", "--language", "cy"],
                          catch_exceptions=False)
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / "exit-interview-v1-cy.csv").read_text(encoding="utf-8")
    assert "translations (en, " in exported.output and "here 'cy'" in exported.output
    imported = cli.invoke(args=["instruments", "import-redcap", "exit-interview-v1-cy.csv", "--id", "exit-cy",
                                "--language", "cy"])
    assert imported.exit_code == 0, imported.output
    from feedback.instruments import load_instrument
    welsh = load_instrument(tmp_path / "q" / "exit-cy" / "v1.yaml")
    assert welsh.languages == ("cy",) and welsh.items[0].text.get("cy") in text
    refused = cli.invoke(args=["instruments", "export-redcap", "exit-interview", "--language", "fr"])
    assert refused.exit_code == 1 and "no 'fr' texts" in refused.output


def test_an_existing_instrument_needs_a_new_version_number(cli, tmp_path):
    out = tmp_path / "exit.xlsx"
    cli.invoke(args=["instruments", "export-xlsform", "exit-interview", "-o", str(out)])
    refused = cli.invoke(args=["instruments", "import-xlsform", str(out), "--id", "exit-interview"])
    assert refused.exit_code == 1 and "give --version N" in refused.output
    added = cli.invoke(args=["instruments", "import-xlsform", str(out), "--id", "exit-interview", "--version", "2"])
    assert added.exit_code == 0, added.output
    assert (tmp_path / "q" / "exit-interview" / "v2.yaml").exists()


def test_import_refuses_unsupported_constructs_until_told_to_skip(cli, tmp_path):
    form = make_workbook(tmp_path / "mixed.xlsx", ROWS + UNSUPPORTED)
    refused = cli.invoke(args=["instruments", "import-xlsform", str(form), "--id", "family-form"])
    assert refused.exit_code == 1
    assert "survey sheet, row 20, column calculation" in refused.output
    assert not (tmp_path / "q" / "family-form").exists()
    skipped = cli.invoke(args=["instruments", "import-xlsform", str(form), "--id", "family-form", "--skip-unsupported"])
    assert skipped.exit_code == 0, skipped.output
    assert "left out: survey sheet, row 17" in skipped.output
    assert (tmp_path / "q" / "family-form" / "v1.yaml").exists()
