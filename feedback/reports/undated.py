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
from flask_babel import gettext as _
from flask_babel import ngettext

from ..extensions import db
from ..families.models import Family
from .data import SUBJECTS, Filters


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
    # Whole sentences, so that each language words them its own way.
    if filters.cohort == "exit":
        if suppress and count < threshold:
            return _("Fewer than %(threshold)s families have no exit date (a family still being supported has "
                     "none yet) and cannot be placed in a period, so this report leaves them out. Record the exit "
                     "date on the family's page to count them.", threshold=threshold)
        return ngettext("%(num)s family has no exit date (a family still being supported has none yet) and cannot "
                        "be placed in a period, so this report leaves them out. Record the exit date on the "
                        "family's page to count them.",
                        "%(num)s families have no exit date (a family still being supported has none yet) and "
                        "cannot be placed in a period, so this report leaves them out. Record the exit date on the "
                        "family's page to count them.", count)
    if suppress and count < threshold:
        return _("Fewer than %(threshold)s families have no entry date and cannot be placed in a period, so this "
                 "report leaves them out. Record the entry date on the family's page to count them.",
                 threshold=threshold)
    return ngettext("%(num)s family has no entry date and cannot be placed in a period, so this report leaves them "
                    "out. Record the entry date on the family's page to count them.",
                    "%(num)s families have no entry date and cannot be placed in a period, so this report leaves "
                    "them out. Record the entry date on the family's page to count them.", count)
