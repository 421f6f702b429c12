"""The optional ``entry_date`` and ``exit_date`` columns of a response file. Pure Python.

Forms from another system often say when the family's support started and ended; the waves and
the reports' periods hang on those dates. A file's date fills the family's when the app has none
yet (stored through ``families.service.update_family``, which re-plans the family's waves). It never
replaces one: a date different from the family's record, or from an earlier row of the same family,
is a problem of that row naming both dates, for a person to decide which is right.
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Mapping

from ..families.service import FamilyError, check_dates
from .cells import parse_date

FAMILY_DATE_COLUMNS = ("entry_date", "exit_date")
EARLIEST_YEAR = 1900
WORDS = {"entry_date": "entry date", "exit_date": "exit date"}


class FamilyDates:
    """The family dates of a file's rows, checked against the app's and against earlier rows."""

    def __init__(self, known: Mapping[tuple[str, str], tuple[date | None, date | None, date | None]],
                 columns: list[str]):
        #: (site code, case_ref) → (referral, entry, exit) dates on record, for families the app has.
        self.known = known
        self.columns = [name for name in FAMILY_DATE_COLUMNS if name in columns]
        #: (site code, case_ref) → column → (date, the row that first gave it).
        self.given: dict[tuple[str, str], dict[str, tuple[date, int]]] = {}

    def check(self, number: int, site: str, case_ref: str, cells: Mapping[str, str],
              problem: Callable[..., None]) -> dict[str, date]:
        """The row's family dates by column; each unreadable or conflicting one is a ``problem``."""
        dates = {}
        for column in self.columns:
            text = cells.get(column, "").strip()
            if not text:
                continue
            value = parse_date(text)
            if value is None:
                problem(column, f"‘{text}’ is not a date written as year-month-day, like 2024-03-27.", "not_a_date")
            elif value.year < EARLIEST_YEAR:
                problem(column, f"{value.isoformat()} is before {EARLIEST_YEAR}. Check the year.", "too_early")
            else:
                dates[column] = value
        if not dates or not (site and case_ref):
            return dates
        family = (site, case_ref)
        referral, *recorded = self.known.get(family, (None, None, None))
        earlier = self.given.setdefault(family, {})
        for column, value in list(dates.items()):
            on_record = dict(zip(FAMILY_DATE_COLUMNS, recorded))[column]
            if on_record is not None and on_record != value:
                problem(column, f"Case {case_ref} has the {WORDS[column]} {on_record.isoformat()} in the app; this "
                                f"row says {value.isoformat()}. Correct the file, or the family's record: an import "
                                "never changes a date the app has.", "date_conflict")
                del dates[column]
            elif column in earlier and earlier[column][0] != value:
                first, row = earlier[column]
                problem(column, f"Row {row} gives case {case_ref} the {WORDS[column]} {first.isoformat()}; this row "
                                f"says {value.isoformat()}. A family has one {WORDS[column]}: correct one of the rows.",
                        "date_conflict")
                del dates[column]
            else:
                earlier.setdefault(column, (value, number))
        if dates:
            entry = dates.get("entry_date") or _first(earlier, "entry_date") or recorded[0]
            exit_ = dates.get("exit_date") or _first(earlier, "exit_date") or recorded[1]
            try:
                check_dates(referral, entry, exit_)
            except FamilyError as refusal:
                problem(next(iter(dates)), f"Case {case_ref}: {refusal} (entry {_iso(entry)}, exit {_iso(exit_)}"
                                           f"{f', referral {referral.isoformat()}' if referral else ''}).",
                        "dates_out_of_order")
                return {}
        return dates


def _first(earlier: Mapping[str, tuple[date, int]], column: str) -> date | None:
    return earlier[column][0] if column in earlier else None


def _iso(value: date | None) -> str:
    return value.isoformat() if value else "none"
