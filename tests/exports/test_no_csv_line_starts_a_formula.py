"""No line of a CSV the app writes starts a formula: a line break typed into an answer (CR, LF or
CR LF) stays inside its quoted cell, and every line inside a cell is defused, not only the first.

Read back twice: with Python's csv module, as a spreadsheet would read the rows, and by splitting
the file into lines, as a naive reader (or one that mistakes a break inside a cell for a new row)
does. XLSX keeps every cell a string.
"""
from __future__ import annotations

import csv
import io
import random
import re
from datetime import timedelta

import pandas as pd
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import csrf_token
from feedback.demo import random_answers
from feedback.extensions import db
from feedback.exports.codebook import Codebook, Variable
from feedback.exports.profile import load_profile
from feedback.exports.runner import run_export
from feedback.exports.writers import write_bundle_files
from feedback.families.service import update_family
from feedback.reports.downloads import as_csv
from feedback.reports.model import Column
from feedback.reports.protect import ShownCell, ShownReport, ShownTable
from feedback.survey.service import complete, instrument_for, save_answers
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import dispatch_once
from feedback.waves.models import Invitation, OutboxMessage
from tests.exports.test_dataset import TODAY, answered_family
from tests.exports.test_runner import KEY, PROFILE
from tests.families.helpers import family_with_members
from tests.waves.seeding import sending_moment

#: The exploit from issue 15: a bare CR, then a formula (DDE) that a spreadsheet would run.
INJECTION = "More visits\r@SUM(1+1)*cmd|' /C calc'!A0"
FORMULA_STARTS = ("=", "+", "-", "@")


def rows_and_lines(raw: bytes) -> tuple[list[list[str]], list[str]]:
    """The file as the csv module reads it, and as the lines a naive reader splits it into."""
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""))), text.splitlines()


def assert_no_line_starts_a_formula(raw: bytes) -> list[list[str]]:
    rows, lines = rows_and_lines(raw)
    assert b"\r" not in raw, "a CR left in the file splits the row for spreadsheets and most readers"
    assert not [row for row in rows if row and row[0].startswith(FORMULA_STARTS)]
    assert not [line for line in lines if line.startswith(FORMULA_STARTS)]
    return rows


# -- a respondent's answer, through the web survey, into an evaluator export -----------------------

def exited_family_answering_on_the_web(world, case) -> str:
    """A family that left support today; every text of its exit wave is answered except the
    mother's exit interview, whose last page (the free text) is left to the web survey.
    Returns that interview's link token."""
    family, (mother, _father) = family_with_members(
        world["north"], world["kw_north"], case_ref=case, entry=TODAY - timedelta(days=120),
        members=(("mother", 1988, 3), ("father", 1985, 7)))
    update_family(family, family.version, exit_date=TODAY)
    db.session.commit()
    dispatch_once(OutboxBackend(), now=sending_moment(TODAY))
    token = None
    for invitation in db.session.scalars(sa.select(Invitation).filter_by(family_id=family.id, state="sent")):
        response = invitation.response
        instrument = instrument_for(response)
        answers = random_answers(instrument, random.Random(case))
        if response.instrument_id == "exit-interview" and invitation.member_id == mother.id:
            answers = {key: value for key, value in answers.items()
                       if key not in ("what_made_difference", "what_could_be_better")}
            save_answers(response, answers, mode="web")
            body = db.session.scalar(sa.select(OutboxMessage.body).filter_by(invitation_id=invitation.id))
            token = re.search(r"/s/([A-Za-z0-9_-]+)", body).group(1)
        else:
            save_answers(response, answers, mode="web")
            complete(response, instrument)
    assert token
    return token


