"""A refused file's problems as people read them: the summary by column first, then the rows, capped."""
from __future__ import annotations

from tests.imports.files import csv_bytes
from tests.imports.test_cli import MOTHER, invoke
from tests.imports.test_views import upload
from tests.staff.scene import client_as

#: 250 new mothers of one family whose required f2 is blank, and one row with a date that is not one.
BLANK_F2 = [MOTHER[:2] + [f"M{n}"] + MOTHER[3:10] + [""] + MOTHER[11:] for n in range(250)]
BAD_DATE = MOTHER[:2] + ["M999", "01/06/2025"] + MOTHER[4:]


def test_the_command_prints_the_summary_then_the_first_200_problems(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_bytes(csv_bytes(BLANK_F2 + [BAD_DATE]))
    result = invoke(app, path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:4] == ["Nothing was imported: 251 problem(s) in 251 row(s). Correct the file and import it again.",
                         "Problems by column:",
                         "  f2: 250 rows blank — rows 2–251",
                         "  completed_on: 1 row not a date written as year-month-day — row 252"]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 200 and errors[0].startswith("error: Row 2, f2: This question must be answered")
    assert lines[-1] == "… and 51 more problem(s): run again with --all-problems to list them all."


def test_all_problems_lists_every_one(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_bytes(csv_bytes(BLANK_F2 + [BAD_DATE]))
    result = invoke(app, path, "--instrument", "household", "--version", "1", "--wave", "exit", "--all-problems")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 251 and errors[-1].startswith("error: Row 252, completed_on: ‘01/06/2025’ is not a date")
    assert "more problem(s)" not in result.output


def test_the_page_shows_the_summary_first_and_the_rows_folded_away_and_capped(app, world):
    client = client_as(app, "researcher_north")
    response = upload(client, csv_bytes(BLANK_F2 + [BAD_DATE]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page.index("f2: 250 rows blank — rows 2–251")
    assert page.index("completed_on: 1 row not a date written as year-month-day — row 252") > summary
    details = page.index("<details>")
    assert summary < details < page.index("This question must be answered")
    assert page.count("This question must be answered") == 200
    assert "… and 51 more problem(s), not listed here" in page
