"""The problems and summaries the imports produce, in Welsh (issue 20 item 6): every string the import
checks wrap has its Welsh in ``translations/cy_staff/`` (this area's in ``import_problems.yaml``), with the
same placeholders; and with Welsh chosen, a family file's problems read in Welsh on the import page.

English stays as it was: the import tests compare the English texts exactly.
"""
from __future__ import annotations

import html
import inspect
import io
from pathlib import Path

import yaml
from babel.messages.extract import extract_from_dir

from feedback.families.views import member_label
from tests.conftest import ROOT, csrf_token, sign_in
from tests.imports.files import csv_bytes
from tests.translation.test_staff_welsh_pages import choose

#: The files whose problem texts and summaries this table translates (views.py: ``member_label`` only).
FILES = ("feedback/imports/service.py", "feedback/imports/summary.py", "feedback/imports/validation.py",
         "feedback/imports/cells.py", "feedback/imports/problems.py", "feedback/families/importing.py",
         "feedback/families/case_file.py", "feedback/families/views.py")
METHOD_MAP = [(path, "python") for path in FILES]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _member_label_lines() -> range:
    lines, first = inspect.getsourcelines(member_label)
    return range(first, first + len(lines))


def extracted() -> dict[str, tuple[str | None, str]]:
    """msgid (the singular of an ngettext message) → (its plural or None, where it was found)."""
    found = {}
    label_lines = _member_label_lines()
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        if filename.endswith("families/views.py") and lineno not in label_lines:
            continue
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        found.setdefault(singular, (plural, f"{filename}:{lineno}"))
    return found


def table(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


HEADINGS = ["site", "case_ref", "entry_date", "member_ref", "role"]


def upload(client, rows) -> tuple[int, str]:
    token = csrf_token(client.get("/staff/families/import").get_data(as_text=True))
    response = client.post("/staff/families/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(csv_bytes(rows, HEADINGS)), "cases.csv")})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_with_welsh_chosen_a_family_files_problems_read_in_welsh(world, app):
    client = sign_in(app.test_client(), "practitioner_north@example.org")
    rows = [["north", "N-1", "2024-03-27", "M1", "mother"],
            ["north", "N-1", "2024-03-27", "M2", "grandmother"],   # row 3: not a role
            ["north", "N-2", "31/02/2024", "M1", "father"]]        # row 4: no such day

    status, english = upload(client, rows)
    assert status == 422
    assert "‘grandmother’ is not a role. Write one of" in english
    assert "Nothing was imported: 2 problem(s) in 2 row(s). Correct the file and import it again." in english

    choose(client, "cy", "/staff/families/import")
    status, welsh = upload(client, rows)
    assert status == 422 and '<html lang="cy"' in welsh
    assert "Nid yw ‘grandmother’ yn rôl. Ysgrifennwch un o mother, father" in welsh
    assert "Nid yw ‘31/02/2024’ yn ddyddiad. Ysgrifennwch ddyddiadau fel blwyddyn-mis-diwrnod (2024-03-27)" in welsh
    # Two problems: the Welsh plural's "two" form ("dwy broblem").
    assert "Ni fewnforiwyd dim: 2 broblem mewn 2 rhes. Cywirwch y ffeil a'i mewnforio eto." in welsh
    # Grouped by column: the count and the rows in Welsh, the column name as the file has it.
    assert "role: 1 rhes: Nid yw ‘grandmother’ yn rôl." in welsh and "— rhes 3" in welsh
    assert "is not a role" not in welsh and "Nothing was imported" not in welsh
