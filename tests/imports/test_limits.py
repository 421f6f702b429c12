"""Files too large to import are refused as soon as that is known, saying what to do, in bounded memory.

A worker once read a 1 MB workbook that unpacked to 16 million rows to the end before counting
them: 1.3 GB, then gunicorn's timeout. Files here are built to be far past a limit yet cheap to
build; the memory of reading them is measured with tracemalloc.
"""
from __future__ import annotations

import io
import os
import tracemalloc

import openpyxl
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from feedback.imports.reading import MAX_ROWS, FileProblem, read_table
from feedback.imports.workbook import MAX_PART_BYTES, MAX_UNPACKED_BYTES
from feedback.survey.models import Response
from tests.conftest import csrf_token, table_count
from tests.imports.files import MAIN, crafted_workbook, csv_bytes, numbered_rows, sheet_xml
from tests.imports.test_cli import ARGS, MOTHER, invoke
from tests.imports.test_views import upload
from tests.staff.scene import client_as

#: Far more than any import needs, far less than reading a file of 500,000 rows to the end takes.
MEMORY_BOUND = 100 * 2**20
HEADING = b'<row r="1"><c r="A1" t="inlineStr"><is><t>site</t></is></c></row>'
SPLIT = f"Split it into files of at most {MAX_ROWS:,} rows of answers"


def peak_memory_of(read, data: bytes) -> tuple[FileProblem, int]:
    """The refusal ``read(data)`` raises and the peak memory allocated while reading."""
    tracemalloc.start()
    try:
        with pytest.raises(FileProblem) as refused:
            read(data)
        return refused.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_workbook_of_half_a_million_rows_is_refused_at_the_limit_without_reading_the_rest():
    data = crafted_workbook(sheet_xml([HEADING, *numbered_rows(2, 500_000)], dimension="A1:A500000"))
    refusal, peak = peak_memory_of(read_table, data)
    assert f"more than {MAX_ROWS:,} rows of answers (reading stopped at row {MAX_ROWS + 2:,})" in str(refusal)
    assert SPLIT in str(refusal)
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"


def test_a_csv_of_half_a_million_rows_is_refused_at_the_limit_without_reading_the_rest():
    data = b"site,case_ref\n" + b"north,N-1\n" * 500_000
    refusal, peak = peak_memory_of(read_table, data)
    assert f"more than {MAX_ROWS:,} rows of answers (reading stopped at row {MAX_ROWS + 2:,})" in str(refusal)
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"


def test_a_sheet_claiming_more_rows_than_a_spreadsheet_has_is_refused_before_its_rows_are_read():
    data = crafted_workbook(sheet_xml([HEADING, *numbered_rows(2, 3)], dimension="A1:P16000000"))
    with pytest.raises(FileProblem, match="claims 16,000,000 rows and 16 columns; a spreadsheet has at most "
                                          "1,048,576 rows"):
        read_table(data)


def test_rows_past_a_sheets_claimed_last_row_are_read_not_dropped():
    # Read-only openpyxl believes the claim and stops there: two of the three forms would vanish.
    data = crafted_workbook(sheet_xml([HEADING, *numbered_rows(2, 4)], dimension="A1:A2"))
    assert list(read_table(data).index) == [2, 3, 4]


def test_a_sheet_whose_rows_go_past_the_last_row_a_spreadsheet_has_is_refused_there():
    far = b'<row r="5000000"><c r="A5000000"><v>1</v></c></row>'
    with pytest.raises(FileProblem, match="goes on past row 1,048,576, the last row a spreadsheet has"):
        read_table(crafted_workbook(sheet_xml([HEADING, *numbered_rows(2, 3), far])))


@pytest.fixture
def never_opened(monkeypatch):
    """Fails the test if openpyxl is asked to open the workbook."""
    def load_workbook(*args, **kwargs):
        raise AssertionError("openpyxl opened the workbook")
    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)


def zip_bomb() -> bytes:
    """A sheet of 4 million identical rows: about 100 MB of XML in a zip of about 100 kB."""
    rows = (b"<row><c><v>1</v></c></row>" * 10_000 for _ in range(400))
    return crafted_workbook(sheet_xml([HEADING, *rows]))


