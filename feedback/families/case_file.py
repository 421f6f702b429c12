"""A file of case lists checked row by row: families, members and consent decisions. Pure Python.

One row per member; the family's columns (site, case_ref, the three dates, key_worker) repeat on
each of its rows and must agree. Every problem is collected, with its row number (as the
spreadsheet shows it) and column, so a person can correct the whole file at once. Nothing here
reads the database: what the checks need of it (sites the importer may use, practitioners, today)
comes in ``CaseLookups``.

A cell left empty never means "remove": optional member cells left empty keep what is on record
for a member the app already knows, and take the defaults (English; contact by text if there is
a mobile number, else by email if there is an address, else not at all) for a new one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from ..imports.problems import Problem
from .consent import needs_parent_consent
from .eligibility import MEMBER_ROLES, age_on
from .models import CHANNELS, CONSENT_PURPOSES
from .phones import InvalidPhoneNumber, normalise_mobile
from .service import FamilyError, check_dates

FAMILY_COLUMNS = ("site", "case_ref", "referral_date", "entry_date", "exit_date", "key_worker")
MEMBER_COLUMNS = ("member_ref", "role", "name", "birth_year_month", "phone", "email", "language", "channel")
#: (party, purpose) → the decision's column; its date is in the column named with ``_date`` after it.
CONSENT_COLUMNS = {**{("self", p): f"consent_{p}" for p in CONSENT_PURPOSES},
                   **{("parent", p): f"parent_consent_{p}" for p in CONSENT_PURPOSES}}
COLUMNS = (FAMILY_COLUMNS + MEMBER_COLUMNS
           + tuple(name for column in CONSENT_COLUMNS.values() for name in (column, f"{column}_date")))
REQUIRED = ("site", "case_ref", "member_ref", "role")
#: Repeated on every row of a family, so they must agree; compared as read (dates as dates).
REPEATED = ("referral_date", "entry_date", "exit_date", "key_worker")
#: Lazy: made into text (``str``) where a message is made.
DATE_HINT = _l("Write dates as year-month-day (2024-03-27) or day/month/year (27/03/2024).")
YES, NO = ("yes", "y"), ("no", "n")


@dataclass(frozen=True)
class CaseLookups:
    """What checking needs from outside: the importer's sites by code, and active practitioners."""

    #: Site code → id, only of the sites the importer may see (another site is "unknown").
    site_ids: dict[str, int]
    #: Lower-case email → ids of the sites the practitioner works at.
    practitioners: dict[str, tuple[int, set[int]]]
    today: date
    #: The languages members may be given: the app's (``feedback.languages.ui_languages``).
    languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True)
class ConsentDecision:
    purpose: str
    party: str
    given: bool
    on: date


@dataclass
class MemberRecord:
    row: int
    member_ref: str
    role: str
    name: str | None
    birth_year: int | None
    birth_month: int | None
    phone: str | None  # E.164
    email: str | None  # lower case
    language: str | None  # None: not given (keep, or English for a new member)
    channel: str | None  # None: not given (keep, or the default for a new member)
    consents: list[ConsentDecision] = field(default_factory=list)

    def default_channel(self) -> str:
        return "sms_link" if self.phone else "email_link" if self.email else "none"


@dataclass
class FamilyRecord:
    site_code: str
    site_id: int
    case_ref: str
    referral_date: date | None
    entry_date: date | None
    exit_date: date | None
    key_worker_id: int | None
    rows: list[int] = field(default_factory=list)
    members: list[MemberRecord] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.site_code} {self.case_ref}"


@dataclass
class CaseFile:
    families: list[FamilyRecord]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_with_problems(self) -> int:
        return len({problem.row for problem in self.problems if problem.row is not None})


