"""The line in words above each report chart, made from the drawn (protected) values only, and the
sentence shown instead of a chart whose every value is hidden."""
from __future__ import annotations

import re

import pytest

from feedback.reports.charts import (
    all_hidden, bar_chart_headline, dumbbell_chart_headline, stacked_bar_chart_headline,
)
from feedback.reports.drawing import chart_summary, render_chart, too_small_text
from feedback.reports.model import Chart, Column, Report, Table
from feedback.reports.protect import protect
from tests.conftest import sign_in
from tests.reports.seeding import assessed_family

WAVES = ["Exit interview", "3-month follow-up", "12-month follow-up"]


def test_bars_name_the_highest_and_lowest_drawn_values():
    assert bar_chart_headline(WAVES, {"Completed": [82.0, 60.0, 41.0]}, value_format="{:.0f}%") == (
        "Highest: Exit interview, 82%; lowest: 12-month follow-up, 41%.")
    assert bar_chart_headline(["North", "South"], {"Invited": [40, 25], "Responded": [22, 12]}) == (
        "Highest: North (Invited), 40; lowest: South (Responded), 12.")


def test_a_hidden_value_never_appears_and_the_line_says_shown():
    line = bar_chart_headline(WAVES, {"Completed": [82.0, None, 41.0]}, value_format="{:.0f}%")
    assert line == "Highest shown: Exit interview, 82%; lowest shown: 12-month follow-up, 41%."
    assert "3-month" not in line
    assert bar_chart_headline(WAVES, {"Completed": [None, 55.0, None]}, value_format="{:.0f}%") == (
        "Only one value is shown: 3-month follow-up, 55%.")
    assert bar_chart_headline(WAVES, {"Completed": [None, None, None]}) is None
    assert bar_chart_headline(WAVES, {"Completed": [50.0, 50.0, None]}, value_format="{:.0f}%") == (
        "Every value shown is 50%.")


def test_stacked_and_dumbbell_lines_use_shown_values_only():
    parts = {"Better": [45.0, None], "Same": [30.0, None], "Worse": [25.0, None]}
    assert stacked_bar_chart_headline(["Confidence", "Routines"], parts) == (
        "Only one bar is shown: Confidence, Better 45%, Same 30%, Worse 25%.")
    parts = {"Better": [None, 60.0, 20.0], "Same": [None, 40.0, 80.0]}
    assert stacked_bar_chart_headline(["A", "B", "C"], parts) == (
        "Highest shown: B (Better), 60%; lowest shown: C (Better), 20%.")
    line = dumbbell_chart_headline(["Confidence", "Routines", "Sleep"], [2.1, 3.0, None], [3.4, 3.2, 4.9],
                                   scale=(1, 5))
    assert line == "Largest change shown: Confidence, up 1.3 (from 2.1 to 3.4)."
    assert "4.9" not in line   # Sleep's reading at exit is drawn, but has no pair: no change is claimed
    assert dumbbell_chart_headline(["A", "B"], [None, None], [3.0, 4.0], scale=(1, 5)) == (
        "Highest shown: B (At exit), 4.0; lowest shown: A (At exit), 3.0.")


def rates_report(rows):
    columns = [Column("wave", "Wave", "label"), Column("invited", "Invited"), Column("completed", "Completed"),
               Column("rate", "%", "percent", base="invited", numerator="completed")]
    table = [{"wave": wave, "invited": invited, "completed": completed, "rate": 100.0 * completed / invited}
             for wave, invited, completed in rows]
    return Report("response-rates", "Response rates", [Table("Rates", columns, table)],
                  Chart("bars", "Completion rate by wave", 0, "wave", {"Completion rate": "rate"}, unit="%"))


def test_from_a_protected_table_the_hidden_rate_is_in_neither_the_line_nor_the_chart():
    shown = protect(rates_report([("Exit interview", 40, 33), ("12-month follow-up", 40, 3),
                                  ("3-month follow-up", 40, 20)]), 10)
    headline = shown.chart_summary.headline
    assert headline == "Highest shown: Exit interview, 82%; lowest shown: 3-month follow-up, 50%."
    assert "12-month" not in headline and not re.search(r"\b(8|7\.5)%", headline)
    assert "[c]" in str(shown.chart_svg)


def test_a_chart_of_nothing_but_hidden_values_is_one_sentence_instead():
    categories, series = WAVES, {"Completion rate": [None, None, None]}
    assert all_hidden(*series.values()) and not all_hidden([None, 1.0])
    assert render_chart("bars", "Rates", categories, series, "%", "[c]") == ""
    summary = chart_summary("bars", "Rates", categories, series, "%", "[c]")
    assert list(summary) == [] and summary.headline is None
    assert summary.too_small == "The numbers are too small to show as a chart."   # no page: no count
    assert render_chart("dumbbell", "Scores", ["A"], {"In": [None], "Out": [None]}, "1–10", "[c]") == ""
    assert render_chart("stacked", "Parts", ["A"], {"Up": [None], "Down": [None]}, "%", "[c]") == ""


def test_the_sentence_gives_the_family_count_or_fewer_than_the_threshold():
    # Rounded to the nearest ten: the cohort's exact size is no figure of the disclosure audit.
    assert too_small_text(25, 10) == ("The numbers are too small to show as a chart: this page covers about 30 "
                                      "families.")
    assert "covers about 10 families" in too_small_text(12, 10)
    assert too_small_text(4, 10) == ("The numbers are too small to show as a chart: this page covers fewer than "
                                     "10 families.")
    assert "covers 4 families" in too_small_text(4, 10, exact=True)   # small numbers shown, for internal use


def test_a_page_whose_chart_would_be_all_hidden_says_so_with_its_family_count(app, world):
    """North: 12 families, 5 improved, 5 stayed the same, 2 escalated: every share in the chart is
    of fewer than 10 families, so hidden; the page covers 12 families, said to the nearest ten."""
    with app.app_context():
        for n, (entry, exit_) in enumerate([(3, 2)] * 5 + [(3, 3)] * 5 + [(3, 4)] * 2):
            assessed_family(world, f"N-{n}", "north", entry, exit_)
    client = sign_in(app.test_client(), "manager_north@example.org")
    html = client.get("/staff/reports/need-flow").get_data(as_text=True)
    if "Not enough data" in html:
        pytest.fail("the page shows nothing: choose a scene with some figure shown")
    assert "<svg" not in html
    assert "The numbers are too small to show as a chart: this page covers about 10 families." in html


@pytest.mark.parametrize("count, said", [(7, "fewer than 10 families")])
def test_a_small_cohort_is_given_as_fewer_than_the_threshold(app, world, count, said):
    with app.app_context():
        for n in range(count):
            assessed_family(world, f"N-{n}", "north", 3, 2)
    client = sign_in(app.test_client(), "manager_north@example.org")
    html = client.get("/staff/reports/need-flow").get_data(as_text=True)
    assert "<svg" not in html
    assert said in html or "Not enough data" in html
    assert f"covers {count} families" not in html
