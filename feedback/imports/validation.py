"""Checking a whole file of responses against one instrument version, before anything is stored.

Pure Python: the instrument, the file as a frame of text cells (``reading.read_table``) and a few
facts from the database (``Lookups``) in; a ``Report`` out, listing every problem with the row
number the spreadsheet shows and the column, or the rows ready to store when there is none.

Decisions, for paper forms and older systems:
- An empty cell is an unanswered item. That is fine for an optional item, and for a required one
  the form did not show (its condition hides it); a required item left empty is a problem.
  Instruments offer missing codes (e.g. -9 "prefer not to say") for a form that has no answer.
- A column may be left out for an item the forms never asked: the item is stored as "not
  collected" (``NOT_COLLECTED``, never the instrument's "not known"), so required-ness holds for the
  file's own columns only; a file needs at least one item column. An item the instrument says may
  be derived (``derive``) is computed instead (``instruments.derivation``), e.g. whether need went
  up from the family's entry assessment, in the file or already stored. Text, date and ticked-list
  items hold no codes, so one left out is simply unanswered.
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
from flask_babel import gettext as _, lazy_gettext as _l

from ..families.eligibility import MEMBER_ROLES, fills
from ..instruments import Instrument
from ..instruments.definition import CODED_TYPES, NOT_COLLECTED
from ..instruments.derivation import NEEDS_ENTRY, derived_value
from ..survey.navigation import unanswered_required
from ..waves.schedule import FAMILY_RESPONDENT_ROLES
from .cells import CellError, answer_in, parse_date
from .family_dates import FAMILY_DATE_COLUMNS, FamilyDates
from .problems import Problem
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
#: Lazy: made into text (``str``) where a message is made.
WHO = {"parent_carer": _l("parents and carers (roles mother, father, partner, other_carer)"),
       "young_person": _l("children and young people (roles child, young_person)"),
       "child": _l("children and young people (roles child, young_person)"),
       "family_member": _l("any family member")}


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
    #: Whether the wave is at the start (``entry``) or end (``exit``) of support; None for others.
    wave_point: str | None = None
    #: Families' answers at the start of support already stored, by (site code, case_ref).
    entry_answers: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    #: Existing families named in the file, by (site code, case_ref): (referral, entry, exit) dates.
    family_dates: Mapping[tuple[str, str], tuple] = field(default_factory=dict)


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
    #: The file's ``entry_date`` and ``exit_date``, where given: set on a family that has none.
    family_dates: dict[str, date] = field(default_factory=dict)


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
        return Report([], [Problem(None, None, _("%(instrument)s is answered by no one the app keeps answers for, so "
                                                 "it cannot be imported.", instrument=instrument.id))])
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
    if not problems:
        _derive_from_entry(instrument, rows, lookups, set(frame.columns))
    order = {name: index for index, name in enumerate(frame.columns)}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column, -1) if p.column else -1))
    return Report(rows if not problems else [], problems)


def _check_headings(instrument: Instrument, columns: list[str], kind: str) -> tuple[list[Problem], bool]:
    """Problems with row 1, and whether they leave the rows uncheckable (a key column missing)."""
    items = {item.id for item in instrument.items}
    if kind == "partner":
        problems = [Problem(HEADING_ROW, name, _("Remove the column ‘%(column)s’: %(instrument)s is answered "
                                                 "anonymously by partner agencies' staff, so its responses belong to "
                                                 "no site, family or member.", column=name, instrument=instrument.id))
                    for name in columns if name in KEY_COLUMNS and name not in PARTNER_COLUMNS]
        problems += [Problem(HEADING_ROW, name, _not_a_column(instrument, name))
                     for name in columns if name not in items and name not in KEY_COLUMNS]
        return problems + _no_items(instrument, columns), False
    problems = [Problem(HEADING_ROW, name, _not_a_column(instrument, name))
                for name in columns
                if name not in items and name not in KEY_COLUMNS and name != ROLE_COLUMN
                and name not in FAMILY_DATE_COLUMNS]
    needed = [name for name in KEY_COLUMNS if not (name == "member_ref" and kind == "family")]
    missing = [name for name in needed if name not in columns]
    problems += [Problem(HEADING_ROW, name, _("The column ‘%(column)s’ is missing. Add it to row 1.", column=name))
                 for name in missing]
    problems += _no_items(instrument, columns)
    return problems, bool(missing)


def _not_a_column(instrument: Instrument, name: str) -> str:
    return _("‘%(column)s’ is not a column of %(instrument)s version %(version)s. Check the spelling against the item "
             "ids, or remove the column.", column=name, instrument=instrument.id, version=instrument.version)


def _no_items(instrument: Instrument, columns: list[str]) -> list[Problem]:
    """A file must hold answers: at least one item column (the others are stored as not collected)."""
    if any(item.id in columns for item in instrument.items):
        return []
    return [Problem(HEADING_ROW, None, _("The file has no column for any question of %(instrument)s version "
                                         "%(version)s. Add a column, headed with its item id, for each question the "
                                         "forms asked; leave out only questions they never asked.",
                                         instrument=instrument.id, version=instrument.version))]


def _derive_from_entry(instrument: Instrument, rows: list[Row], lookups: Lookups, columns: set[str]) -> None:
    """Items derived from the family's entry assessment, for rows whose file has no column for them.
    The entry answers are those of a row of this file made at the start of support (the wave is an
    entry wave, or the row's point-of-wave item says 1), else those already stored."""
    items = [item for item in instrument.items
             if item.derive and item.derive.rule in NEEDS_ENTRY and item.id not in columns]
    if not items:
        return
    points = [item.id for item in instrument.items if item.derive and item.derive.rule == "point_of_wave"]
    entry = dict(lookups.entry_answers)
    entry.update({(row.site, row.case_ref): row.answers for row in rows if not row.member_ref and (
        lookups.wave_point == "entry" or any(row.answers.get(point) == 1 for point in points))})
    for row in rows:
        for item in items:
            row.answers[item.id] = derived_value(item, row.answers, lookups.wave_point,
                                                 entry.get((row.site, row.case_ref)))


class _RowChecker:
    """The checks of one row, with what earlier rows of the file said (for repeats)."""

    def __init__(self, instrument: Instrument, kind: str, lookups: Lookups, columns: list[str]):
        self.instrument, self.kind, self.lookups = instrument, kind, lookups
        self.items = [item for item in instrument.items if item.id in columns]
        self.item_ids = {item.id for item in self.items}
        self.seen: dict[tuple, int] = {}
        respondents = list(dict.fromkeys(str(WHO[r.role]) for r in instrument.respondents if r.role in WHO))
        self.who = respondents[0] if respondents else ""
        for other in respondents[1:]:
            self.who = _("%(who)s or %(other)s", who=self.who, other=other)
        self.dated = "completed_on" in columns
        self.family_dates = FamilyDates(lookups.family_dates, columns)

    def check(self, number: int, cells: Mapping[str, str]) -> tuple[Row | None, list[Problem]]:
        problems: list[Problem] = []

        def problem(column: str | None, message: str, kind: str | None = None) -> None:
            problems.append(Problem(number, column, message, kind))

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
                problem(ROLE_COLUMN, _("Leave %(role)s empty on a row without a %(member_ref)s: it is the role of a "
                                       "member.", role=ROLE_COLUMN, member_ref="member_ref"))
        elif site_ok and case_ref and self.kind != "family":
            new_role = self._member(site, case_ref, member_ref, role, problem)
        if site_ok and case_ref and (member_ref or self.kind != "member"):
            self._once(number, (site, case_ref, member_ref), problem)
        family_dates = self.family_dates.check(number, site if site_ok else "", case_ref, cells, problem)
        answers = self._answers(cells, completed_on or self.lookups.today, problem)
        if problems or completed_on is None:
            return None, problems
        return Row(number, site, case_ref, member_ref, new_role, completed_on, answers, family_dates), problems

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
            problem("site", _("Enter the site code."), "blank")
        elif site not in self.lookups.sites:
            problem("site", _("There is no site with code ‘%(site)s’. Check the code.", site=site), "unknown_site")
        elif self.lookups.allowed_sites is not None and site not in self.lookups.allowed_sites:
            problem("site", _("Site ‘%(site)s’ is not one of your sites, so you cannot import responses for it.",
                              site=site), "not_your_site")
        else:
            return True
        return False

    def _refs(self, case_ref: str, member_ref: str | None, problem) -> None:
        if not case_ref:
            problem("case_ref", _("Enter the family's case reference."), "blank")
        elif len(case_ref) > MAX_REF_LENGTH:
            problem("case_ref", _("A case reference may be at most %(max)s characters.", max=MAX_REF_LENGTH))
        if member_ref and self.kind == "family":
            problem("member_ref", _("Leave %(member_ref)s empty: %(instrument)s is the key worker's assessment of the "
                                    "whole family, not of one member.", member_ref="member_ref",
                                    instrument=self.instrument.id))
        elif not member_ref and self.kind == "member":
            problem("member_ref", _("Enter the member's reference: %(instrument)s is answered by family members, so "
                                    "each row must say whose answers it holds.", instrument=self.instrument.id))
        elif member_ref and len(member_ref) > MAX_REF_LENGTH:
            problem("member_ref", _("A member reference may be at most %(max)s characters.", max=MAX_REF_LENGTH))

    def _completed_on(self, text: str, problem) -> date | None:
        if not text:
            problem("completed_on", _("Enter the date the form was completed, as year-month-day (2024-03-27)."),
                    "blank")
            return None
        completed_on = parse_date(text)
        if completed_on is None:
            problem("completed_on", _("‘%(text)s’ is not a date written as year-month-day, like 2024-03-27.",
                                      text=text), "not_a_date")
        elif completed_on > self.lookups.today:
            problem("completed_on", _("%(date)s is in the future.", date=completed_on.isoformat()), "in_future")
        elif completed_on.year < EARLIEST_YEAR:
            problem("completed_on", _("%(date)s is before %(year)s. Check the year.", date=completed_on.isoformat(),
                                      year=EARLIEST_YEAR), "too_early")
        else:
            return completed_on
        return None

    def _member(self, site: str, case_ref: str, member_ref: str, role: str, problem) -> str | None:
        """Check the member's role; returns the role to create them with (None if they exist)."""
        if role and role not in MEMBER_ROLES:
            problem(ROLE_COLUMN, _("‘%(role)s’ is not a member role. Use one of: %(roles)s.", role=role,
                                   roles=", ".join(MEMBER_ROLES)))
            return None
        known = self.lookups.members.get((site, case_ref, member_ref))
        who = dict(member=member_ref, case=case_ref, instrument=self.instrument.id, who=self.who)
        if known and role and role != known:
            problem(ROLE_COLUMN, _("Member %(member)s of case %(case)s is recorded as %(known)s, not %(role)s. Correct "
                                   "the file, or the member's record.", known=known, role=role, **who))
        elif known and not self._fits(known):
            problem("member_ref", _("Member %(member)s of case %(case)s is recorded as %(known)s; %(instrument)s is "
                                    "answered by %(who)s.", known=known, **who))
        elif not known and not self._fits(role or NEW_MEMBER_ROLE):
            if role:
                problem(ROLE_COLUMN, _("A %(role)s does not answer %(instrument)s: it is answered by %(who)s.",
                                       role=role, instrument=self.instrument.id, who=self.who))
            else:
                problem(ROLE_COLUMN, _("Member %(member)s of case %(case)s is new to the app: give their role in a "
                                       "‘%(column)s’ column. %(instrument)s is answered by %(who)s.",
                                       column=ROLE_COLUMN, **who))
        return None if known else (role or NEW_MEMBER_ROLE)

    def _fits(self, member_role: str) -> bool:
        return any(fills(respondent.role, member_role) for respondent in self.instrument.respondents)

    def _once(self, number: int, key: tuple, problem) -> None:
        whose = (_("member %(member)s of case %(case)s", member=key[2], case=key[1]) if key[2]
                 else _("case %(case)s", case=key[1]))
        if key in self.seen:
            problem(None, _("This repeats row %(row)s (%(whose)s): a person, or a family, has one %(instrument)s "
                            "response per wave. Keep one of the rows.", row=self.seen[key], whose=whose,
                            instrument=self.instrument.id), "repeat")
        else:
            self.seen[key] = number
        if key in self.lookups.answered:
            problem(None, _("The app already has a completed %(instrument)s response from %(whose)s in this wave. "
                            "Remove the row.", instrument=self.instrument.id, whose=whose), "already_answered")

    def _not_collected(self, answers: dict[str, Any], cells: Mapping[str, str], problem) -> None:
        """Items without a column: derived from the wave where the instrument says so, else not collected
        (those derived from the entry assessment come once every row is read). A filled cell of an item
        asked only after an answer the file does not have cannot be kept: say which column to add."""
        for item in self.instrument.items:
            if item.id in self.item_ids or item.type not in CODED_TYPES:
                continue
            if item.derive is None:
                answers[item.id] = NOT_COLLECTED
            elif item.derive.rule not in NEEDS_ENTRY:
                answers[item.id] = derived_value(item, answers, self.lookups.wave_point)
        for item in self.items:
            unknown = [c.item_id for c in item.conditions if answers.get(c.item_id) == NOT_COLLECTED]
            if unknown and cells.get(item.id, "").strip():
                problem(item.id, _("‘%(item)s’ is asked only after ‘%(earlier)s’, which the file has no column for, "
                                   "so this answer cannot be kept. Add the column ‘%(earlier)s’.", item=item.id,
                                   earlier=unknown[0]))

    def _answers(self, cells: Mapping[str, str], latest_date: date, problem) -> dict[str, Any]:
        answers, unreadable = {}, set()
        for item in self.items:
            try:
                value = answer_in(item, cells.get(item.id, ""), latest_date)
            except CellError as error:
                problem(item.id, str(error), error.kind)
                unreadable.add(item.id)
                continue
            if value is not None:
                answers[item.id] = value
        self._not_collected(answers, cells, problem)
        # The same rule as the web's last page: required items the respondent was shown.
        for _page, item in unanswered_required(self.instrument, answers):
            # An unreadable cell is reported already, and so is a missing column (in row 1).
            if item.id not in unreadable and item.id in self.item_ids:
                codes = ", ".join(f"{choice.code} ({choice.label.get('en')})" for choice in item.missing_codes)
                hint = " " + _("Where the form has no answer, enter a missing code: %(codes)s.", codes=codes) \
                    if codes else ""
                problem(item.id, _("This question must be answered, but the cell is empty.") + hint, "blank")
        return answers