def parse_date(text: str) -> date | None:
    """``2024-03-27`` or ``27/03/2024`` (also ``27/3/2024``); None if it is neither or no such day."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    british = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if british:
            return date(int(british[3]), int(british[2]), int(british[1]))
    except ValueError:
        return None
    return None


def _rows_text(rows) -> str:
    rows = list(rows)
    listed = str(rows[0]) if len(rows) == 1 else _("%(first)s and %(last)s", first=", ".join(str(r) for r in rows[:-1]),
                                                  last=rows[-1])
    return ngettext("row %(rows)s", "rows %(rows)s", len(rows), rows=listed)


class _RowChecker:
    """Reads one row's cells, noting each problem against its column."""

    def __init__(self, number: int, cells: dict[str, str], today: date, problems: list[Problem]):
        self.number, self.cells, self.today, self.problems = number, cells, today, problems

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def date(self, column: str, not_after_today: bool = True) -> date | None:
        text = self.text(column)
        if not text:
            return None
        value = parse_date(text)
        if value is None:
            self.problem(column, _("‘%(text)s’ is not a date. %(hint)s", text=text, hint=str(DATE_HINT)))
        elif value.year < 1900:
            self.problem(column, _("‘%(text)s’ is before %(year)s. Check the year.", text=text, year=1900))
            return None
        elif not_after_today and value > self.today:
            self.problem(column, _("‘%(text)s’ is in the future. Check the date.", text=text))
            return None
        return value

    def birth(self) -> tuple[int | None, int | None]:
        text = self.text("birth_year_month")
        if not text:
            return None, None
        # Excel turns a typed 2019-06 into a date cell, read as 2019-06-01: only year and month are kept.
        match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{2})?", text)
        if not match or not 1 <= int(match[2]) <= 12:
            self.problem("birth_year_month", _("‘%(text)s’ is not a year and month. Write it as 2019-06 (June 2019).",
                                               text=text))
            return None, None
        year, month = int(match[1]), int(match[2])
        if year < 1900 or (year, month) > (self.today.year, self.today.month):
            self.problem("birth_year_month", _("‘%(text)s’ is before %(year)s or in the future. Check the year.",
                                               text=text, year=1900))
            return None, None
        return year, month

    def phone(self) -> str | None:
        text = self.text("phone")
        if not text:
            return None
        try:
            return normalise_mobile(text)
        except InvalidPhoneNumber as problem:
            self.problem("phone", str(problem))
            return None

    def email(self) -> str | None:
        text = self.text("email")
        if not text:
            return None
        try:
            validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            self.problem("email", _("‘%(text)s’ is not an email address. Write it like name@example.org.", text=text))
            return None
        if len(text) > 254:
            self.problem("email", _("The address is longer than %(max)s characters. Check it.", max=254))
            return None
        return text.lower()

    def choice(self, column: str, allowed, lower: bool = True) -> str | None:
        text = self.text(column)
        value = text.lower() if lower else text
        if not text:
            return None
        if value not in allowed:
            self.problem(column, _("‘%(text)s’ is not one of %(allowed)s.", text=text, allowed=", ".join(allowed)))
            return None
        return value

    def consents(self, role: str, birth: tuple[int | None, int | None]) -> list[ConsentDecision]:
        decisions = []
        for (party, purpose), column in CONSENT_COLUMNS.items():
            text, date_column = self.text(column).lower(), f"{column}_date"
            on = self.date(date_column)
            if not text:
                if self.text(date_column):
                    self.problem(column, _("%(date_column)s is given but not the decision. Write %(yes)s or %(no)s, "
                                           "or empty both cells.", date_column=date_column, yes=YES[0], no=NO[0]))
                continue
            if text not in YES + NO:
                self.problem(column, _("‘%(text)s’ is not a decision. Write %(yes)s or %(no)s.",
                                       text=self.text(column), yes=YES[0], no=NO[0]))
                continue
            if not self.text(date_column):
                self.problem(date_column, _("Give the date of the %(column)s decision. %(hint)s", column=column,
                                            hint=str(DATE_HINT)))
                continue
            if on is None:
                continue  # the date's own problem is listed
            if party == "parent":
                year, month = birth
                age = age_on(year, month, on) if year is not None and month is not None else None
                if not needs_parent_consent(role, age):
                    self.problem(column, _("A parent's decision counts only for a child under 16, and this member "
                                           "is 16 or over (or not a child) on that date: only their own decision "
                                           "counts. Empty %(column)s and %(date_column)s.", column=column,
                                           date_column=date_column))
                    continue
            decisions.append(ConsentDecision(purpose, party, text in YES, on))
        return decisions