def test_a_typed_carriage_return_cannot_start_a_row_in_the_export(app, world, tmp_path):
    # Data made in an app context of its own: requests made inside one would share its ``g``.
    with app.app_context():
        answered_family(world, "CASE-1")
        answered_family(world, "CASE-2")
        token = exited_family_answering_on_the_web(world, "CASE-3")
    client = app.test_client()
    for item_id, typed in (("what_made_difference", INJECTION), ("what_could_be_better", "Nothing\r\n=cmd|' /C notepad'!A0")):
        url = f"/s/{token}/q/{item_id}"
        html = client.get(url).get_data(as_text=True)
        assert client.post(url, data={"csrf_token": csrf_token(html), item_id: typed}).status_code == 302
    sent = client.post(f"/s/{token}/check", data={"csrf_token": csrf_token(html)})  # "Send my answers"
    assert sent.status_code == 302 and sent.location.endswith(f"/s/{token}/done")

    profile_path = tmp_path / "scrubbed.yaml"
    profile_path.write_text(PROFILE.format(id="scrubbed", shape="long", free_text="scrub", extra="")
                            .replace("formats: [csv]", "formats: [csv, xlsx]"))
    with app.app_context():
        bundle = run_export(load_profile(profile_path), tmp_path / "out", key=KEY)
    raw = (bundle.directory / "exit-interview.csv").read_bytes()
    rows = assert_no_line_starts_a_formula(raw)
    header, data = rows[0], rows[1:]
    assert len(data) == 6 and {len(row) for row in data} == {len(header)}  # six parents: no row split
    said = [row[header.index("what_made_difference")] for row in data]
    assert "More visits\n'@SUM(1+1)*cmd|' /C calc'!A0" in said
    better = [row[header.index("what_could_be_better")] for row in data]
    assert "Nothing\n'=cmd|' /C notepad'!A0" in better

    sheet = load_workbook(bundle.directory / "exit-interview.xlsx")["data"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "More visits\n'@SUM(1+1)*cmd|' /C calc'!A0" in [cell.value for cell in cells]


# -- every CSV writer, whatever text reaches it ------------------------------------------------------

CELLS = ["ok\n=HYPERLINK(\"http://x\",\"click\")", INJECTION, "a\r\n-2+3", "\r=1", "two\n\n@x", "\t=1",
         "fine\n- and more", "=1+2"]
EXPECTED = ["ok\n'=HYPERLINK(\"http://x\",\"click\")", "More visits\n'@SUM(1+1)*cmd|' /C calc'!A0", "a\n'-2+3",
            "\n'=1", "two\n\n'@x", "'\t=1", "fine\n'- and more", "'=1+2"]
XLSX_EXPECTED = ["ok\n'=HYPERLINK(\"http://x\",\"click\")", "More visits\r'@SUM(1+1)*cmd|' /C calc'!A0",
                 "a\r\n'-2+3", "'\r'=1", "two\n\n'@x", "'\t=1", "fine\n'- and more", "'=1+2"]


def test_the_data_csv_quotes_line_breaks_and_defuses_every_line(tmp_path):
    codebook = Codebook((Variable("comment", "Free text", "string"), Variable("score", "Score", "numeric")))
    frame = pd.DataFrame({"comment": CELLS, "score": [-1.5] * len(CELLS)})
    paths = write_bundle_files(frame, codebook, tmp_path, "t", ["csv", "xlsx"])
    rows = assert_no_line_starts_a_formula(paths["csv"].read_bytes())
    assert rows == [["comment", "score"]] + [[text, "-1.5"] for text in EXPECTED]
    # XLSX keeps text as typed (a CR stays a CR), defused on every line the same way; no cell is a formula.
    sheet = load_workbook(paths["xlsx"])["data"]
    assert [cell.value for cell in sheet["A"]][1:] == XLSX_EXPECTED
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_the_codebook_csv_quotes_line_breaks_and_defuses_every_line(tmp_path):
    Codebook(tuple(Variable(f"v{n}", text) for n, text in enumerate(CELLS))).write_codebook_csv(tmp_path / "c.csv")
    rows = assert_no_line_starts_a_formula((tmp_path / "c.csv").read_bytes())
    labels = [row[rows[0].index("label")] for row in rows[1:]]
    assert labels == EXPECTED


def test_a_report_download_quotes_line_breaks_and_defuses_every_line():
    shown = ShownReport(
        name="r", title="Report\r=title", filters_text="Sites: north\r\n+south", method="Counts below 10 …",
        tables=[ShownTable(title="Table\n@one", columns=[Column("label", "Label\r-x"), Column("n", "Families")],
                           rows=[[ShownCell(text, text), ShownCell(12, "12")] for text in CELLS], note="Note\r=n")])
    rows = assert_no_line_starts_a_formula(as_csv(shown))
    assert rows[0] == ["Report\n'=title"] and rows[1] == ["Sites: north\n'+south"]
    assert ["Label\n'-x", "Families"] in rows
    assert [row[0] for row in rows if len(row) == 2 and row[1] == "12"] == EXPECTED
    assert ["Note\n'=n"] in rows
