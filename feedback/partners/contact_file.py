"""Reading and checking a CSV of partner agency contacts, before anything is stored. Pure Python (its
problems are gettext'd: in the staff page's language on the import page, English on the command line).

The file in, with the agencies the importer may see (by name); every problem out, each with the
row number a spreadsheet shows and the column, or the rows ready to store when there is none.
CSV only, saved as UTF-8 (with or without the byte-order mark Excel writes): a list of contacts
is short, and one format keeps the page simple.

Decisions:
- ``agency`` must name an agency that exists already and works with one of the importer's sites
  (matched ignoring case and surrounding spaces). Creating agencies from a file would let a typo
  make a second agency, so it is refused and the page says where to add one.
- One row per address: the same address twice in a file is a problem naming both rows, even in
  different agencies, as it is one person.
- ``consent`` must be given (yes or no); ``active`` may be left out or empty, meaning yes.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Mapping

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _, ngettext

from ..imports.validation import Problem
from .models import CONTACT_ROLES

REQUIRED = ("agency", "name", "role", "email", "consent")
OPTIONAL = ("active",)
COLUMNS = REQUIRED + OPTIONAL
#: A service has tens or hundreds of partner contacts; more than this is not a contact list.
MAX_ROWS = 5_000
MAX_BYTES = 2 * 2**20
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
#: As long as the model's columns may be.
MAX_NAME, MAX_EMAIL = 120, 254


def expected() -> str:
    """What row 1 must hold, added to each problem with the headings."""
    return _("Row 1 must hold the headings agency, name, role, email, consent and, if you like, active.")


@dataclass(frozen=True)
class ContactRow:
    """One checked row: whose contact, and what to record. ``email`` is trimmed and lower case."""

    row: int
    agency_id: int
    name: str
    role: str
    email: str
    consent: bool
    active: bool


@dataclass(frozen=True)
class CheckedFile:
    rows: list[ContactRow]
    problems: list[Problem]

    @property
    def rows_with_problems(self) -> int:
        return len({problem.row for problem in self.problems if problem.row is not None})


def check_file(data: bytes, agencies: Mapping[str, list[int]]) -> CheckedFile:
    """Read the CSV and check every row. ``agencies``: the ids of the agencies the importer may
    see, by lower-case name. Problems of the file itself (not UTF-8, no headings, too large) stop
    the check; problems of rows are all listed."""
    try:
        headings, records = _read(data)
    except FileProblem as problem:
        return CheckedFile([], [Problem(problem.row, None, str(problem))])
    problems = _heading_problems(headings)
    if problems:
        return CheckedFile([], problems)
    rows: list[ContactRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in records:
        values = dict(zip(headings, cells))
        row, row_problems = _check_row(number, values, agencies)
        if row is not None:
            earlier = first_row_of.setdefault(row.email, number)
            if earlier != number:
                row_problems.append(Problem(number, "email", _("'%(email)s' is on rows %(earlier)s and %(row)s: keep one "
                                                               "row per contact.", email=row.email, earlier=earlier,
                                                               row=number)))
        problems += row_problems
        if row is not None and not row_problems:
            rows.append(row)
    if not records:
        problems.append(Problem(None, None, _("The file has headings but no contacts below them.")))
    return CheckedFile([] if problems else rows, problems)


class FileProblem(ValueError):
    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


def _read(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Headings (trimmed, lower case) and the non-empty rows below them, numbered as a spreadsheet does."""
    if len(data) > MAX_BYTES:
        raise FileProblem(_("The file is larger than %(size)s MB. A list of contacts is much smaller: check it is "
                            "the right file.", size=MAX_BYTES // 2**20))
    if not data.strip():
        raise FileProblem(_("The file is empty."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("This is an Excel workbook. In Excel choose “Save as” and the type “CSV UTF-8 (comma "
                            "delimited)”, then import that file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(_("The file is not in UTF-8. In Excel choose “Save as” and the type “CSV UTF-8 (comma "
                            "delimited)”, then import that file.")) from None
    headings: list[str] = []
    records: list[tuple[int, list[str]]] = []
    try:
        # Numbered by record, as a spreadsheet numbers rows (a quoted cell may span lines; a blank line is a row).
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number == 1:
                headings = [cell.strip().lower() for cell in record]
                while headings and not headings[-1]:
                    headings.pop()
                if not headings:
                    raise FileProblem(_("The row is empty. %(expected)s", expected=expected()), 1)
                continue
            if not any(cell.strip() for cell in record):
                continue
            if any(cell.strip() for cell in record[len(headings):]):
                raise FileProblem(_("This row has more cells than row 1 has headings. Remove the extra cells "
                                    "(a name holding a comma must be in double quotes)."), number)
            if len(records) == MAX_ROWS:
                raise FileProblem(_("The file has more than %(max)s contacts. Split it into smaller files.",
                                    max=format(MAX_ROWS, ",")))
            cells = [cell.strip() for cell in record[:len(headings)]]
            records.append((number, cells + [""] * (len(headings) - len(cells))))
    except csv.Error as error:
        raise FileProblem(_("The file could not be read as CSV (%(error)s). Save it again as “CSV UTF-8”.",
                            error=error)) from None
    return headings, records


def _heading_problems(headings: list[str]) -> list[Problem]:
    problems = []
    missing = [name for name in REQUIRED if name not in headings]
    if missing:
        problems.append(Problem(1, None, ngettext("The heading %(names)s is missing. %(expected)s",
                                                  "The headings %(names)s are missing. %(expected)s", len(missing),
                                                  names=", ".join(missing), expected=expected())))
    for index, heading in enumerate(headings):
        if not heading:
            problems.append(Problem(1, None, _("Column %(number)s has no heading. %(expected)s", number=index + 1,
                                               expected=expected())))
        elif heading not in COLUMNS:
            problems.append(Problem(1, heading, _("This column is not one the import takes. %(expected)s Delete the "
                                                  "column, or correct its heading.", expected=expected())))
        elif headings.index(heading) != index:
            problems.append(Problem(1, heading, _("This heading appears more than once. Keep one column.")))
    return problems


def _check_row(number: int, values: Mapping[str, str], agencies: Mapping[str, list[int]]
               ) -> tuple[ContactRow | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, column, message))

    agency_id = None
    agency = values["agency"]
    matches = agencies.get(" ".join(agency.lower().split()), [])
    if not agency:
        problem("agency", _("Enter the agency's name, as the partner agency pages show it."))
    elif not matches:
        problem("agency", _("'%(agency)s' is not one of your partner agencies. Correct the name, or add the agency "
                            "on the partner agency pages first.", agency=agency))
    elif len(matches) > 1:
        problem("agency", _("More than one of your agencies is called '%(agency)s'. Rename one on the partner "
                            "agency pages so that each name is different.", agency=agency))
    else:
        agency_id = matches[0]

    name = values["name"]
    if not name:
        problem("name", _("Enter the contact's name."))
    elif len(name) > MAX_NAME:
        problem("name", _("The name is longer than %(max)s characters. Shorten it.", max=MAX_NAME))

    role = values["role"].lower()
    if role not in CONTACT_ROLES:
        roles = " or ".join(CONTACT_ROLES)
        problem("role", _("'%(role)s' is not a role: use %(roles)s.", role=values["role"], roles=roles) if role
                else _("Enter the contact's role: %(roles)s.", roles=roles))

    email = values["email"].lower()
    if not email:
        problem("email", _("Enter the contact's email address."))
    elif len(email) > MAX_EMAIL or not is_email(email):
        problem("email", _("'%(email)s' is not an email address.", email=values["email"]))

    consent = yes_or_no(values["consent"])
    if consent is None:
        problem("consent", _("'%(value)s' is not yes or no.", value=values["consent"]) if values["consent"]
                else _("Enter yes or no: has the contact agreed to be surveyed?"))

    active = yes_or_no(values.get("active") or "yes")
    if active is None:
        problem("active", _("'%(value)s' is not yes or no. Leave it empty for yes.", value=values["active"]))

    if problems:
        return None, problems
    return ContactRow(number, agency_id, name, role, email, consent, active), []


def is_email(address: str) -> bool:
    """Whether an address is well formed, by the rules of the contact form's ``Email()`` check."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def yes_or_no(cell: str) -> bool | None:
    """``yes``/``no`` (also y/n, true/false as Excel writes them, 1/0); None when it is neither."""
    word = cell.strip().lower()
    return True if word in YES else False if word in NO else None
