"""scale-change against the attacker (tests/reports/attacker.py ``model_scale_change``): no hidden
count, class of reliable change or people behind alpha, can be worked out from what the report shows.

Inputs are generated as people's scores before and after (so the class counts, the threshold and
alpha come out of the report's own arithmetic), on the shipped family-functioning scale (a cut-off:
recovered is a class; alpha computed from the entry answers or given) and the family star's
parent total (no cut-off; first and latest reading), published and attacked as the other reports are.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.instruments.catalogue import load_catalogue
from feedback.instruments.reliability import ScaleReliability
from feedback.reports import scale_change
from tests.reports.attacker import attack
from tests.reports.test_attack import published

ROOT = Path(__file__).resolve().parents[2]
DAY = pd.Timestamp("2025-06-01")
CATALOGUE = load_catalogue(ROOT / "questionnaires")
FUNCTIONING = CATALOGUE.latest("family-functioning").scales[0]
STAR = next(s for s in CATALOGUE.latest("family-star").scales if s.id == "parent_total")
WAVES = {"entry": "Entry", "exit": "Exit", "exit-3m": "3 months after exit"}


def functioning_data(people, reliability=None, label="General functioning", follow_up=False):
    """Members' scores at entry and exit (and 3 months after exit, when ``follow_up``: the exit
    score again), with entry answers at each one's level (every other member's spread) for alpha."""
    scale = FUNCTIONING
    waves = ("entry", "exit", "exit-3m") if follow_up else ("entry", "exit")
    scores, answers, rid = [], [], 0
    for member, (before, after) in enumerate(people):
        for wave, level in zip(waves, (before, after, after)):
            rid += 1
            stamp = DAY + pd.Timedelta(days=rid)
            scores.append({"response_id": rid, "family_id": 100 + member // 2, "member_id": member, "wave": wave,
                           "completed_at": stamp, "scale_id": scale.id, "value": float(level)})
            if wave != "entry":
                continue
            for k, item in enumerate(scale.items):
                value = min(4, max(1, int(round(level)) + (((k + member) % 3) - 1 if member % 2 else 0)))
                answers.append({"response_id": rid, "family_id": 100 + member // 2, "member_id": member,
                                "wave": wave, "completed_at": stamp, "item_id": item,
                                "value": (5 - value) if item in scale.reverse else value})
    changes = (("entry", "exit"), ("entry", "exit-3m")) if follow_up else (("entry", "exit"),)
    return scale_change.ScaleData("family-functioning", scale, label, pd.DataFrame(scores), "member_id", changes,
                                  pd.DataFrame(answers), reliability, WAVES)


def star_data(families, reliability: float):
    """Families' first and latest parent readings on the family star (no cut-off; higher is better)."""
    rows = []
    for family, (first, latest) in enumerate(families):
        for reading, value in enumerate((first, latest)):
            rows.append({"response_id": family * 10 + reading, "family_id": family, "member_id": None, "wave": "exit",
                         "completed_at": DAY + pd.Timedelta(days=reading * 30 + family),
                         "scale_id": STAR.id, "value": float(value)})
    return scale_change.ScaleData("family-star", STAR, "Parent's reading", pd.DataFrame(rows), "family_id",
                                  scale_change.FIRST_LATEST, None,
                                  ScaleReliability(STAR.id, reliability, "alpha", "Local study", "higher"))


def assert_attacker_finds_nothing(report, threshold: int):
    data = published(report, threshold)
    result = attack(data, report.name, threshold)
    assert not result.unknown_tables, result.unknown_tables
    found = [str(d) for d in result.disclosed] + [f"{d} (shown below the threshold)" for d in result.shown_small]
    assert result.safe, f"scale-change at threshold {threshold} gives away:\n  " + "\n  ".join(found)
    return data, result


@st.composite
def people(draw, levels, low: int = 10, high: int = 60):
    """Between ``low`` and ``high`` (before, after) pairs: a few groups moving alike (so a class can
    be small beside large ones), topped up with people of their own."""
    pair = st.tuples(st.sampled_from(levels), st.sampled_from(levels))
    groups = draw(st.lists(st.tuples(pair, st.sampled_from([1, 2, 3, 5, 8, 14, 20])), max_size=4))
    found = [p for p, k in groups for _ in range(k)]
    top_up = max(0, low - len(found))
    found += draw(st.lists(pair, min_size=top_up, max_size=top_up + 12))
    return found[:high]


FUNCTIONING_LEVELS = [1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0]
STAR_LEVELS = list(range(1, 11))


