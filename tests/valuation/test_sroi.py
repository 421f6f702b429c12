"""Social return on investment (``feedback.valuation.sroi``) and its tables in the cost-benefit report."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.reports import cost_benefit, risk_change
from feedback.reports.protect import protect, to_json
from feedback.valuation import sroi
from feedback.valuation.sroi import (Line, OutcomeAssumptions, Parameters, break_even, discount_factor,
                                     load_sroi_parameters, present_value, sensitivity, value)
from tests.reports.attacker import attack, attack_risk_and_cost
from tests.reports.test_attack import assert_nothing_disclosed, cost_benefit_data, published, thresholds

FILE = Path(__file__).resolve().parents[2] / "exports" / "valuation" / "sroi.yaml"
EXAMPLE = OutcomeAssumptions(deadweight=0.20, attribution=0.25, displacement=0.0, drop_off=0.10, benefit_years=3)


# --- the arithmetic ---------------------------------------------------------------------------

def test_a_hand_computed_three_year_example():
    """10 outcomes avoided, each worth £1,000 (the financial proxy); deadweight 20%, attribution
    25%, displacement 0%, drop-off 10% a year, over 3 years, discounted at 3.5%.

    Impact (year 1) = 10 × £1,000 × (1 − 0.20) × (1 − 0) × (1 − 0.25) = 10,000 × 0.8 × 0.75 = £6,000.
    Year 1: 6,000;  year 2: 6,000 × 0.9 = 5,400;  year 3: 6,000 × 0.9² = 4,860.
    Discount factors (Green Book, year 0 = 1): 1.035¹ = 1.035, 1.035² = 1.071225,
    1.035³ = 1.108717875.
      6,000 ÷ 1.035       = 5,797.1014…
      5,400 ÷ 1.071225    = 5,040.9578…
      4,860 ÷ 1.108717875 = 4,383.4416…
    Present value = 15,221.5008… → £15,221.50.
    Against an investment of £10,000: NPV = £5,221.50, SROI ratio = 1.5222 (£1.52 per £1).
    Break-even deadweight: PV is proportional to (1 − deadweight), so NPV = 0 where
    (1 − d) = 10,000 ÷ (15,221.5008 ÷ 0.8) = 0.525577…, d = 0.474423… (47.44%).
    """
    params = Parameters({"x": EXAMPLE})
    assert sroi.impact(10, 1000, EXAMPLE) == pytest.approx(6000)
    assert sroi.yearly_values(6000, EXAMPLE) == pytest.approx([6000, 5400, 4860])
    assert 6000 / 1.035 == pytest.approx(5797.1014, abs=1e-4)
    assert 5400 / 1.071225 == pytest.approx(5040.9578, abs=1e-4)
    assert 4860 / 1.108717875 == pytest.approx(4383.4416, abs=1e-4)
    pv = present_value(10, 1000, EXAMPLE)
    assert round(pv, 2) == 15221.50
    valuation = value([Line("x", 10, 1000)], params, 10_000)
    assert round(valuation.present_value, 2) == 15221.50
    assert round(valuation.npv, 2) == 5221.50
    assert round(valuation.ratio, 4) == 1.5222
    assert valuation.outcomes["x"][0] == pytest.approx(6000)
    dead = break_even([Line("x", 10, 1000)], params, 10_000, "deadweight")
    assert dead == pytest.approx(1 - 10_000 / (pv / 0.8), abs=1e-8) and round(dead, 4) == 0.4744
    # Plugged back in, the break-even deadweight leaves nothing over the investment.
    at = Parameters({"x": OutcomeAssumptions(dead, 0.25, 0.0, 0.10, 3)})
    assert value([Line("x", 10, 1000)], at, 10_000).npv == pytest.approx(0, abs=1e-4)
    # No investment: no NPV or ratio.
    assert value([Line("x", 10, 1000)], params).ratio is None


def test_an_outcome_counted_once_is_valued_once_whatever_its_drop_off():
    lifetime = OutcomeAssumptions(0.2, 0.25, 0.0, 0.5, 1, once=True)
    assert present_value(2, 44_468, lifetime) == pytest.approx(2 * 44_468 * 0.6 / 1.035)


def test_the_break_even_values_solve_npv_zero_and_are_none_out_of_range():
    lines = [Line("x", 10, 1000)]
    params = Parameters({"x": EXAMPLE})
    for name in ("attribution", "displacement", "drop_off", "discount_rate"):
        x = break_even(lines, params, 10_000, name)
        changed = sroi._with(params, name, x)
        assert value(lines, changed, 10_000).npv == pytest.approx(0, abs=1e-3), name
    # Worth more than the investment with everything taken off (deadweight at 100% leaves nothing,
    # so there is always a root when NPV > 0 at 0%); worth less even with nothing taken off: none.
    assert break_even(lines, params, 100_000, "deadweight") is None
    assert break_even(lines, params, 100_000, "benefit_years") is None
    assert break_even(lines, params, 10_000, "benefit_years") == 2.0   # 2 years: PV 10,838 ≥ 10,000
    rows = {row.assumption: row for row in sensitivity(lines, params, 10_000)}
    assert set(rows) == {"deadweight", "attribution", "displacement", "drop_off", "discount_rate", "benefit_years"}
    assert (rows["deadweight"].low, rows["deadweight"].high) == pytest.approx((0.10, 0.30))
    assert rows["displacement"].low == 0.0   # clipped at 0%
    assert rows["deadweight"].low_ratio > rows["deadweight"].high_ratio
    assert (rows["discount_rate"].low, rows["discount_rate"].high) == (0.015, 0.05)
    assert (rows["benefit_years"].low, rows["benefit_years"].high) == (2, 4)
    assert rows["benefit_years"].low_ratio == pytest.approx(value(lines, sroi._with(params, "benefit_years", 2),
                                                                  10_000).ratio)


def test_green_book_discount_factors_at_3_5_percent():
    assert [round(discount_factor(t), 4) for t in range(6)] == [1.0, 0.9662, 0.9335, 0.9019, 0.8714, 0.8420]
    assert round(discount_factor(30), 4) == 0.3563
    # Beyond year 30 the Green Book's rate declines: 3.0% for years 31–75, applied to year 30's factor.
    assert discount_factor(31) == pytest.approx(discount_factor(30) / 1.03)
    assert round(discount_factor(31), 4) == 0.3459
    assert discount_factor(75) == pytest.approx(discount_factor(30) / 1.03 ** 45)
    assert discount_factor(76) == pytest.approx(discount_factor(75) / 1.025)
    assert discount_factor(126) == pytest.approx(discount_factor(125) / 1.02)
    assert discount_factor(31, declining=False) == pytest.approx(1 / 1.035 ** 31)
    # A lower stated rate is never raised by the long-term bands.
    assert discount_factor(40, rate=0.015) == pytest.approx(1 / 1.015 ** 40)


# --- the parameters file ----------------------------------------------------------------------

def test_the_shipped_parameters_file_is_valid_draft_and_covers_every_outcome():
    params, problems = load_sroi_parameters(FILE)
    assert problems == [] and params.draft and params.discount_rate == 0.035
    assert set(params.outcomes) == {o.key for o in cost_benefit.OUTCOMES}
    for key, a in params.outcomes.items():
        assert set(a.sources) == {"deadweight", "attribution", "displacement", "drop_off", "benefit_years"}
        assert all(source.strip() for source in a.sources.values())
        if "lifetime" in next(o.label for o in cost_benefit.OUTCOMES if o.key == key):
            assert a.once and a.benefit_years == 1
    assert "Illustrative assumption, not from a study" in params.outcomes["truancy"].sources["deadweight"]
    # The export-profile loader reads exports/*.yaml only: this file is not a profile.
    from feedback.exports.profile import profile_files
    assert FILE not in profile_files(FILE.parents[1])


GOOD = FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("change, named", [
    (("deadweight: {value: 0.20,", "deadweight: {value: 20,"),
     "outcomes.teenage_pregnancy.deadweight: 20 is not a fraction"),
    (("attribution: {value: 0.25,", "attribution: {value: -0.1,"), "outcomes.teenage_pregnancy.attribution: -0.1"),
    (("drop_off: {value: 0.10, source: \"Illustrative assumption, not from a study: replace with your evaluation's "
      "own and mark reviewed\"}", "drop_off: {value: 0.10}"), "outcomes.teenage_pregnancy.drop_off: missing source"),
    (("benefit_years: {value: 3,", "benefit_years: {value: -2,"),
     "outcomes.teenage_pregnancy.benefit_years: -2 is not"),
    (("outcomes:\n", "outcomes:\n  smoking:\n    deadweight: {value: 0.1, source: x}\n"),
     "outcomes.smoking: unknown outcome"),
    (("  teenage_pregnancy:", "  teenage_pregnancy_typo:"), "outcomes.teenage_pregnancy: missing"),
    (("status: draft", "status: final"), "reviewed.status: 'final' is not one of draft, reviewed"),
    (("status: draft", "status: reviewed"), "reviewed: a reviewed file says who reviewed it"),
    (("value: 0.035", "value: 3.5"), "discount_rate: 3.5 is not a fraction"),
])
def test_a_bad_value_is_refused_naming_the_file_and_the_key(tmp_path, change, named):
    old, new = change
    assert old in GOOD
    path = tmp_path / "valuation" / "sroi.yaml"
    path.parent.mkdir()
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    params, problems = load_sroi_parameters(path)
    assert params is None
    assert any(problem.startswith("valuation/sroi.yaml: ") and named in problem for problem in problems), problems


def test_a_missing_or_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    params, problems = load_sroi_parameters(tmp_path / "none.yaml")
    assert params is None and problems == [f"{tmp_path.name}/none.yaml: no such file"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("outcomes: [\n", encoding="utf-8")
    params, problems = load_sroi_parameters(bad, display="exports/valuation/bad.yaml")
    assert params is None and problems[0].startswith("exports/valuation/bad.yaml: cannot be read")


# --- in the cost-benefit report ---------------------------------------------------------------

PARAMS = load_sroi_parameters(FILE, display=cost_benefit.shown_path(FILE))[0]
SAVINGS = {"teenage_pregnancy": ("Teenage pregnancy", 1600.0, "test"),
           "truancy": ("Truancy (lifetime)", 44468.0, "test")}
FAMILY = pd.DataFrame(columns=["item_id", "before", "after", "n"])


def members(pregnancy: int, truancy: int) -> pd.DataFrame:
    return pd.DataFrame([
        {"item_id": "risk_teenage_parent", "child": True, "before": 1, "after": 0, "n": pregnancy},
        {"item_id": "risk_teenage_parent", "child": True, "before": 2, "after": 1, "n": 16},
        {"item_id": "risk_school_attendance", "child": True, "before": 1, "after": 0, "n": truancy},
        {"item_id": "risk_school_attendance", "child": True, "before": 3, "after": 2, "n": 18},
    ])


def by_label(table, column):
    return {row[column]: row for row in table["rows"]} if isinstance(table, dict) else \
        {row[column]: row for row in table.rows}


def test_the_sroi_tables_on_a_small_frame():
    report = cost_benefit.compute(members(14, 12), FAMILY, SAVINGS, 40, 250_000, sroi=PARAMS, avoiding_any=13)
    titles = [table.title for table in report.tables]
    assert titles == ["Adverse outcomes avoided", "Totals", "Social return on investment",
                      "Social return on investment: totals", "Social return on investment: sensitivity",
                      "Families who avoided at least one adverse outcome"]
    rows = by_label(report.tables[2], "outcome")
    pregnancy, truancy = rows["Teenage pregnancy"], rows["Truancy (lifetime)"]
    # 14 × £1,600 × 0.8 × 0.75 = £13,440 in year 1, over 3 years with 10% drop-off at 3.5%.
    assert pregnancy["avoided"] == 14 and pregnancy["impact"] == pytest.approx(13_440)
    assert pregnancy["pv"] == pytest.approx(14 * 1600 * 0.6 * (1 / 1.035 + 0.9 / 1.035 ** 2 + 0.81 / 1.035 ** 3))
    assert (pregnancy["deadweight"], pregnancy["attribution"], pregnancy["years"]) == ("20.0%", "25.0%", 3)
    # Truancy's unit saving is a lifetime cost: counted once, one year.
    assert truancy["years"] == 1 and truancy["pv"] == pytest.approx(12 * 44_468 * 0.6 / 1.035)
    totals = by_label(report.tables[3], "measure")
    pv = pregnancy["pv"] + truancy["pv"]
    assert totals["Present value of benefits (£)"]["value"] == pytest.approx(pv)
    assert totals["Net present value (£)"]["value"] == pytest.approx(pv - 250_000)
    assert totals["SROI ratio (£ of social value per £1 invested)"]["value"] == pytest.approx(pv / 250_000)
    assert totals["Discount rate"]["value"].startswith("3.5%")
    assert "Green Book" in totals["Source of the discount rate"]["value"]
    assert "draft" in report.tables[2].note and "exports/valuation/sroi.yaml" in report.tables[2].note
    sensitivity_rows = by_label(report.tables[4], "assumption")
    assert set(sensitivity_rows) == {"Deadweight", "Attribution", "Displacement", "Drop-off (per year)",
                                     "Discount rate", "Benefit period (years)"}
    assert by_label(report.tables[5], "measure")["Families who avoided at least one adverse outcome"]["value"] == 13
    # Shown: nothing small, so everything is.
    shown = to_json(protect(report, 10))
    assert by_label(shown["tables"][3], "measure")["Net present value (£)"]["value"] == round(pv - 250_000, 2)
    # No programme cost: no NPV, ratio or sensitivity table.
    plain = cost_benefit.compute(members(14, 12), FAMILY, SAVINGS, 40, None, sroi=PARAMS)
    assert [t.title for t in plain.tables][2:] == ["Social return on investment", "Social return on investment: totals"]
    assert list(by_label(plain.tables[3], "measure")) == ["Present value of benefits (£)", "Discount rate",
                                                          "Source of the discount rate"]


def test_an_invalid_parameters_file_is_a_note_on_the_page_not_a_crash(tmp_path):
    path = tmp_path / "valuation" / "sroi.yaml"
    path.parent.mkdir()
    path.write_text(GOOD.replace("deadweight: {value: 0.20,", "deadweight: {value: 2,", 1), encoding="utf-8")
    params, problems = load_sroi_parameters(path)
    report = cost_benefit.compute(members(14, 12), FAMILY, SAVINGS, 40, 250_000, sroi=params, sroi_problems=problems)
    [note] = [t for t in report.tables if t.title == "Social return on investment: not worked out"]
    assert "valuation/sroi.yaml: outcomes.teenage_pregnancy.deadweight" in note.rows[0]["problem"]
    shown = to_json(protect(report, 10))
    assert shown["tables"][-1]["rows"][0]["problem"].startswith("valuation/sroi.yaml")
    assert not attack(shown, "cost-benefit", 10).unknown_tables


def test_sroi_money_is_hidden_with_its_count_and_gives_the_shown_count_back():
    """4 teenage pregnancies avoided (hidden), 12 truancies (shown). Arithmetic on what is shown:
    a present value ÷ the present value per outcome avoided is the count beside it; where the count
    is hidden, so are its impact and present value, and every total and ratio behind it."""
    report = cost_benefit.compute(members(4, 12), FAMILY, SAVINGS, 40, 250_000, sroi=PARAMS, avoiding_any=3)
    shown = to_json(protect(report, 10))
    tables = {table["title"]: table for table in shown["tables"]}
    rows = by_label(tables["Social return on investment"], "outcome")
    hidden, seen = rows["Teenage pregnancy"], rows["Truancy (lifetime)"]
    assert hidden["avoided"] == "<10" and hidden["pv"] == "[c]" and hidden["impact"] == "[c]"
    assert isinstance(hidden["pv_unit"], float)   # an assumption, not data: shown
    assert seen["avoided"] == 12 and round(seen["pv"] / seen["pv_unit"]) == 12
    assert abs(seen["pv"] / seen["pv_unit"] - 12) < 1e-3
    totals = by_label(tables["Social return on investment: totals"], "measure")
    for measure in ("Present value of benefits (£)", "Net present value (£)",
                    "SROI ratio (£ of social value per £1 invested)"):
        assert totals[measure]["value"] == "[c]", measure
    for row in tables["Social return on investment: sensitivity"]["rows"]:
        assert row["low_ratio"] == row["high_ratio"] == row["break_even"] == "[c]"
    avoiding = by_label(tables["Families who avoided at least one adverse outcome"], "measure")
    assert avoiding["Families who avoided at least one adverse outcome"]["value"] == "<10"
    result = attack(shown, "cost-benefit", 10)
    assert not result.unknown_tables and result.safe, [str(d) for d in result.disclosed]


def test_families_avoiding_any_outcome_are_hidden_while_an_outcome_count_is():
    """The families who avoided any outcome are at most the outcomes avoided added up. 4 teenage
    pregnancies avoided (hidden) beside 12 truancies (shown) and 15 families avoiding any would put
    the hidden count at 3 or more: so the 15 is hidden while any outcome's count is, and shown once
    every one is."""
    report = cost_benefit.compute(members(4, 12), FAMILY, SAVINGS, 40, 250_000, sroi=PARAMS, avoiding_any=15)
    tables = {table["title"]: table for table in to_json(protect(report, 10))["tables"]}
    avoiding = by_label(tables["Families who avoided at least one adverse outcome"], "measure")
    assert avoiding["Families who avoided at least one adverse outcome"]["value"] == "[c]"
    report = cost_benefit.compute(members(11, 12), FAMILY, SAVINGS, 40, 250_000, sroi=PARAMS, avoiding_any=15)
    tables = {table["title"]: table for table in to_json(protect(report, 10))["tables"]}
    outcomes = by_label(tables["Adverse outcomes avoided"], "outcome")
    assert all(isinstance(row["avoided"], int) for label, row in outcomes.items() if label != "Total")
    avoiding = by_label(tables["Families who avoided at least one adverse outcome"], "measure")
    assert avoiding["Families who avoided at least one adverse outcome"]["value"] == 15


def test_risk_change_and_cost_benefit_with_sroi_read_together_give_nothing_away():
    member = members(4, 12)
    labels = {"risk_teenage_parent": "Teenage parent", "risk_school_attendance": "School attendance"}
    risk = risk_change.compute(FAMILY, {}, member, labels)
    cost = cost_benefit.compute(member, FAMILY, SAVINGS, 40, 250_000, sroi=PARAMS, avoiding_any=3)
    outcomes = {"Teenage pregnancy": ("Members", "Teenage parent", "child"),
                "Truancy (lifetime)": ("Members", "School attendance", "child")}
    result = attack_risk_and_cost(published(risk, 10, alongside=[cost]), published(cost, 10, alongside=[risk]),
                                  outcomes, 10)
    assert not result.unknown_tables, result.unknown_tables
    assert result.examined and result.safe, [str(d) for d in result.disclosed]


@settings(max_examples=15, deadline=None, derandomize=True, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inputs=cost_benefit_data(), avoiding=st.integers(0, 30), threshold=thresholds)
def test_no_hidden_count_can_be_worked_out_with_the_sroi_tables(inputs, avoiding, threshold):
    report = cost_benefit.compute(*inputs, sroi=PARAMS, avoiding_any=avoiding)
    result = assert_nothing_disclosed(report, threshold)
    assert not result.unknown_tables, result.unknown_tables
