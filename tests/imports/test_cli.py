"""``flask import-responses``: the summary on success; every problem and a non-zero exit on failure."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports.models import ImportBatch
from feedback.survey.models import Response
from tests.conftest import table_count
from tests.imports.files import csv_bytes, xlsx_bytes
from tests.imports.test_import import FILLED, ROWS

ARGS = ["--instrument", "household", "--version", "1", "--wave", "exit"]
#: FILLED's M1 is new here, so the file gives her role.
MOTHER = FILLED[:4] + ["mother"] + FILLED[5:]


def invoke(app, path, *args):
    return app.test_cli_runner().invoke(args=["import-responses", str(path), *(args or ARGS)])


def test_the_command_imports_a_workbook_once(app, world, tmp_path):
    path = tmp_path / "forms.xlsx"
    path.write_bytes(xlsx_bytes([MOTHER, *ROWS[1:]]))
    result = invoke(app, path, *ARGS, "--by", "researcher_north@example.org")
    assert result.exit_code == 0, result.output
    assert "Imported 3 household v1 response(s) for wave exit; 2 new family(ies), 3 new member(s)." in result.output
    again = invoke(app, path)
    assert again.exit_code == 0 and "already imported" in again.output and "by Researcher North" in again.output
    with app.app_context():
        assert table_count(Response, mode="import") == 3
        assert db.session.scalar(sa.select(ImportBatch.imported_by_id)) == world["researcher_north"]


def test_the_command_lists_every_problem_and_exits_non_zero(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    bad = [MOTHER[:5] + ["7"] + MOTHER[6:], ROWS[1], ["north", "N-1", "M9", "yesterday"] + MOTHER[4:]]
    path.write_bytes(csv_bytes(bad))
    result = invoke(app, path)
    assert result.exit_code == 1
    assert "error: Row 2, has_children: ‘7’ is not one of this question's codes (1, 0)" in result.output
    assert "error: Row 4, completed_on: ‘yesterday’ is not a date" in result.output
    assert "Nothing was imported: 2 problem(s) in 2 row(s)." in result.output
    with app.app_context():
        assert table_count(Response) == 0 and table_count(ImportBatch) == 0


def test_an_unknown_instrument_version_or_wave_is_refused(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_bytes(csv_bytes([MOTHER, *ROWS[1:]]))
    version = invoke(app, path, "--instrument", "household", "--version", "7", "--wave", "exit")
    assert version.exit_code == 1 and "household has no version 7; its versions are 1." in version.output
    wave = invoke(app, path, "--instrument", "household", "--version", "1", "--wave", "exit-4m")
    assert wave.exit_code == 1 and "There is no wave 'exit-4m' in the schedules." in wave.output
    partner = invoke(app, path, "--instrument", "partner-survey", "--version", "1", "--wave", "exit")
    assert partner.exit_code == 1 and "wave 'exit' asks others. Choose one of: annual." in partner.output
    family = invoke(app, path, "--instrument", "household", "--version", "1", "--wave", "annual")
    assert family.exit_code == 1 and "Choose one of: entry, exit, exit-12m, exit-3m, exit-6m." in family.output


def test_an_unclosed_quote_is_reported_at_its_row_and_column(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_bytes(b"site,case_ref,member_ref,completed_on\nnorth,\"N-1,M1,2025-06-01\nnorth,N-2,M1,2025-06-01\n")
    result = invoke(app, path)
    assert result.exit_code == 1
    assert ("error: Row 2, case_ref: A double quote (\") opens this cell and is never closed, so everything after "
            "it to the end of the file was read as this one cell.") in result.output
    assert "Nothing was imported: 1 problem(s) in 1 row(s)." in result.output
