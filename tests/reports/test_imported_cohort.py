"""A service's history brought in as a newcomer would: a few dozen families' levels of need at
entry and exit, with their dates, and nothing else. The reports then say what the data says —
need-flow counts every family, risk-change says the risks were not collected (never "no risk"),
response rates say nobody was invited — with and without a period."""
from __future__ import annotations

from datetime import date

import pytest

from feedback.imports.service import import_responses
from feedback.publishing.startup import current_catalogue
from feedback.reports.catalogue import run_report
from feedback.reports.data import Filters
from feedback.reports.protect import protect
from tests.imports.files import csv_bytes

#: Enough that each cell of need-flow's 4 × 4 table is above the threshold of 10.
FAMILIES = 150
PERIOD = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))


def cohort() -> tuple[list[list[str]], list[list[str]]]:
    """Entry levels 1–4 in turn; at exit, a third better, a third the same, a third worse (capped)."""
    entry, exit_ = [], []
    for n in range(FAMILIES):
        case, level = f"C-{n:03d}", 1 + n % 4
        change = (-1, 0, 1)[n % 3]
        started, ended = date(2024, 1 + n % 12, 5), date(2025, 1 + n % 12, 20)
        entry.append(["north", case, started.isoformat(), started.isoformat(), "", str(level)])
        exit_.append(["north", case, ended.isoformat(), "", ended.isoformat(), str(min(4, max(1, level + change)))])
    return entry, exit_


@pytest.fixture
def imported(ctx, world):
    assessment = current_catalogue().latest("practitioner-assessment")
    headings = ["site", "case_ref", "completed_on", "entry_date", "exit_date", "level_of_need"]
    entry, exit_ = cohort()
    for rows, wave in ((entry, "entry"), (exit_, "exit")):
        outcome = import_responses(csv_bytes(rows, headings), None, assessment, wave, None, None)
        assert outcome.status == "imported", [str(problem) for problem in outcome.problems]


def shown(name: str, filters: Filters):
    return protect(run_report(name, filters), 10)


@pytest.mark.parametrize("filters", [Filters(), PERIOD], ids=["any time", "left in 2025"])
def test_need_flow_counts_every_imported_family_entry_against_exit(imported, filters):
    report = shown("need-flow", filters)
    assert not report.empty, report.empty
    flow, change = report.tables
    total_row = next(row for row in flow.rows if row[0].text == "Total")
    assert total_row[-2].text == str(FAMILIES)  # every family assessed at both points is counted
    counts = {row[0].text: row[1].value for row in change.rows}
    assert counts["Total"] == FAMILIES
    assert counts["Improved (lower need at exit)"] + counts["Stayed the same"] + \
        counts["Escalated (higher need at exit)"] == FAMILIES


@pytest.mark.parametrize("filters", [Filters(), PERIOD], ids=["any time", "left in 2025"])
def test_risk_change_does_not_read_risks_never_asked_as_absent(imported, filters):
    report = shown("risk-change", filters)
    # Nothing about risks was collected: no family is counted as having, or not having, a risk.
    assert report.empty and "risk factor assessed" in report.empty and not report.tables


@pytest.mark.parametrize("filters", [Filters(), PERIOD], ids=["any time", "left in 2025"])
def test_response_rates_say_nobody_was_invited_rather_than_a_rate_of_nothing(imported, filters):
    report = shown("response-rates", filters)
    assert report.empty and "invitation" in report.empty and not report.tables
