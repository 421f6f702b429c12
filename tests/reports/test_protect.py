"""What a report shows once small numbers are protected: worked out by hand on small tables."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from feedback.reports.model import Chart, Column, Report, Table
from feedback.reports.protect import protect, to_json


def flow_report():
    """Need flow for 30 families: one escalated (1), the rest spread so the small cell's row and
    column each need a second hidden cell."""
    rows = [
        {"entry": "Targeted", "exit_1": 12, "exit_2": 10, "exit_3": 1, "total": 23},
        {"entry": "Specialist", "exit_1": 0, "exit_2": 7, "exit_3": 0, "total": 7},
        {"entry": "Total", "exit_1": 12, "exit_2": 17, "exit_3": 1, "total": 30},
    ]
    columns = [Column("entry", "Entry", "label"), Column("exit_1", "Exit 1"), Column("exit_2", "Exit 2"),
               Column("exit_3", "Exit 3"), Column("total", "Total")]
    return Report("need-flow", "Need", [Table("Flow", columns, rows, total_row="Total", total_column="total")])


def cell(shown, table, row, column):
    names = [c.name for c in shown.tables[table].columns]
    return shown.tables[table].rows[row][names.index(column)]


def test_small_counts_show_as_below_the_threshold_and_their_lines_hide_a_second_cell():
    shown = protect(flow_report(), 10)
    escalated = cell(shown, 0, 0, "exit_3")
    assert escalated.suppressed and escalated.text == "<10" and escalated.value is None
    # The Targeted row (12 + 10 + 1 = 23) would give the 1 away: another of its cells is hidden.
    assert sum(cell(shown, 0, 0, name).suppressed for name in ("exit_1", "exit_2", "exit_3", "total")) >= 2
    # So would the exit-3 column (1 + 0 = 1 with a shown total): its total is hidden too.
    assert sum(cell(shown, 0, n, "exit_3").suppressed for n in range(3)) >= 2
    specialist = cell(shown, 0, 1, "exit_2")
    assert specialist.suppressed and specialist.text == "<10"
    # A true zero names nobody and stays.
    assert cell(shown, 0, 1, "exit_1").text == "0" and not cell(shown, 0, 1, "exit_1").suppressed
    assert "Counts below 10" in shown.method


def test_no_hidden_value_reaches_the_json():
    data = to_json(protect(flow_report(), 10))
    [table] = data["tables"]
    assert table["rows"][0]["exit_3"] == "<10" and table["rows"][1]["exit_2"] == "<10"
    assert 1 not in table["rows"][0].values() or table["rows"][0]["exit_3"] != 1


def test_switched_off_everything_is_shown_and_the_method_says_so():
    shown = protect(flow_report(), 10, suppress=False)
    assert cell(shown, 0, 0, "exit_3").text == "1" and not any(
        c.suppressed for row in shown.tables[0].rows for c in row)
    assert "must not be published" in shown.method


def rates_report(families, with_factor):
    rows = [{"factor": "Stable home", "families": families, "entry": with_factor, "entry_pct": 100.0 * with_factor / families,
             "mean": 4.2}]
    columns = [Column("factor", "Factor", "label"), Column("families", "Families"), Column("entry", "With it"),
               Column("entry_pct", "%", "percent", base="families", numerator="entry"),
               Column("mean", "Mean", "mean", base="families")]
    return Report("resilience", "R", [Table("Factors", columns, rows)],
                  Chart("bars", "Share", 0, "factor", {"%": "entry_pct"}, unit="%"))


def test_a_percentage_goes_with_its_count_and_its_base():
    shown = protect(rates_report(40, 5), 10)          # the count is small
    assert cell(shown, 0, 0, "entry").suppressed and cell(shown, 0, 0, "entry_pct").suppressed
    # 95% of a shown 40 says no more than the shown 38 beside it: hiding it alone would protect nothing.
    shown = protect(rates_report(40, 38), 10)
    assert not cell(shown, 0, 0, "entry").suppressed and cell(shown, 0, 0, "entry_pct").text == "95.0%"
    shown = protect(rates_report(40, 20), 10)
    assert cell(shown, 0, 0, "entry_pct").text == "50.0%" and cell(shown, 0, 0, "mean").text == "4.20"


def test_a_mean_of_fewer_than_the_threshold_is_hidden_and_so_is_a_page_of_nothing_but_hidden_cells():
    shown = protect(rates_report(6, 3), 10)
    assert shown.empty and "Not enough data" in shown.empty and not shown.tables


def test_the_chart_draws_the_protected_values_only():
    shown = protect(rates_report(40, 5), 10)
    svg = ET.fromstring(str(shown.chart_svg))
    text = " ".join(svg.itertext())
    assert "[c]" in text and "12.5" not in text
    assert any("[c]" in line for line in shown.chart_summary)


def test_a_row_restating_another_tables_total_hides_what_that_row_hides():
    columns = [Column("group", "Channel", "label"), Column("sent", "Sent"), Column("completed", "Completed")]
    wave = Table("Exit", columns, [{"group": "Text", "sent": 30, "completed": 4},
                                   {"group": "Interview", "sent": 12, "completed": 11},
                                   {"group": "All channels", "sent": 42, "completed": 15}], total_row="All channels")
    summary = Table("By wave", columns, [{"group": "Exit", "sent": 42, "completed": 15}],
                    follows={0: (1, "All channels")})
    shown = protect(Report("response-rates", "R", [summary, wave]), 10)
    hidden_in_wave = {c.name for c, v in zip(columns, shown.tables[1].rows[2]) if v.suppressed}
    hidden_in_summary = {c.name for c, v in zip(columns, shown.tables[0].rows[0]) if v.suppressed}
    assert hidden_in_wave <= hidden_in_summary