def check_case_file(headings: list[str], rows: dict[int, dict[str, str]], lookups: CaseLookups) -> CaseFile:
    """Every family and member of the file, or every problem in it (then ``families`` is not to be used).

    ``rows``: row number → heading → cell text. Refused: headings missing or unknown; required
    cells empty; dates not dates, in the future or out of order (referral ≤ entry ≤ exit, worded as
    the family pages word it); a site the importer may not use; a key worker who is not an active
    practitioner of the family's site; family columns that differ between a family's rows; a
    member reference twice in one family; bad roles, birth months, phones, emails, languages,
    channels or consent decisions.
    """
    problems: list[Problem] = []
    missing = [name for name in REQUIRED if name not in headings]
    unknown = [name for name in headings if name not in COLUMNS]
    if missing:
        problems.append(Problem(1, None, ngettext("The heading row has no column %(columns)s. Add it (row 1 holds the "
                                                  "headings).",
                                                  "The heading row has no column %(columns)s. Add them (row 1 holds "
                                                  "the headings).", len(missing), columns=", ".join(missing))))
    for name in unknown:
        problems.append(Problem(1, name, _("‘%(name)s’ is not a column of a family file. Check the spelling; the "
                                           "columns are %(columns)s.", name=name, columns=", ".join(COLUMNS))))
    if problems:
        return CaseFile([], problems)
    families: dict[tuple[str, str], FamilyRecord] = {}
    #: (family key, column) → value → the rows giving it, to name disagreeing rows.
    seen: dict[tuple[tuple[str, str], str], dict[object, list[int]]] = {}
    refs: dict[tuple[tuple[str, str], str], list[int]] = {}
    for number, cells in rows.items():
        row = _RowChecker(number, cells, lookups.today, problems)
        for name in REQUIRED:
            if not row.text(name):
                row.problem(name, _("The %(column)s is missing. Every row needs %(columns)s.", column=name,
                                    columns=_("%(first)s and %(last)s", first=", ".join(REQUIRED[:-1]),
                                              last=REQUIRED[-1])))
        site_code, case_ref = row.text("site"), row.text("case_ref")
        site_id = lookups.site_ids.get(site_code.lower()) if site_code else None
        if site_code and site_id is None:
            row.problem("site", _("‘%(site)s’ is not the code of a site you may import for. Check the code (yours: "
                                  "%(yours)s).", site=site_code,
                                  yours=", ".join(sorted(lookups.site_ids)) or _("none")))
        if len(case_ref) > 64:
            row.problem("case_ref", _("The case reference is longer than %(max)s characters.", max=64))
        # As on the family pages, a family's dates may be planned ones, in the future.
        dates = {name: row.date(name, not_after_today=False) for name in ("referral_date", "entry_date", "exit_date")}
        dates_ok = not any(p.row == number and p.column in dates for p in problems)
        if dates_ok:
            try:
                check_dates(dates["referral_date"], dates["entry_date"], dates["exit_date"])
            except FamilyError as refusal:
                # Which date is out of order, from the dates (the message may be in Welsh).
                exit_early = dates["entry_date"] and dates["exit_date"] and dates["exit_date"] < dates["entry_date"]
                row.problem("exit_date" if exit_early else "entry_date", str(refusal))
        key_worker_email = row.text("key_worker").lower()
        key_worker_id = None
        if key_worker_email:
            practitioner = lookups.practitioners.get(key_worker_email)
            if practitioner is None or (site_id is not None and site_id not in practitioner[1]):
                row.problem("key_worker", _("‘%(email)s’ is not the email of an active practitioner at site %(site)s. "
                                            "Check the address, or leave the cell empty.",
                                            email=row.text("key_worker"), site=site_code))
            else:
                key_worker_id = practitioner[0]
        member = _member(row, lookups.languages)
        if not site_code or not case_ref:
            continue
        key = (site_code.lower(), case_ref)
        for name, value in (*dates.items(), ("key_worker", key_worker_email)):
            seen.setdefault((key, name), {}).setdefault(value, []).append(number)
        if member is not None:
            refs.setdefault((key, member.member_ref), []).append(number)
        family = families.get(key)
        if family is None:
            family = families[key] = FamilyRecord(site_code.lower(), site_id or 0, case_ref, dates["referral_date"],
                                                  dates["entry_date"], dates["exit_date"], key_worker_id)
        family.rows.append(number)
        if member is not None:
            family.members.append(member)
    for (key, name), values in seen.items():
        if len(values) > 1 and len(families[key].rows) > 1:
            shown = "; ".join(_("%(value)s in %(rows)s", value=_shown(value), rows=_rows_text(numbers))
                              for value, numbers in values.items())
            problems.append(Problem(min(families[key].rows), name, _(
                "Family %(site)s %(case_ref)s has different %(column)s values on its rows (%(shown)s). Give every "
                "row of a family the same family columns.", site=key[0], case_ref=key[1], column=name, shown=shown)))
    for (key, ref), numbers in refs.items():
        if len(numbers) > 1:
            problems.append(Problem(numbers[1], "member_ref", _(
                "Member %(member)s of family %(site)s %(case_ref)s is in %(rows)s. Give each member one row.",
                member=ref, site=key[0], case_ref=key[1], rows=_rows_text(numbers))))
    problems.sort(key=lambda p: (p.row if p.row is not None else 0, COLUMNS.index(p.column)
                                 if p.column in COLUMNS else -1))
    return CaseFile(list(families.values()) if not problems else [], problems)