@st.composite
def scale_change_inputs(draw):
    scales = []
    if draw(st.booleans()):   # with a cut-off: alpha given, or computed from the entry answers (its n shown)
        given_alpha = draw(st.one_of(st.none(), st.sampled_from([0.6, 0.8, 0.9])))
        reliability = ScaleReliability(FUNCTIONING.id, given_alpha, "alpha", "Manual") if given_alpha else None
        scales.append(functioning_data(draw(people(FUNCTIONING_LEVELS)), reliability,
                                       follow_up=draw(st.booleans())))
    if draw(st.booleans()) or not scales:   # without a cut-off
        scales.append(star_data(draw(people(STAR_LEVELS)), draw(st.sampled_from([0.6, 0.8, 0.9]))))
    if draw(st.booleans()):   # a second scale with a cut-off, under a label of its own
        data = functioning_data(draw(people(FUNCTIONING_LEVELS)), None, label="Functioning (second site)")
        data.instrument_id = "family-functioning-2"
        scales.append(data)
    return scales


@settings(max_examples=25, deadline=None, derandomize=True, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scales=scale_change_inputs(), threshold=st.integers(5, 12))
def test_no_hidden_count_can_be_worked_out_from_scale_change(scales, threshold):
    assert_attacker_finds_nothing(scale_change.compute(scales), threshold)


TWO_DETERIORATED = [(3.0, 1.5)] * 14 + [(2.5, 2.5)] * 14 + [(1.5, 3.5)] * 2 + [(2.25, 2.0)] * 12


def test_a_class_of_two_is_not_n_minus_the_other_classes():
    """42 members: 14 recovered, 26 unchanged, 2 deteriorated (reliability 0.9). The 2 is hidden;
    with n and the other classes shown it would be 42 − 14 − 0 − 26 = 2, so more is hidden, and
    the statistics table's n (the same 42) does not give it back either."""
    report = scale_change.compute([functioning_data(TWO_DETERIORATED, ScaleReliability(FUNCTIONING.id, 0.9, "alpha",
                                                                                       "M"))])
    classes = report.tables[1].rows[0]
    assert (classes["n"], classes["recovered"], classes["improved"], classes["unchanged"],
            classes["deteriorated"]) == (42, 14, 0, 26, 2)
    data, result = assert_attacker_finds_nothing(report, 10)
    assert result.examined >= 2
    row = data["tables"][1]["rows"][0]
    assert row["deteriorated"] == "<10"


def test_the_attacker_would_see_the_subtraction_if_it_were_shown():
    """The model is strong enough to matter: put back every figure the app hid except the small
    class and its share, and the attacker works it out as n minus the others."""
    report = scale_change.compute([functioning_data(TWO_DETERIORATED, ScaleReliability(FUNCTIONING.id, 0.9, "alpha",
                                                                                       "M"))])
    data = published(report, 10)
    true = report.tables[1].rows[0]
    leaked = copy.deepcopy(data)
    for table in leaked["tables"]:
        for row in table["rows"]:
            for name in ("n", "recovered", "improved", "unchanged", "recovered_pct", "improved_pct", "unchanged_pct"):
                if row.get(name) == "[c]":
                    row[name] = true[name]
    result = attack(leaked, "scale-change", 10)
    assert not result.unknown_tables
    assert [(d.column, d.low, d.high) for d in result.disclosed] == [("Deteriorated", 2, 2)]


def test_the_statistics_table_n_is_linked_to_the_classes():
    """With the class table's n hidden and the statistics table's shown, the attacker reads n there:
    the two are one unknown (shown here by hiding the class table's n by hand)."""
    report = scale_change.compute([functioning_data(TWO_DETERIORATED, ScaleReliability(FUNCTIONING.id, 0.9, "alpha",
                                                                                       "M"))])
    data = published(report, 10)
    true = report.tables[1].rows[0]
    leaked = copy.deepcopy(data)
    stats_row, class_row = leaked["tables"][0]["rows"][0], leaked["tables"][1]["rows"][0]
    stats_row["n"] = 42
    for name in ("recovered", "improved", "unchanged"):
        class_row[name] = true[name]
    class_row["n"] = "[c]"
    result = attack(leaked, "scale-change", 10)
    assert [(d.column, d.low, d.high) for d in result.disclosed] == [("Scored at both", 42, 42), ("Deteriorated", 2, 2)]


def test_people_behind_alpha_is_one_count_for_every_pair_of_waves_of_a_scale():
    """Alpha is computed once per scale: a hidden count behind it on one row is the count shown on another."""
    report = scale_change.compute([functioning_data(TWO_DETERIORATED, None, follow_up=True)])
    data = published(report, 10)
    rows = data["tables"][0]["rows"]
    assert len(rows) == 2 and rows[0]["alpha_n"] == rows[1]["alpha_n"] == 42
    leaked = copy.deepcopy(data)
    leaked["tables"][0]["rows"][1]["alpha_n"] = "<10"
    with pytest.raises(AssertionError, match="admit no solution"):
        attack(leaked, "scale-change", 10)