def shared_strings(size: int):
    """A shared-strings part of about ``size`` bytes of one-letter strings (openpyxl reads it whole)."""
    yield f'<sst xmlns="{MAIN}"><si><t>site</t></si>'.encode()
    yield b"<si><t>a</t></si>" * (size // 17)
    yield b"</sst>"


@pytest.mark.parametrize("build, says", [
    (zip_bomb, f"The workbook unpacks to 99 MB; at most {MAX_UNPACKED_BYTES // 2**20} MB are read"),
    (lambda: crafted_workbook(sheet_xml([HEADING]), shared_strings(MAX_PART_BYTES + 1000)),
     "The workbook's part xl/sharedStrings.xml unpacks to 4.0 MB; parts other than sheets"),
    # Where a part lives does not make it a sheet: openpyxl finds shared strings by their content type.
    (lambda: crafted_workbook(sheet_xml([HEADING]), shared_strings(MAX_PART_BYTES + 1000),
                              shared_strings_part="xl/worksheets/sheet2.xml"),
     "The workbook's part xl/worksheets/sheet2.xml unpacks to 4.0 MB"),
], ids=["sheet", "shared-strings", "shared-strings-named-as-a-sheet"])
def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_opened(never_opened, build, says):
    data = build()
    assert len(data) < 2**20  # small enough for the import page
    with pytest.raises(FileProblem) as refused:
        read_table(data)
    assert says in str(refused.value) and "“CSV UTF-8”" in str(refused.value)


def test_a_workbook_of_exactly_the_row_limit_is_read():
    data = crafted_workbook(sheet_xml([HEADING, *numbered_rows(2, MAX_ROWS + 1)], dimension=f"A1:A{MAX_ROWS + 1}"))
    assert len(read_table(data)) == MAX_ROWS


def test_the_command_refuses_a_file_past_the_row_limit_saying_to_split_it(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_bytes(csv_bytes([MOTHER] * (MAX_ROWS + 1)))
    result = invoke(app, path)
    assert result.exit_code == 1
    assert f"error: The file has more than {MAX_ROWS:,} rows of answers (reading stopped at row {MAX_ROWS + 2:,})" \
           in result.output and SPLIT in result.output
    with app.app_context():
        assert table_count(Response) == 0


def test_the_command_refuses_a_file_over_the_size_limit_without_reading_it(app, world, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_bytes(b"site\n")
    os.truncate(path, 33 * 2**20)  # sparse: nothing is written
    result = invoke(app, path, *ARGS)
    assert result.exit_code == 1
    assert "The file is 33.0 MB; files of at most 32 MB are imported. " + SPLIT in result.output


def test_the_page_refuses_a_file_past_the_row_limit_saying_to_split_it(app, world):
    data = b"site,case_ref\n" + b"north,N-1\n" * (MAX_ROWS + 1)
    response = upload(client_as(app, "researcher_north"), data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"more than {MAX_ROWS:,} rows of answers" in page and SPLIT in page


def post_large(client, data: bytes, token: bool = True):
    """Posts the import form with a file; the body is built in memory (the test client would
    spool a large one to a temporary file it never closes)."""
    form = {"file": FileStorage(io.BytesIO(data), "forms.csv"), "instrument": "household:1", "wave": "exit"}
    if token:
        form["csrf_token"] = csrf_token(client.get("/staff/imports").get_data(as_text=True))
    boundary, body = encode_multipart(form)
    return client.post("/staff/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_the_page_refuses_an_upload_over_its_size_limit_saying_what_to_do(app, world):
    client = client_as(app, "researcher_north")
    response = post_large(client, b"site,case_ref\n" + b"north,N-1\n" * 120_000)  # 1.2 MB
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is larger than 1 MB, the most this page takes." in page
    assert "flask import-responses" in page and 'name="file"' in page  # the form, to choose another file
    with app.app_context():
        assert table_count(Response) == 0


def test_the_size_refusal_shows_the_import_page_only_to_those_who_may_import(app, world):
    response = post_large(client_as(app, "practitioner_north"), b"x" * 1_200_000, token=False)
    assert response.status_code == 413 and "Recent imports" not in response.get_data(as_text=True)
