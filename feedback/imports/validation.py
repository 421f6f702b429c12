"""Checking a whole file of responses against one instrument version, before anything is stored.

Pure Python: the instrument, the file as a frame of text cells (``reading.read_table``) and a few
facts from the database (``Lookups``) in; a ``Report`` out, listing every problem with the row
number the spreadsheet shows and the column, or the rows ready to store when there is none.

Decisions, for paper forms and older systems:
- An empty cell is an unanswered item. That is fine for an optional item, and for a required one
  the form did not show (its condition hides it); a required item left empty is a problem.
  Instruments offer missing codes (e.g. -9 "prefer not to say") for a form that has no answer.
- Answers to items whose condition ends up hiding them are dropped on completion, as they are
  on the web (``survey.service.complete``).
- ``member_ref`` says whose answers a row holds. An instrument answered only by staff (the key
  worker's assessment) is answered for the family: the cell must be empty. One answered only by
  family members needs it. One answered by both (the family star) takes either: empty for the key
  worker's reading, filled for a member's.
- A member new to the app is created with the file's ``role`` (``other`` if the column is empty),
  and that role must be one the instrument is answered by; ages are not checked, as the file has
  none and the form was answered anyway.
- One response per person (or family) per instrument and wave: a repeat in the file, or one
  already completed in the app, is a problem.
- An instrument answered by partner agencies' staff (the partner survey) is anonymous: its rows
  name no site, family or member (those columns are refused), ``role`` is its own question, not a
  member's role, ``completed_on`` is optional (the import's day without it) and repeats cannot be
  told apart, so none is looked for. Its rows are stored as anonymous responses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

import pandas as pd

from ..families.eligibility import MEMBER_ROLES, fills
from ..instruments import Instrument
from ..survey.navigation import unanswered_required
from ..waves.schedule import FAMILY_RESPONDENT_ROLES
from .cells import CellError, answer_in, parse_date
from .reading import HEADING_ROW

KEY_COLUMNS = ("site", "case_ref", "member_ref", "completed_on")
#: Optional: the role of a member the file brings in for the first time.
ROLE_COLUMN = "role"
#: The role of a new member whose row leaves ``role`` empty.
NEW_MEMBER_ROLE = "other"
#: As long as ``Family.case_ref`` and ``Member.member_ref`` may be.
MAX_REF_LENGTH = 64
EARLIEST_YEAR = 1900
#: Respondent roles as staff pages describe them.
WHO = {"parent_carer": "parents and carers (roles mother, father, partner, other_carer)",
       "young_person": "children and young people (roles child, young_person)",
       "child": "children and young people (roles child, young_person)",
       "family_member": "any family member"}


#: Who answers an instrument with no family: partner agencies' staff, anonymously.
PARTNER_ROLE = "partner_staff"
#: The columns a partner survey's file may hold besides its items.
PARTNER_COLUMNS = ("completed_on",)


def answered_for(instrument: Instrument) -> str | None:
    """Whose answers a row of this instrument is: ``member``, ``family`` (the key worker's, about the
    whole family), ``either``, ``partner`` (partner agencies' staff: no family, stored anonymous);
    None when nobody the app knows answers it."""
    roles = {respondent.role for respondent in instrument.respondents}
    by_members = bool(roles & set(FAMILY_RESPONDENT_ROLES))
    by_key_worker = "practitioner" in roles
    if by_members and by_key_worker:
        return "either"
    if by_members:
        return "member"
    if by_key_worker:
        return "family"
    return "partner" if PARTNER_ROLE in roles else None


@dataclass(frozen=True)
class Problem:
    #: The spreadsheet's row number (1 is the headings); None for the file as a whole.
    row: int | None
    #: The column's heading; None for the whole row.
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = "Row 1 (headings)" if self.row == HEADING_ROW else f"Row {self.row}"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass(frozen=True)
class Lookups:
    """What the checks need from the database, gathered by the caller for this file."""

    #: Every site, by code (lower case).
    sites: Mapping[str, int]
    #: The site codes the person importing may import for; None for every site (admins, the CLI).
    allowed_sites: frozenset[str] | None
    #: The day it is now: completed_on may not be after it.
    today: date
    #: Existing members named in the file, by (site code, case_ref, member_ref): their role.
    members: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    #: (site code, case_ref, member_ref or None) with a completed response to this instrument in
    #: this wave already.
    answered: frozenset = frozenset()


@dataclass(frozen=True)
class Row:
    """One row ready to store."""

    number: int
    site: str
    case_ref: str
    member_ref: str | None
    #: The role to give the member if the app does not know them yet.
    new_member_role: str | None
    #: None for a partner survey's row without a date (it is stored as answered on the import's day).
    completed_on: date | None
    answers: dict[str, Any]


@dataclass
class Report:
    rows: list[Row]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_with_problems(self) -> int:
        return len({problem.row for problem in self.problems if problem.row not in (None, HEADING_ROW)})


def row_key(site: str, case_ref: str, member_ref: str) -> tuple[str, str, str | None]:
    """The (site code, case_ref, member_ref or None) a row names, normalised as the checks read it."""
    return site.strip().lower(), case_ref.strip(), member_ref.strip() or None


def keys_in(frame: pd.DataFrame) -> set[tuple[str, str, str | None]]:
    """Every (site, case_ref, member_ref) the file names: what the caller looks up for ``Lookups``."""
    columns = [frame[name] if name in frame.columns else pd.Series("", index=frame.index)
               for name in ("site", "case_ref", "member_ref")]
    return {row_key(*values) for values in zip(*columns) if values[0].strip() and values[1].strip()}


def validate(instrument: Instrument, frame: pd.DataFrame, lookups: Lookups) -> Report:
    """Check every row and cell; the report lists every problem, or the rows when there is none."""
    kind = answered_for(instrument)
    if kind is None:
        return Report([], [Problem(None, None, f"{instrument.id} is answered by no one the app keeps answers for, so "
                                               "it cannot be imported.")])
    problems, unusable = _check_headings(instrument, list(frame.columns), kind)
    if unusable:
        return Report([], problems)
    checker = _RowChecker(instrument, kind, lookups, list(frame.columns))
    rows = []
    for number, cells in zip(frame.index, frame.to_dict("records")):
        row, found = checker.check(int(number), cells)
        problems += found
        if row is not None and not found:
            rows.append(row)
    order = {name: index for index, name in enumerate(frame.columns)}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column, -1) if p.column else -1))
    return Report(rows if not problems else [], problems)


def _check_headings(instrument: Instrument, columns: list[str], kind: str) -> tuple[list[Problem], bool]:
    """Problems with row 1, and whether they leave the rows uncheckable (a key column missing)."""
    items = {item.id for item in instrument.items}
    if kind == "partner":
        problems = [Problem(HEADING_ROW, name, f"Remove the column ‘{name}’: {instrument.id} is answered anonymously by "
                                               "partner agencies' staff, so its responses belong to no site, family "
                                               "or member.")
                    for name in columns if name in KEY_COLUMNS and name not in PARTNER_COLUMNS]
        problems += [Problem(HEADING_ROW, name, f"‘{name}’ is not a column of {instrument.id} version "
                                                f"{instrument.version}. Check the spelling against the item ids, or "
                                                "remove the column.")
                     for name in columns if name not in items and name not in KEY_COLUMNS]
        problems += [Problem(HEADING_ROW, item.id, f"The column of the required item ‘{item.id}’ is missing. Add it.")
                     for item in instrument.items if item.required and item.id not in columns]
        return problems, False
    problems = [Problem(HEADING_ROW, name, f"‘{name}’ is not a column of {instrument.id} version {instrument.version}. "
                                           "Check the spelling against the item ids, or remove the column.")
                for name in columns if name not in items and name not in KEY_COLUMNS and name != ROLE_COLUMN]
    needed = [name for name in KEY_COLUMNS if not (name == "member_ref" and kind == "family")]
    missing = [name for name in needed if name not in columns]
    problems += [Problem(HEADING_ROW, name, f"The column ‘{name}’ is missing. Add it to row 1.") for name in missing]
    problems += [Problem(HEADING_ROW, item.id, f"The column of the required item ‘{item.id}’ is missing. Add it "
                                               "(leave its cells empty where the form did not ask the question).")
                 for item in instrument.items if item.required and item.id not in columns]
    return problems, bool(missing)


class _RowChecker:
    """The checks of one row, with what earlier rows of the file said (for repeats)."""

    def __init__(self, instrument: Instrument, kind: str, lookups: Lookups, columns: list[str]):
        self.instrument, self.kind, self.lookups = instrument, kind, lookups
        self.items = [item for item in instrument.items if item.id in columns]
        self.item_ids = {item.id for item in self.items}
        self.seen: dict[tuple, int] = {}
        respondents = [WHO[r.role] for r in instrument.respondents if r.role in WHO]
        self.who = " or ".join(dict.fromkeys(respondents))
        self.dated = "completed_on" in columns

    def check(self, number: int, cells: Mapping[str, str]) -> tuple[Row | None, list[Problem]]:
        problems: list[Problem] = []

        def problem(column: str | None, message: str) -> None:
            problems.append(Problem(number, column, message))

        if self.kind == "partner":
            return self._anonymous(number, cells, problems, problem)

        site, case_ref, member_ref = row_key(cells.get("site", ""), cells.get("case_ref", ""),
                                             cells.get("member_ref", ""))
        site_ok = self._site(site, problem)
        self._refs(case_ref, member_ref, problem)
        completed_on = self._completed_on(cells.get("completed_on", "").strip(), problem)
        new_role, role = None, cells.get(ROLE_COLUMN, "").strip()
        if not member_ref:
            if role:
                problem(ROLE_COLUMN, "Leave role empty on a row without a member_ref: it is the role of a member.")
        elif site_ok and case_ref and self.kind != "family":
            new_role = self._member(site, case_ref, member_ref, role, problem)
        if site_ok and case_ref and (member_ref or self.kind != "member"):
            self._once(number, (site, case_ref, member_ref), problem)
        answers = self._answers(cells, completed_on or self.lookups.today, problem)
        if problems or completed_on is None:
            return None, problems
        return Row(number, site, case_ref, member_ref, new_role, completed_on, answers), problems

    def _anonymous(self, number: int, cells: Mapping[str, str], problems: list[Problem],
                   problem) -> tuple[Row | None, list[Problem]]:
        """A partner survey's row: its date (when the file has the column) and its answers only."""
        completed_on = None
        if self.dated:
            completed_on = self._completed_on(cells.get("completed_on", "").strip(), problem)
        answers = self._answers(cells, completed_on or self.lookups.today, problem)
        if problems:
            return None, problems
        return Row(number, "", "", None, None, completed_on, answers), problems

    def _site(self, site: str, problem) -> bool:
        if not site:
            problem("site", "Enter the site code.")
        elif site not in self.lookups.sites:
            problem("site", f"There is no site with code ‘{site}’. Check the code.")
        elif self.lookups.allowed_sites is not None and site not in self.lookups.allowed_sites:
            problem("site", f"Site ‘{site}’ is not one of your sites, so you cannot import responses for it.")
        else:
            return True
        return False

    def _refs(self, case_ref: str, member_ref: str | None, problem) -> None:
        if not case_ref:
            problem("case_ref", "Enter the family's case reference.")
        elif len(case_ref) > MAX_REF_LENGTH:
            problem("case_ref", f"A case reference may be at most {MAX_REF_LENGTH} characters.")
        if member_ref and self.kind == "family":
            problem("member_ref", f"Leave member_ref empty: {self.instrument.id} is the key worker's assessment of "
                                  "the whole family, not of one member.")
        elif not member_ref and self.kind == "member":
            problem("member_ref", f"Enter the member's reference: {self.instrument.id} is answered by family "
                                  "members, so each row must say whose answers it holds.")
        elif member_ref and len(member_ref) > MAX_REF_LENGTH:
            problem("member_ref", f"A member reference may be at most {MAX_REF_LENGTH} characters.")

    def _completed_on(self, text: str, problem) -> date | None:
        if not text:
            problem("completed_on", "Enter the date the form was completed, as year-month-day (2024-03-27).")
            return None
        completed_on = parse_date(text)
        if completed_on is None:
            problem("completed_on", f"‘{text}’ is not a date written as year-month-day, like 2024-03-27.")
        elif completed_on > self.lookups.today:
            problem("completed_on", f"{completed_on.isoformat()} is in the future.")
        elif completed_on.year < EARLIEST_YEAR:
            problem("completed_on", f"{completed_on.isoformat()} is before {EARLIEST_YEAR}. Check the year.")
        else:
            return completed_on
        return None

    def _member(self, site: str, case_ref: str, member_ref: str, role: str, problem) -> str | None:
        """Check the member's role; returns the role to create them with (None if they exist)."""
        if role and role not in MEMBER_ROLES:
            problem(ROLE_COLUMN, f"‘{role}’ is not a member role. Use one of: {', '.join(MEMBER_ROLES)}.")
            return None
        known = self.lookups.members.get((site, case_ref, member_ref))
        who = f"Member {member_ref} of case {case_ref}"
        if known and role and role != known:
            problem(ROLE_COLUMN, f"{who} is recorded as {known}, not {role}. Correct the file, or the member's record.")
        elif known and not self._fits(known):
            problem("member_ref", f"{who} is recorded as {known}; {self.instrument.id} is answered by {self.who}.")
        elif not known and not self._fits(role or NEW_MEMBER_ROLE):
            if role:
                problem(ROLE_COLUMN, f"A {role} does not answer {self.instrument.id}: it is answered by {self.who}.")
            else:
                problem(ROLE_COLUMN, f"{who} is new to the app: give their role in a ‘role’ column. "
                                     f"{self.instrument.id} is answered by {self.who}.")
        return None if known else (role or NEW_MEMBER_ROLE)

    def _fits(self, member_role: str) -> bool:
        return any(fills(respondent.role, member_role) for respondent in self.instrument.respondents)

    def _once(self, number: int, key: tuple, problem) -> None:
        whose = f"member {key[2]} of case {key[1]}" if key[2] else f"case {key[1]}"
        if key in self.seen:
            problem(None, f"This repeats row {self.seen[key]} ({whose}): a person, or a family, has one "
                          f"{self.instrument.id} response per wave. Keep one of the rows.")
        else:
            self.seen[key] = number
        if key in self.lookups.answered:
            problem(None, f"The app already has a completed {self.instrument.id} response from {whose} "
                          "in this wave. Remove the row.")

    def _answers(self, cells: Mapping[str, str], latest_date: date, problem) -> dict[str, Any]:
        answers, unreadable = {}, set()
        for item in self.items:
            try:
                value = answer_in(item, cells.get(item.id, ""), latest_date)
            except CellError as error:
                problem(item.id, str(error))
                unreadable.add(item.id)
                continue
            if value is not None:
                answers[item.id] = value
        # The same rule as the web's last page: required items the respondent was shown.
        for _page, item in unanswered_required(self.instrument, answers):
            # An unreadable cell is reported already, and so is a missing column (in row 1).
            if item.id not in unreadable and item.id in self.item_ids:
                codes = ", ".join(f"{choice.code} ({choice.label.get('en')})" for choice in item.missing_codes)
                hint = f" Where the form has no answer, enter a missing code: {codes}." if codes else ""
                problem(item.id, f"This question must be answered, but the cell is empty.{hint}")
        return answers
