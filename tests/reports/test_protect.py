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
    report = rates_report(40, 5)
    table = report.tables[0]
    table.rows.append({"factor": "Support network", "families": 40, "entry": 20, "entry_pct": 50.0, "mean": 3.1})
    shown = protect(report, 10)
    svg = ET.fromstring(str(shown.chart_svg))
    text = " ".join(svg.itertext())
    assert "[c]" in text and "12.5" not in text and "50" in text
    assert any("[c]" in line for line in shown.chart_summary)


def test_a_chart_whose_every_value_is_hidden_is_not_drawn():
    """One bar, hidden: no chart of marks, a sentence instead (issue 22)."""
    shown = protect(rates_report(40, 5), 10)
    assert str(shown.chart_svg) == ""
    assert "12.5" not in " ".join(str(line) for line in shown.chart_summary)


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


# --- The three reports that gave small numbers away or crashed (issue 14), attacked by brute force ---

import itertools  # noqa: E402

import pandas as pd  # noqa: E402

from feedback.reports import cost_benefit, follow_up, star  # noqa: E402


def marked_range(text, threshold=10, most=200):
    """What a reader knows of a hidden count from its mark."""
    return range(1, threshold) if text == f"<{threshold}" else range(threshold, most + 1)


def possible_parts(total, parts, percents=None):
    """Every way to fill the hidden parts of a row whose parts add up to ``total`` (a number, or a
    mark for a hidden total), each as its mark allows and its shown percentage (1 decimal) agrees."""
    hidden = [k for k, part in enumerate(parts) if isinstance(part, str)]
    totals = [total] if not isinstance(total, str) else list(marked_range(total))
    found = []
    for n in totals:
        for guess in itertools.product(*(marked_range(parts[k]) for k in hidden)):
            filled = list(parts)
            for k, value in zip(hidden, guess):
                filled[k] = value
            if sum(filled) != n:
                continue
            if percents and any(isinstance(p, float) and round(100 * x / n, 1) != p for x, p in zip(filled, percents)):
                continue
            found.append(tuple(filled))
    return found


def row_of(shown, table, label):
    json_table = to_json(shown)["tables"][table]
    first = json_table["columns"][0]["name"]
    return next(row for row in json_table["rows"] if row[first] == label)


def test_star_moves_never_give_a_hidden_part_away_by_subtraction():
    """Regression: the moved up / stayed / moved down table showed the total and two parts."""
    moves = pd.DataFrame([{"item_id": "health_practitioner", "families": 30, "first_sum": 120.0, "latest_sum": 150.0,
                           "up": 15, "same": 12, "down": 3}])
    gaps = pd.DataFrame([{"stem": "health", "families": 0, "gap_sum": 0.0}])
    shown = protect(star.compute(moves, gaps, {"health": "Health"}), 10)
    row = row_of(shown, 1, "Health (key worker)")
    families = row["families"] if not isinstance(row["families"], str) else \
        row_of(shown, 0, "Health")["practitioner_families"]
    fills = possible_parts(families, [row["up"], row["same"], row["down"]],
                           [row["up_pct"], row["same_pct"], row["down_pct"]])
    assert (15, 12, 3) in fills
    assert len({down for _, _, down in fills}) >= 4, fills   # the 3 is one of at least four values


def test_follow_up_with_one_small_answer_in_a_row_renders_and_hides_it():
    """Regression: follow-up was a 500 (the chart found one hidden part of a 100% bar)."""
    counts = pd.DataFrame([{"wave": "exit-3m", "item_id": "outcome_confidence", "value": v, "n": n}
                           for v, n in ((1, 14), (2, 12), (3, 2))])
    home = pd.DataFrame(columns=["wave", "item_id", "value", "n"])
    shown = protect(follow_up.compute(counts, home, {"outcome_confidence": "Confidence"}), 10)
    assert shown.chart_svg is not None or shown.chart_note
    row = row_of(shown, 0, "Confidence (3 months)")
    fills = possible_parts(row["answers"], [row["better"], row["same"], row["worse"]],
                           [row["better_pct"], row["same_pct"], row["worse_pct"]])
    assert (14, 12, 2) in fills and len({worse for *_, worse in fills}) >= 4


