"""Derived figures: level counts over like items and parent − practitioner reading gaps."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from feedback.exports.derived import add_level_counts, add_reading_gaps, count_groups, reading_pairs
from feedback.instruments.loader import load_instrument

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"


def instrument(name):
    return load_instrument(ROOT / name / "v1.yaml")


def test_the_key_workers_risk_and_resilience_factors_form_groups_and_single_items_do_not():
    groups = {group.prefix: group for group in count_groups(instrument("practitioner-assessment"))}
    assert set(groups) == {"risk", "resilience"}
    assert len(groups["risk"].items) == 11 and len(groups["resilience"].items) == 12
    assert [groups["risk"].column(label) for _, label in groups["risk"].codes] == [
        "n_risk_no_concern", "n_risk_low", "n_risk_medium", "n_risk_high"]
    follow_up = {group.prefix for group in count_groups(instrument("follow-up"))}
    assert "outcome" in follow_up


def test_level_counts_count_each_code_and_leave_missing_codes_out():
    assessment = instrument("practitioner-assessment")
    risk_items = next(g for g in count_groups(assessment) if g.prefix == "risk").items
    rows = [dict.fromkeys(risk_items, 0), dict.fromkeys(risk_items, None)]
    rows[0].update({risk_items[0]: 3, risk_items[1]: 3, risk_items[2]: 1, risk_items[3]: -8})
    table = pd.DataFrame(rows, dtype=object)
    counted, variables = add_level_counts(table, assessment)
    assert counted.loc[0, ["n_risk_no_concern", "n_risk_low", "n_risk_medium", "n_risk_high"]].tolist() == [7, 1, 0, 2]
    assert counted.loc[0, "n_risk_answered"] == 10  # the "not known" item is not answered
    assert counted.loc[1, "n_risk_answered"] == 0 and counted.loc[1, "n_risk_high"] == 0
    assert {v.name for v in variables} >= {"n_risk_high", "n_risk_answered"}
    assert all(v.type == "numeric" and v.scoring_rule for v in variables)


def test_a_group_with_an_item_left_out_gets_no_counts():
    assessment = instrument("practitioner-assessment")
    risk_items = next(g for g in count_groups(assessment) if g.prefix == "risk").items
    table = pd.DataFrame([dict.fromkeys(risk_items[1:], 3)], dtype=object)
    counted, variables = add_level_counts(table, assessment)
    assert not any(c.startswith("n_risk_") for c in counted.columns)


def test_star_readings_give_parent_minus_practitioner_gaps_without_missing_codes():
    star = instrument("family-star")
    table = pd.DataFrame({"health_parent": [7, 3, -9, None], "health_practitioner": [5, 6, 4, 4],
                          "score_parent_total": [6.5, 2.0, np.nan, 5.0],
                          "score_practitioner_total": [5.0, 4.25, 4.0, np.nan]}, dtype=object)
    gapped, variables = add_reading_gaps(table, star)
    assert gapped["gap_health"].tolist()[:2] == [2, -3] and gapped["gap_health"].iloc[2:].isna().all()
    assert gapped["gap_total"].tolist()[:2] == [1.5, -2.25] and gapped["gap_total"].iloc[2:].isna().all()
    assert {v.name for v in variables} == {"gap_health", "gap_total"}


def test_reading_pairs_need_both_readings():
    assert reading_pairs(["a_parent", "a_practitioner", "b_parent", "c_practitioner"]) == [
        ("a", "a_parent", "a_practitioner")]
    assert reading_pairs(["score_parent_total", "score_practitioner_total", "parent_x"]) == [
        ("total", "score_parent_total", "score_practitioner_total")]
