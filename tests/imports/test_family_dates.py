"""``entry_date`` and ``exit_date`` on a response file: set on a family that has none, never replacing one."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Family
from feedback.imports.service import import_responses
from feedback.waves.models import Invitation
from tests.conftest import table_count
from tests.families.helpers import family_with_members
from tests.imports.files import HOUSEHOLD, csv_bytes
from tests.imports.test_import import FILLED, household
from tests.staff.scene import snapshot

HEADINGS = HOUSEHOLD[:5] + ["entry_date", "exit_date"] + HOUSEHOLD[5:]


def row(case_ref: str, member_ref: str, entry: str = "", exit_: str = "") -> list:
    return ["north", case_ref, member_ref, "2025-06-01", "mother", entry, exit_] + FILLED[5:]


def imported(rows):
    return import_responses(csv_bytes(rows, HEADINGS), "dated.csv", household(), "exit", None, None)


def dates(case_ref: str) -> tuple:
    family = db.session.scalar(sa.select(Family).filter_by(case_ref=case_ref))
    return family.entry_date, family.exit_date


def test_the_files_dates_are_set_on_families_without_them_and_their_waves_planned(ctx, world):
    family, _members = family_with_members(world["north"], world["kw_north"], "C-1", entry=None)
    assert table_count(Invitation, family_id=family.id) == 0  # no date, nothing to plan from
    # Recent dates: the follow-up waves after the exit are still to come.
    entry, exit_ = date.today() - timedelta(days=200), date.today() - timedelta(days=10)
    outcome = imported([row("C-1", "M1", entry.isoformat(), exit_.isoformat()), row("N-9", "M1", "2025-02-03")])
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    assert dates("C-1") == (entry, exit_)
    assert dates("N-9") == (date(2025, 2, 3), None)  # a family the file brought in
    # Re-planned from the new dates, as a change on the family's page would be.
    assert table_count(Invitation, family_id=family.id) > 0


def test_a_date_equal_to_the_familys_is_left_alone_and_the_other_one_filled(ctx, world):
    family, _members = family_with_members(world["north"], world["kw_north"], "C-1", entry=date(2025, 1, 6))
    version = family.version
    outcome = imported([row("C-1", "M1", "2025-01-06", "2025-05-30"), row("C-1", "M2", "2025-01-06")])
    assert outcome.status == "imported", [str(p) for p in outcome.problems]
    assert dates("C-1") == (date(2025, 1, 6), date(2025, 5, 30))
    assert db.session.get(Family, family.id).version == version + 1  # one change: the exit date


def test_a_date_different_from_the_familys_refuses_the_file_naming_both_dates(ctx, world):
    family_with_members(world["north"], world["kw_north"], "C-1", entry=date(2025, 1, 6))
    before = snapshot()
    outcome = imported([row("C-1", "M1", "2025-01-06"), row("C-1", "M2", "2025-02-01")])
    assert outcome.status == "refused"
    [problem] = outcome.problems
    assert (problem.row, problem.column, problem.kind) == (3, "entry_date", "date_conflict")
    assert "Case C-1 has the entry date 2025-01-06 in the app; this row says 2025-02-01" in problem.message
    assert snapshot() == before
    assert dates("C-1") == (date(2025, 1, 6), None)


def test_rows_of_one_family_giving_different_dates_or_dates_out_of_order_are_problems(ctx, world):
    outcome = imported([row("N-1", "M1", exit_="2025-05-30"), row("N-1", "M2", exit_="2025-06-30"),
                        row("N-2", "M1", "2025-05-01", "2025-04-01"), row("N-3", "M1", "1 May 2025")])
    assert outcome.status == "refused"
    found = {(p.row, p.column): p for p in outcome.problems}
    assert sorted(found) == [(3, "exit_date"), (4, "entry_date"), (5, "entry_date")]
    assert "Row 2 gives case N-1 the exit date 2025-05-30; this row says 2025-06-30" in found[(3, "exit_date")].message
    assert "The exit date is before the entry date" in found[(4, "entry_date")].message
    assert found[(5, "entry_date")].kind == "not_a_date"
    assert table_count(Family) == 0