def test_cost_benefit_unit_savings_and_totals_give_no_hidden_count_back():
    """Regression: each unit saving, the total saving and the total avoided were shown, and solving
    for the hidden counts gave them back."""
    def moves(item, child, gone, stayed):
        return [{"item_id": item, "child": child, "before": 2, "after": 0, "n": gone},
                {"item_id": item, "child": child, "before": 2, "after": 2, "n": stayed}]
    member = pd.DataFrame(moves("risk_school_attendance", True, 3, 20) + moves("risk_neet", True, 15, 12)
                          + moves("risk_offending", True, 12, 30) + moves("risk_alcohol", False, 25, 5))
    family = pd.DataFrame(moves("risk_family_violence", None, 4, 9))
    savings = {o.key: (o.label, float(o.default_saving), "default") for o in cost_benefit.OUTCOMES}
    shown = protect(cost_benefit.compute(member, family, savings, 120, 500_000.0), 10)
    data = to_json(shown)
    outcomes = {row["outcome"]: row for row in data["tables"][0]["rows"]}
    totals = {row["measure"]: row["value"] for row in data["tables"][1]["rows"]}
    rated = [row for name, row in outcomes.items() if name != "Total" and row["at_risk"] != 0]
    unit = {row["outcome"]: row["unit"] for row in rated}
    hidden = [row["outcome"] for row in rated if isinstance(row["avoided"], str)]
    assert hidden, "the test needs hidden counts to attack"
    known = sum(row["avoided"] for row in rated if row["outcome"] not in hidden)
    known_saving = sum(row["avoided"] * unit[row["outcome"]] for row in rated if row["outcome"] not in hidden)
    fills = []
    for guess in itertools.product(*(marked_range(outcomes[name]["avoided"], most=60) for name in hidden)):
        avoided = dict(zip(hidden, guess))
        if any(avoided[name] > outcomes[name]["at_risk"] for name in hidden if not isinstance(outcomes[name]["at_risk"], str)):
            continue
        if not isinstance(outcomes["Total"]["avoided"], str) and known + sum(guess) != outcomes["Total"]["avoided"]:
            continue
        saving = known_saving + sum(avoided[name] * unit[name] for name in hidden)
        if not isinstance(totals["Total saving (£)"], str) and abs(saving - totals["Total saving (£)"]) > 0.5:
            continue
        if not isinstance(totals["Net benefit (£)"], str) and abs(saving - 500_000 - totals["Net benefit (£)"]) > 0.5:
            continue
        fills.append(avoided)
    assert {"Truancy (lifetime)": 3} .items() <= next(f for f in fills if f.get("Truancy (lifetime)") == 3).items()
    for name in hidden:
        if outcomes[name]["avoided"] == "<10":
            assert len({f[name] for f in fills}) >= 4, (name, fills[:5])


def test_cost_benefit_gives_each_value_its_own_format():
    """Families are a count, not "£3"; a loss is "−£4,693", not "£-4,693"."""
    def moves(item, gone, stayed):
        return [{"item_id": item, "child": False, "before": 2, "after": 0, "n": gone},
                {"item_id": item, "child": False, "before": 2, "after": 2, "n": stayed}]
    member = pd.DataFrame(moves("risk_alcohol", 20, 15))
    family = pd.DataFrame(columns=["item_id", "before", "after", "n"])
    savings = {o.key: (o.label, float(o.default_saving), "default") for o in cost_benefit.OUTCOMES}
    shown = protect(cost_benefit.compute(member, family, savings, 30, 48_613.0), 10)
    totals = {row[0].text: row[1].text for row in shown.tables[1].rows}
    assert totals["Families assessed at entry and exit"] == "30"
    assert totals["Total saving (£)"] == "£43,920"                      # 20 × £2,196
    assert totals["Net benefit (£)"] == "−£4,693"                        # £43,920 − £48,613
    assert totals["Saving per family (£)"] == "£1,464"


def test_a_report_whose_totals_are_not_sums_is_withheld_and_logged_never_a_server_error(caplog, monkeypatch):
    import logging

    # The migrations' logging setup switches existing loggers off when a test session migrates.
    monkeypatch.setattr(logging.getLogger("feedback.reports.protect"), "disabled", False)
    columns = [Column("group", "Group", "label"), Column("n", "Families")]
    table = Table("Broken", columns, [{"group": "A", "n": 30}, {"group": "Total", "n": 31}], total_row="Total")
    with caplog.at_level("ERROR", logger="feedback.reports.protect"):
        shown = protect(Report("broken", "Broken", [table]), 10)
    assert shown.empty and "Not enough data" in shown.empty and not shown.tables
    assert any("could not be described" in record.getMessage() for record in caplog.records)