def _shown(value) -> str:
    if value is None or value == "":
        return _("empty")
    return value.isoformat() if isinstance(value, date) else str(value)


def _member(row: _RowChecker, languages: tuple[str, ...]) -> MemberRecord | None:
    member_ref, role = row.text("member_ref"), row.text("role").lower()
    if len(member_ref) > 64:
        row.problem("member_ref", _("The member reference is longer than %(max)s characters.", max=64))
    if role and role not in MEMBER_ROLES:
        row.problem("role", _("‘%(role)s’ is not a role. Write one of %(roles)s.", role=row.text("role"),
                              roles=", ".join(MEMBER_ROLES)))
    name = row.text("name") or None
    if name and len(name) > 120:
        row.problem("name", _("The name is longer than %(max)s characters. Use a first name or initials.", max=120))
    birth = row.birth()
    phone, email = row.phone(), row.email()
    # Codes are matched whatever their case ("CY", "pt_br") and stored as the app spells them.
    by_lower = {code.lower(): code for code in languages}
    language = row.choice("language", by_lower)
    language = by_lower.get(language, language)
    channel = row.choice("channel", CHANNELS)
    if channel == "email_link" and email is None and not row.text("email"):
        row.problem("channel", _("%(channel)s needs the member's email address in the %(column)s column. Add it, or "
                                 "choose another channel.", channel="email_link", column="email"))
    consents = row.consents(role, birth) if role in MEMBER_ROLES else []
    if not member_ref or role not in MEMBER_ROLES:
        return None
    return MemberRecord(row.number, member_ref, role, name, birth[0], birth[1], phone, email, language, channel,
                        consents)
