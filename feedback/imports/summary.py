"""An import's problems as a person can read them: grouped, counted, with rows as ranges. Pure Python.

A file with a blank required column has a problem in every row; listing each one buries the one
thing to fix. The summary says it once: "gf12: 214 rows blank — rows 2–215". Problems group by
column and by kind (``Problem.kind``, set where the checks know what went wrong); a problem without
a kind groups only with problems of the same column and the very same message, so no group ever
claims rows that were wrong in another way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from .reading import HEADING_ROW
from .validation import Problem

#: What the rows of a group are, by kind: read after "N rows". Lazy: ``group_problems`` makes them text.
KIND_TEXT = {
    "blank": _l("blank"),
    "not_a_choice": _l("not one of the question's codes"),
    "not_a_number": _l("not a number the question takes"),
    "out_of_range": _l("outside the question's range"),
    "not_a_date": _l("not a date written as year-month-day"),
    "too_early": _l("a date too early"),
    "after_completed": _l("a date after the form was completed"),
    "in_future": _l("a date in the future"),
    "too_long": _l("longer than the question takes"),
    "unknown_site": _l("not the code of a site"),
    "not_your_site": _l("a site you may not import for"),
    "repeat": _l("repeating an earlier row (one response per person, or family, per wave)"),
    "already_answered": _l("already answered in the app for this wave"),
    "date_conflict": _l("a date different from the family's record"),
    "dates_out_of_order": _l("dates in the wrong order"),
}
#: Problem details shown before "and N more" on the page and from the command line.
DETAIL_LIMIT = 200
#: En dash between the ends of a range, as in print.
RANGE_DASH = "–"


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one kind in one column: what they are, and the rows they are in."""

    column: str | None
    #: The problems' kind, or None when they share a message instead.
    kind: str | None
    #: What is wrong: the kind in words, or the shared message.
    description: str
    #: The spreadsheet rows, ascending, each once (empty for a problem with the file as a whole).
    rows: tuple[int, ...]

    def __str__(self) -> str:
        if not self.rows:
            return self.description
        if self.rows == (HEADING_ROW,):
            where = _("Row 1 (headings)")
            if self.column:
                return _("%(where)s, %(column)s: %(message)s", where=where, column=self.column,
                         message=self.description)
            return _("%(where)s: %(message)s", where=where, message=self.description)
        values = dict(column=self.column or _("Whole row"), description=self.description,
                      rows=format_ranges(row_ranges(self.rows)))
        if self.kind:
            return ngettext("%(column)s: %(num)s row %(description)s — row %(rows)s",
                            "%(column)s: %(num)s rows %(description)s — rows %(rows)s", len(self.rows), **values)
        return ngettext("%(column)s: %(num)s row: %(description)s — row %(rows)s",
                        "%(column)s: %(num)s rows: %(description)s — rows %(rows)s", len(self.rows), **values)


def row_ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Row numbers as sorted, maximal runs of consecutive rows: [2, 3, 4, 7] → [(2, 4), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


def format_ranges(ranges: Sequence[tuple[int, int]]) -> str:
    """"7, 19, 40–41": a single row alone, a run as its first and last row."""
    return ", ".join(str(first) if first == last else f"{first}{RANGE_DASH}{last}" for first, last in ranges)


def group_problems(problems: Sequence[Problem]) -> list[ProblemGroup]:
    """One group per column and kind (or message, for a problem without a kind), in the order the
    problems come (the checks sort them by row, then column), so the file's own problems come first."""
    rows: dict[tuple, list[int]] = {}
    for problem in problems:
        # Other files' checks (families, partner contacts) may give no kind: grouped by message.
        kind = getattr(problem, "kind", None)
        key = (problem.column, kind, None if kind else problem.message, problem.row is None)
        found = rows.setdefault(key, [])
        if problem.row is not None:
            found.append(problem.row)
    groups = []
    for (column, kind, message, _whole_file), found in rows.items():
        description = str(KIND_TEXT.get(kind, kind)) if kind else message
        groups.append(ProblemGroup(column, kind, description, tuple(sorted(set(found)))))
    return groups


def summary_lines(problems: Sequence[Problem]) -> list[str]:
    """The groups as lines of text, for the command line."""
    return [str(group) for group in group_problems(problems)]


def capped(problems: Sequence[Problem], limit: int | None = DETAIL_LIMIT) -> tuple[Sequence[Problem], int]:
    """The first ``limit`` problems (all of them for None), and how many are left out."""
    if limit is None or len(problems) <= limit:
        return problems, 0
    return problems[:limit], len(problems) - limit
