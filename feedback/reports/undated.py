"""Families a period cannot place: those of the chosen sites without the date their cohort is chosen by.

A report for a period counts the families whose support ended (or started) in it; a family with no
exit (or entry) date is in no period, so it is left out without a word, and a manager who sees "not
enough data" cannot tell a quiet period from records missing their dates. The report says how many.

The count is of records missing a date, not of people with a trait, but it is still a count of
families of the chosen sites: below the report threshold (with small numbers hidden) it is given
as "fewer than N", as every other small count is.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..families.models import Family
from .data import SUBJECTS, Filters

WORDS = {"exit": "exit date", "entry": "entry date"}


def undated_families(filters: Filters) -> int:
    """How many families of the filters' sites have no date of the filters' cohort (0 without a period)."""
    if filters.start is None and filters.end is None:
        return 0
    column = Family.exit_date if filters.cohort == "exit" else Family.entry_date
    query = sa.select(sa.func.count(Family.id)).where(column.is_(None), Family.status != "erased")
    if filters.site_ids is not None:
        query = query.where(Family.site_id.in_(filters.site_ids))
    return db.session.scalar(query) or 0


def undated_note(filters: Filters, report: str, threshold: int, suppress: bool = True) -> str:
    """The sentence a report with a period shows about families it cannot place, or "" when there are none
    (or the report's rows are not families)."""
    if report in SUBJECTS:
        return ""
    count = undated_families(filters)
    if not count:
        return ""
    what = WORDS[filters.cohort]
    if suppress and count < threshold:
        many = f"Fewer than {threshold} families have"
    else:
        many = f"{count:,} {'family has' if count == 1 else 'families have'}"
    still = " (a family still being supported has none yet)" if filters.cohort == "exit" else ""
    return (f"{many} no {what}{still} and cannot be placed in a period, so this report leaves them out. "
            f"Record the {what} on the family's page to count them.")
