"""Each report against a small fixture whose figures were worked out by hand (before suppression:
``test_protect`` covers hiding small numbers)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from feedback.reports.pairs import distribution, transitions
from feedback.reports import (cost_benefit, exit_feedback, family_functioning, follow_up, need_flow, resilience,
                              response_rates, risk_change, star)

T0 = datetime(2026, 1, 1, 12)


def rows(records, columns):
    """A long answers frame from (family, member, wave, item, value[, role]) tuples. One response
    per person and wave holds their answers; an item answered again at the same wave starts a
    new, later response (a re-assessment), whose answers then count."""
    frame, responses, seen = [], {}, {}
    for record in records:
        family, member, wave, item, value, *rest = record
        again = seen.get((family, member, wave, item), -1) + 1
        seen[(family, member, wave, item)] = again
        response = responses.setdefault((family, member, wave, again), len(responses) + 1)
        frame.append({"response_id": response, "family_id": family, "member_id": member, "wave": wave,
                      "completed_at": T0 + timedelta(days=response), "item_id": item, "value": value,
                      "member_role": rest[0] if rest else None})
    return pd.DataFrame(frame, columns=columns or None)


def table_rows(table, key):
    return {row[key]: row for row in table.rows}


LEVELS = {1: "Universal", 2: "Targeted", 3: "Specialist", 4: "Statutory"}


def test_need_flow_counts_families_with_both_readings_and_the_latest_reading_of_a_wave():
    answers = rows([
        (1, None, "entry", "level_of_need", 3), (1, None, "exit", "level_of_need", 2),   # improved
        (2, None, "entry", "level_of_need", 2), (2, None, "exit", "level_of_need", 2),   # same
        (3, None, "entry", "level_of_need", 2), (3, None, "exit", "level_of_need", 4),   # escalated
        (4, None, "entry", "level_of_need", 4), (4, None, "exit", "level_of_need", 3),
        (4, None, "exit", "level_of_need", 1),                                            # re-assessed: 4 → 1
        (5, None, "entry", "level_of_need", 1),                                           # no exit: left out
        (6, None, "entry", "level_of_need", -8), (6, None, "exit", "level_of_need", 1),  # not a level
    ], None)
    report = need_flow.compute(transitions(answers, "family_id"), LEVELS)
    flow, change = report.tables
    by_entry = table_rows(flow, "entry")
    assert by_entry["Specialist"]["exit_2"] == 1 and by_entry["Targeted"]["exit_2"] == 1
    assert by_entry["Targeted"]["exit_4"] == 1 and by_entry["Statutory"]["exit_1"] == 1
    assert by_entry["Total"]["total"] == 4 and by_entry["Targeted"]["total"] == 2
    assert by_entry["Targeted"]["total_pct"] == 50.0
    assert [by_entry["Total"][f"exit_{c}"] for c in LEVELS] == [1, 2, 0, 1]
    summary = table_rows(change, "change")
    assert summary["Improved (lower need at exit)"]["families"] == 2
    assert summary["Stayed the same"]["families"] == 1
    assert summary["Escalated (higher need at exit)"]["families"] == 1
    assert summary["Improved (lower need at exit)"]["pct"] == 50.0


def test_need_flow_with_no_pairs_says_not_enough_data():
    report = need_flow.compute(transitions(rows([(1, None, "entry", "level_of_need", 2)], None), "family_id"), LEVELS)
    assert report.empty and "Not enough data" in report.empty and not report.tables


def test_risk_change_compares_the_same_families_and_ignores_not_known():
    labels = {"risk_debt": "Family debt", "risk_housing": "Housing"}
    family = rows([
        (1, None, "entry", "risk_debt", 3), (1, None, "exit", "risk_debt", 0),
        (2, None, "entry", "risk_debt", 1), (2, None, "exit", "risk_debt", 1),
        (3, None, "entry", "risk_debt", 0), (3, None, "exit", "risk_debt", 2),
        (4, None, "entry", "risk_debt", 2), (4, None, "exit", "risk_debt", -8),   # not known at exit
        (1, None, "entry", "risk_housing", 0), (1, None, "exit", "risk_housing", 0),
    ], None)
    member = rows([(1, 11, "entry", "risk_alcohol", 2), (1, 11, "exit", "risk_alcohol", 1)], None)
    report = risk_change.compute(transitions(family, "family_id"), labels, transitions(member, "member_id"),
                                 {"risk_alcohol": "Alcohol"})
    change, levels, paths, member_change, _member_levels, _member_paths = report.tables
    debt = table_rows(change, "factor")["Family debt"]
    assert (debt["assessed"], debt["concern_entry"], debt["concern_exit"]) == (3, 2, 2)
    # Family 1 went from high to none; family 2 stayed low; family 3's concern arose during support.
    assert (debt["gone"], debt["gone_pct"]) == (1, 50.0)     # of the 2 at risk at entry
    assert debt["net"] == 0.0                                 # (2 − 2) ÷ 3 assessed
    assert (debt["concern_entry_pct"], debt["concern_exit_pct"]) == (66.7, 66.7)
    housing = table_rows(change, "factor")["Housing"]
    assert housing["concern_entry"] == 0 and housing["gone_pct"] is None   # no misleading 0%
    debt_levels = table_rows(levels, "factor")["Family debt"]
    assert [debt_levels[f"entry_{c}"] for c in range(4)] == [1, 1, 0, 1]
    assert [debt_levels[f"exit_{c}"] for c in range(4)] == [1, 1, 1, 0]
    # Those at risk at entry, by level, and where they were at exit.
    by_path = table_rows(paths, "path")
    assert set(by_path) == {"Family debt: low at entry", "Family debt: high at entry"}
    assert [by_path["Family debt: high at entry"][f"to_{c}"] for c in range(4)] == [1, 0, 0, 0]
    assert [by_path["Family debt: low at entry"][f"to_{c}"] for c in range(4)] == [0, 1, 0, 0]
    alcohol = table_rows(member_change, "factor")["Alcohol"]
    assert (alcohol["concern_entry"], alcohol["concern_exit"], alcohol["gone"], alcohol["net"]) == (1, 1, 0, 0.0)


def test_risk_change_net_change_differs_from_those_no_longer_at_risk_when_a_concern_arises():
    labels = {"risk_debt": "Family debt"}
    family = rows([(f, None, wave, "risk_debt", value) for f, (before, after) in enumerate([(2, 0), (1, 0), (0, 3), (0, 0)])
                   for wave, value in (("entry", before), ("exit", after))], None)
    report = risk_change.compute(transitions(family, "family_id"), labels, transitions(family.iloc[:0], "member_id"), {})
    debt = table_rows(report.tables[0], "factor")["Family debt"]
    assert (debt["gone"], debt["gone_pct"]) == (2, 100.0)      # both at risk at entry were not at exit
    assert debt["net"] == -25.0                                 # 2 at entry, 1 at exit, of 4 assessed


def test_resilience_means_and_shares_at_entry_and_exit():
    counts = pd.DataFrame([
        {"family_id": 1, "wave": "entry", "completed_at": T0, "value": 4.0},
        {"family_id": 1, "wave": "exit", "completed_at": T0 + timedelta(1), "value": 9.0},
        {"family_id": 2, "wave": "entry", "completed_at": T0, "value": 6.0},
        {"family_id": 2, "wave": "exit", "completed_at": T0 + timedelta(1), "value": 7.0},
        {"family_id": 3, "wave": "entry", "completed_at": T0, "value": 2.0},            # no exit
    ])
    answers = rows([(1, None, "entry", "resilience_home", 0), (1, None, "exit", "resilience_home", 1),
                    (2, None, "entry", "resilience_home", 1), (2, None, "exit", "resilience_home", 1)], None)
    report = resilience.compute(counts, transitions(answers, "family_id"), {"resilience_home": "Stable home"})
    means, factors = report.tables
    by_wave = table_rows(means, "wave")
    assert by_wave["Entry"]["mean"] == 5.0 and by_wave["Exit"]["mean"] == 8.0
    assert by_wave["Change (exit − entry)"]["mean"] == 3.0 and by_wave["Entry"]["families"] == 2
    home = table_rows(factors, "factor")["Stable home"]
    assert (home["entry"], home["entry_pct"], home["exit"], home["exit_pct"]) == (1, 50.0, 2, 100.0)


def test_family_functioning_means_cutoff_shares_and_paired_change():
    scores = pd.DataFrame([
        {"member_id": 1, "wave": "entry", "completed_at": T0, "value": 2.5, "flagged": True},
        {"member_id": 1, "wave": "exit", "completed_at": T0 + timedelta(1), "value": 1.5, "flagged": False},
        {"member_id": 2, "wave": "entry", "completed_at": T0, "value": 2.0, "flagged": True},
        {"member_id": 2, "wave": "exit", "completed_at": T0 + timedelta(1), "value": 2.5, "flagged": True},
        {"member_id": 3, "wave": "entry", "completed_at": T0, "value": 1.0, "flagged": False},
    ])
    report = family_functioning.compute(scores, "At or above the cut-off")
    waves, change = report.tables
    entry, exit_ = table_rows(waves, "wave")["Entry"], table_rows(waves, "wave")["Exit"]
    assert (entry["members"], entry["mean"], entry["flagged"]) == (3, round(5.5 / 3, 2), 2)
    assert entry["flagged_pct"] == 66.7 and (exit_["members"], exit_["mean"], exit_["flagged_pct"]) == (2, 2.0, 50.0)
    [pair] = change.rows
    assert pair["members"] == 2 and pair["change"] == -0.25   # (−1.0 + 0.5) ÷ 2


def test_star_first_and_latest_readings_distance_and_gap():
    def reading(n, family, day, parent, practitioner):
        return [{"response_id": n, "family_id": family, "completed_at": T0 + timedelta(days=day),
                 "item_id": "health_parent", "value": parent},
                {"response_id": n, "family_id": family, "completed_at": T0 + timedelta(days=day),
                 "item_id": "health_practitioner", "value": practitioner}]
    answers = pd.DataFrame(reading(1, 1, 0, 5, 3) + reading(2, 1, 90, 8, 6) + reading(3, 1, 180, 9, 7)
                           + reading(4, 2, 0, 6, 6) + reading(5, 2, 90, 6, 5) + reading(6, 3, 0, 4, 2))
    report = star.compute(*star.summarise(answers, ["health"]), {"health": "Promoting good health"})
    means, moves = report.tables
    [row] = means.rows
    assert row["parent_families"] == 2 and row["parent_first"] == 5.5 and row["parent_latest"] == 7.5
    assert row["parent_travelled"] == 2.0
    assert row["practitioner_first"] == 4.5 and row["practitioner_latest"] == 6.0 and row["practitioner_travelled"] == 1.5
    # Gap at each family's latest reading: 9−7, 6−5, 4−2 → mean 5/3.
    assert row["gap_families"] == 3 and row["gap"] == round(5 / 3, 2)
    parent_moves = table_rows(moves, "area")["Promoting good health (parent)"]
    assert (parent_moves["up"], parent_moves["same"], parent_moves["down"]) == (1, 1, 0)
    keyworker = table_rows(moves, "area")["Promoting good health (key worker)"]
    assert (keyworker["up"], keyworker["down"], keyworker["down_pct"]) == (1, 1, 50.0)


def test_follow_up_shares_per_area_and_wave_and_children_at_home_per_family():
    answers = rows([
        (1, 11, "exit-3m", "outcome_behaviour", 1), (1, 12, "exit-3m", "outcome_behaviour", 2),
        (2, 21, "exit-3m", "outcome_behaviour", 1), (2, 22, "exit-3m", "outcome_behaviour", -9),
        (1, 11, "exit-12m", "outcome_behaviour", 3),
        (1, 11, "exit-3m", "children_at_home", 1), (1, 12, "exit-3m", "children_at_home", 1),
        (2, 21, "exit-3m", "children_at_home", 0),
    ], None)
    waves = list(follow_up.WAVES)
    report = follow_up.compute(distribution(answers, "member_id", waves), distribution(answers, "family_id", waves),
                               {"outcome_behaviour": "Behaviour"})
    areas, home = report.tables
    three = table_rows(areas, "area")["Behaviour (3 months)"]
    assert (three["answers"], three["better"], three["same"], three["worse"]) == (3, 2, 1, 0)
    assert three["better_pct"] == 66.7
    assert table_rows(areas, "area")["Behaviour (12 months)"]["worse_pct"] == 100.0
    [at_home] = home.rows
    assert (at_home["families"], at_home["home"], at_home["home_pct"]) == (2, 1, 50.0)


def test_exit_feedback_distributions_with_totals():
    answers = rows([(1, 11, "exit", "overall_rating", 5), (1, 12, "exit", "overall_rating", 4),
                    (2, 21, "exit", "overall_rating", 5), (2, 21, "exit", "got_plan_copy", 1),
                    (1, 11, "exit", "got_plan_copy", 0), (1, 12, "exit", "got_plan_copy", -9)], None)
    questions = {"overall_rating": ("Overall", {n: str(n) for n in range(1, 6)}),
                 "got_plan_copy": ("Copy of plan", {1: "Yes", 0: "No", -9: "Prefer not to say"})}
    rating, plan = exit_feedback.compute(distribution(answers, "member_id", ["exit"]), questions).tables
    assert [r["people"] for r in rating.rows] == [0, 0, 0, 1, 2, 3] and rating.rows[-1]["answer"] == "Total"
    assert table_rows(rating, "answer")["5"]["pct"] == 66.7
    assert [r["people"] for r in plan.rows] == [1, 1, 1, 3]


def test_response_rates_per_wave_and_channel_median_days_and_attrition():
    def invitation(family, wave, channel, state, sent_day=None, done_day=None, opened=False):
        return {"family_id": family, "wave": wave, "channel": channel, "state": state,
                "sent_at": T0 + timedelta(days=sent_day) if sent_day is not None else None, "opened": opened,
                "completed_at": T0 + timedelta(days=done_day) if done_day is not None else None}
    invitations = pd.DataFrame([
        invitation(1, "exit", "sms_link", "completed", 0, 2, True),
        invitation(2, "exit", "sms_link", "completed", 0, 6, True),
        invitation(3, "exit", "sms_link", "expired", 0, None, True),
        invitation(4, "exit", "sms_link", "cancelled"),
        invitation(5, "exit", "interview", "completed", 1, 2),
        invitation(1, "exit-3m", "sms_link", "completed", 0, 1, True),
        invitation(5, "exit-3m", "sms_link", "sent", 0),
    ])
    report = response_rates.compute(*response_rates.summarise(invitations), ["exit", "exit-3m"],
                                    {"exit": "Exit", "exit-3m": "3 months"})
    summary, exit_wave, three_months, attrition = report.tables
    links = table_rows(exit_wave, "group")["Link by text"]
    assert (links["asked"], links["sent"], links["opened"], links["completed"], links["expired"]) == (3, 3, 3, 2, 1)
    assert links["rate"] == 66.7 and links["median_days"] == 4.0
    everyone = table_rows(exit_wave, "group")["All channels"]
    assert (everyone["asked"], everyone["completed"], everyone["rate"]) == (4, 3, 75.0)
    assert exit_wave.total_row == "All channels" and [r["group"] for r in three_months.rows] == ["Link by text",
                                                                                                 "All channels"]
    assert table_rows(summary, "group")["3 months"]["rate"] == 50.0
    assert summary.follows == {0: (1, "All channels"), 1: (2, "All channels")}
    [step] = attrition.rows
    assert (step["families"], step["kept"], step["lost"], step["lost_pct"]) == (3, 1, 2, 66.7)


def test_cost_benefit_counts_an_outcome_avoided_only_from_risk_at_entry_to_none_at_exit():
    member = rows([
        (1, 11, "entry", "risk_offending", 2, "child"), (1, 11, "exit", "risk_offending", 0, "child"),
        (1, 12, "entry", "risk_offending", 3, "child"), (1, 12, "exit", "risk_offending", 1, "child"),
        (2, 21, "entry", "risk_offending", 0, "child"), (2, 21, "exit", "risk_offending", 0, "child"),
        (2, 22, "entry", "risk_offending", 2, "mother"), (2, 22, "exit", "risk_offending", 0, "mother"),  # adult
    ], None)
    family = rows([(1, None, "entry", "risk_family_violence", 1), (1, None, "exit", "risk_family_violence", 0)], None)
    savings = {o.key: (o.label, float(o.default_saving), "default") for o in cost_benefit.OUTCOMES}
    member["child"] = member["member_role"].isin(["child", "young_person"])
    report = cost_benefit.compute(transitions(member, "member_id", by="child"), transitions(family, "family_id"),
                                  savings, families=2, programme_cost=50_000)
    outcomes, totals = report.tables
    offending = table_rows(outcomes, "outcome")["Youth offending"]
    assert (offending["at_risk"], offending["avoided"], offending["saving"]) == (2, 1, 22_576)
    assert offending["neutral"] == 3   # ⌈50,000 ÷ 22,576⌉
    violence = table_rows(outcomes, "outcome")["Domestic violence (adult)"]
    assert (violence["at_risk"], violence["avoided"], violence["saving"]) == (1, 1, 19_707)
    summary = table_rows(totals, "measure")
    assert summary["Total saving (£)"]["value"] == 22_576 + 19_707
    assert summary["Net benefit (£)"]["value"] == 22_576 + 19_707 - 50_000
    assert summary["Saving per family (£)"]["value"] == (22_576 + 19_707) / 2
    assert summary["Families assessed at entry and exit"]["value"] == 2 and totals.row_kinds == {0: "count"}


@pytest.mark.parametrize("module, call", [
    (need_flow, lambda m: m.compute(transitions(rows([], ["response_id", "family_id", "member_id", "wave",
                                                          "completed_at", "item_id", "value", "member_role"]),
                                                "family_id"), LEVELS)),
    (follow_up, lambda m: m.compute(*[distribution(rows([], ["response_id", "family_id", "member_id", "wave",
                                                           "completed_at", "item_id", "value", "member_role"]),
                                                 key, list(follow_up.WAVES)) for key in ("member_id", "family_id")],
                                    {"outcome_x": "X"})),
])
def test_an_empty_cohort_is_not_enough_data_not_a_crash(module, call):
    report = call(module)
    assert report.empty and not report.tables
