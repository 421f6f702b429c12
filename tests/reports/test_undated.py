"""A report for a period says how many families of its sites have no date to place them in one."""
from __future__ import annotations

import json
from datetime import date

import pytest

from feedback.reports.data import Filters
from feedback.reports.undated import undated_families
from tests.conftest import sign_in
from tests.families.helpers import family_with_members
from tests.reports.seeding import north_need_flow

FOURTEEN = ("14 families have no exit date (a family still being supported has none yet) and cannot be placed in "
            "a period")


@pytest.fixture
def undated(app, world):
    """North: 27 families that left in March 2026 and 14 still supported (no exit date); south: 3 with none."""
    with app.app_context():
        north_need_flow(world)
        for n in range(14):
            family_with_members(world["north"], None, f"N-U{n}", entry=date(2025, 11, 1), members=())
        for n in range(3):
            family_with_members(world["south"], None, f"S-U{n}", entry=None, members=())
    return world


def test_only_families_of_the_chosen_sites_without_the_cohorts_date_are_counted(ctx, undated):
    north, south = (undated["north"],), (undated["south"],)
    assert undated_families(Filters(site_ids=north, start=date(2026, 1, 1))) == 14
    assert undated_families(Filters(site_ids=north + south, end=date(2026, 6, 30))) == 17
    assert undated_families(Filters(site_ids=south, start=date(2026, 1, 1), cohort="entry")) == 3
    assert undated_families(Filters(site_ids=north)) == 0  # no period: every family is in


def test_the_page_says_how_many_families_a_period_cannot_place(app, undated):
    client = sign_in(app.test_client(), "manager_north@example.org")
    html = client.get("/staff/reports/need-flow?start=2026-01-01&end=2026-12-31").get_data(as_text=True)
    assert FOURTEEN in html
    assert "no exit date" not in client.get("/staff/reports/need-flow").get_data(as_text=True)


def test_an_empty_period_says_why_as_well_as_not_enough_data(app, undated):
    client = sign_in(app.test_client(), "manager_north@example.org")
    html = client.get("/staff/reports/need-flow?start=2027-01-01").get_data(as_text=True)
    assert "Not enough data" in html and FOURTEEN in html


def test_a_count_below_the_threshold_is_given_as_fewer_than_it(app, undated):
    client = sign_in(app.test_client(), "manager_south@example.org")
    html = client.get("/staff/reports/need-flow?start=2026-01-01&cohort=entry").get_data(as_text=True)
    assert "Fewer than 10 families have no entry date and cannot be placed in a period" in html


def test_the_command_line_and_its_downloads_say_so_too(app, undated):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "need-flow", "--site", "north", "--from", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert FOURTEEN in result.stdout.splitlines()[2]   # under the title and the filters
    data = json.loads(runner.invoke(args=["report", "need-flow", "--site", "north", "--from", "2026-01-01",
                                          "--format", "json"]).stdout)
    assert data["missing_dates"].startswith("14 families have no exit date")
