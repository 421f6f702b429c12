"""cost-benefit: adverse outcomes avoided, what they would have cost, and whether the programme
paid for itself.

Published practice counts an outcome as avoided only for someone at risk of it at entry (any level
of concern above none) and no longer at risk at exit (no concern), then multiplies by a unit
saving. Each outcome is read from one risk factor of the key worker's assessments, for children or
adults (by the member's role) or for the family. The unit savings are the service's own table
(``UnitSaving``), seeded with the illustrative 2010 values from one English evaluation and
labelled as such until the service replaces them.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l

from ..valuation import sroi as sroi_model
from .disclosure import Ratio, Sum, total
from .model import Column, Chart, Report, Table, not_enough
from .risk_change import LEVELS, atoms_of

NAME, TITLE = "cost-benefit", "Cost and benefit: adverse outcomes avoided"
#: The sensitivity table's assumptions in the page's language (the valuation module is pure, its
#: ``LABELS`` English; written out here so extraction finds each).
ASSUMPTIONS = {"deadweight": _l("Deadweight"), "attribution": _l("Attribution"), "displacement": _l("Displacement"),
               "drop_off": _l("Drop-off (per year)"), "discount_rate": _l("Discount rate"),
               "benefit_years": _l("Benefit period (years)")}


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    #: "member" (member-assessment) or "family" (practitioner-assessment).
    level: str
    item: str
    #: "child", "adult" or None (anyone).
    who: str | None
    default_saving: int


#: Illustrative unit savings (£ per individual) from one 2010 English evaluation; defaults only.
OUTCOMES = (
    Outcome("teenage_pregnancy", "Teenage pregnancy", "member", "risk_teenage_parent", "child", 1_600),
    Outcome("truancy", "Truancy (lifetime)", "member", "risk_school_attendance", "child", 44_468),
    Outcome("neet", "Not in education, employment or training (lifetime)", "member", "risk_neet", "child", 97_000),
    Outcome("asb_child", "Anti-social behaviour (child)", "member", "risk_antisocial_behaviour", "child", 5_350),
    Outcome("youth_offending", "Youth offending", "member", "risk_offending", "child", 22_576),
    Outcome("drugs_child", "Drug misuse (child)", "member", "risk_drugs", "child", 8_614),
    Outcome("child_protection", "Child protection", "member", "risk_child_protection", "child", 36_653),
    Outcome("unemployment", "Unemployment (adult)", "family", "risk_employment", None, 7_800),
    Outcome("alcohol_adult", "Alcohol misuse (adult)", "member", "risk_alcohol", "adult", 2_196),
    Outcome("drugs_adult", "Drug misuse (adult)", "member", "risk_drugs", "adult", 8_614),
    Outcome("asb_adult", "Anti-social behaviour (adult)", "member", "risk_antisocial_behaviour", "adult", 5_350),
    Outcome("domestic_violence", "Domestic violence (adult)", "family", "risk_family_violence", None, 19_707),
)
DEFAULT_SOURCE = "Illustrative default (2010 English evaluation): replace with your own"
#: The social-return assumptions (``valuation.sroi``); the app's ``FEEDBACK_SROI_PARAMETERS`` may
#: name another file. In a subfolder of exports/, which the export-profile loader (exports/*.yaml) never reads.
SROI_PARAMETERS = Path(__file__).resolve().parents[2] / "exports" / "valuation" / "sroi.yaml"


def shown_path(path) -> str:
    """How the page names the parameters file: from the project's folder where it is in it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(SROI_PARAMETERS.parents[2]))
    except ValueError:
        return str(path)


def avoided(moves: pd.DataFrame, outcome: Outcome) -> tuple[int, int]:
    """(at risk at entry, of whom no longer at risk at exit) for one outcome, from transition
    counts (members' split by a ``child`` column)."""
    rated = moves[(moves["item_id"] == outcome.item) & moves["before"].isin([0, 1, 2, 3])
                  & moves["after"].isin([0, 1, 2, 3])]
    if outcome.who is not None:
        rated = rated[rated["child"] == (outcome.who == "child")]
    at_risk = rated[rated["before"].astype(int) > 0]
    return int(at_risk["n"].sum()), int(at_risk.loc[at_risk["after"].astype(int) == 0, "n"].sum())


def compute(member_moves: pd.DataFrame, family_moves: pd.DataFrame, savings: dict[str, tuple[str, float, str]],
            families: int, programme_cost: float | None, families_atoms: tuple | None = None,
            sroi: sroi_model.Parameters | None = None, sroi_problems: Sequence[str] = (),
            avoiding_any: int | None = None) -> Report:
    """``savings``: outcome key → (label, £ per individual, source); ``families``: families in the
    cohort assessed at both entry and exit; ``programme_cost``: £ for the same period, if entered;
    ``families_atoms``: the atoms of that count where another report shows it too (need-flow's
    families by level of need at entry and exit, whose total it is).

    ``sroi``: the social-return assumptions (``valuation.sroi``), when read; ``sroi_problems``: why
    they could not be (the file's bad values, each named), shown instead of the SROI tables;
    ``avoiding_any``: families with at least one outcome avoided (``data.families_avoiding_any``)."""
    rows, made_of = [], {}
    for outcome in OUTCOMES:
        if outcome.key not in savings:
            continue
        label, unit, source = savings[outcome.key]
        at_risk, gone = avoided(member_moves if outcome.level == "member" else family_moves, outcome)
        # The atoms: risk-change's, those rated at entry and exit on the outcome's risk factor (the
        # same families and members, so the two reports are protected together).
        who = "families" if outcome.level == "family" else "members"
        age = None if outcome.who is None else outcome.who

        def of(test, item=outcome.item, who=who, age=age):
            return Sum.of(cell for b in LEVELS for a in LEVELS if test(b, a)
                          for cell in atoms_of(who, item, b, a, age))

        made_of[(len(rows), "at_risk")] = of(lambda b, a: b > 0)
        made_of[(len(rows), "avoided")] = of(lambda b, a: b > 0 and a == 0)
        rows.append({"outcome": label, "at_risk": at_risk, "avoided": gone, "unit": unit,
                     "saving": gone * unit, "source": source,
                     "neutral": math.ceil(programme_cost / unit) if programme_cost and unit else None})
    if not families or not any(row["at_risk"] for row in rows):
        return not_enough(NAME, TITLE, _("a risk assessed at both entry and exit"))
    saved = total(made_of[(n, "avoided")] * row["unit"] for n, row in enumerate(rows))
    total_saving = sum(row["saving"] for row in rows)
    made_of[(len(rows), "saving")] = saved
    total_label = _("Total")
    rows.append({"outcome": total_label, "at_risk": sum(r["at_risk"] for r in rows),
                 "avoided": sum(r["avoided"] for r in rows), "unit": None, "saving": total_saving, "source": "",
                 "neutral": None})
    outcomes = Table(_("Adverse outcomes avoided"), [
        Column("outcome", _("Outcome"), "label"), Column("at_risk", _("At risk at entry")),
        Column("avoided", _("No longer at risk at exit")), Column("unit", _("Unit saving (£)"), "money"),
        Column("saving", _("Saving (£)"), "money", numerator="avoided", factor="unit"),
        Column("neutral", _("Needed to cover the programme cost"), "number"),
        Column("source", _("Source of the unit saving"), "label")],
        rows, total_row=total_label, made_of=made_of,
        # The totals are shown only when every outcome's counts are: a total beside a hidden count
        # is a subtraction away from it, and a total of savings weighted by unit savings a puzzle
        # with usually one answer. Shown, they add nothing, which keeps each outcome (with
        # risk-change's tables of its factor, published alongside) a small audit of its own.
        derived={(len(rows) - 1, "at_risk"): [(n, "at_risk") for n in range(len(rows) - 1)],
                 (len(rows) - 1, "avoided"): [(n, "avoided") for n in range(len(rows) - 1)],
                 (len(rows) - 1, "saving"): [(n, "avoided") for n in range(len(rows) - 1)]},
        note=_("An outcome is avoided when someone at risk at entry (any concern) has no concern at exit. "
               "'Needed to cover the programme cost' is how many people would have to avoid that outcome "
               "alone for its savings to equal the cost (cost neutrality)."))
    assessed = Sum.of(families_atoms or [(NAME, "families assessed")])
    summary_rows = [{"measure": _("Families assessed at entry and exit"), "value": families},
                    {"measure": _("Total saving (£)"), "value": total_saving},
                    {"measure": _("Saving per family (£)"), "value": total_saving / families}]
    summary_made_of = {(0, "value"): assessed, (1, "value"): saved, (2, "value"): Ratio(saved, assessed)}
    if programme_cost:
        summary_made_of[(4, "value")] = saved - programme_cost
        summary_made_of[(5, "value")] = Ratio(Sum(constant=programme_cost), assessed)
        summary_rows += [{"measure": _("Programme cost (£, entered)"), "value": programme_cost},
                         {"measure": _("Net benefit (£)"), "value": total_saving - programme_cost},
                         {"measure": _("Cost per family (£)"), "value": programme_cost / families}]
    # The total saving and what is worked out from it follow from the outcomes table.
    everything_avoided = [(0, n, "avoided") for n in range(len(rows) - 1)]
    summary_derived = {(1, "value"): everything_avoided, (2, "value"): [(1, "value"), (0, "value")]}
    if programme_cost:
        summary_derived[(4, "value")] = [(1, "value")]
    summary = Table(_("Totals"), [Column("measure", _("Measure"), "label"), Column("value", _("Value"), "money")],
                    summary_rows, made_of=summary_made_of, row_kinds={0: "count"}, derived=summary_derived,
                    note=_("Savings are estimates from unit costs, not cash released."))
    tables = [outcomes, summary]
    keys = [outcome.key for outcome in OUTCOMES if outcome.key in savings]
    if sroi is not None and not set(keys) <= set(sroi.outcomes):
        sroi_problems = [*sroi_problems, _("%(file)s: no assumptions for %(keys)s", file=sroi.file or "SROI parameters",
                                           keys=", ".join(sorted(set(keys) - set(sroi.outcomes))))]
        sroi = None
    if sroi is not None:
        tables += sroi_tables(rows[:-1], keys, made_of, sroi, programme_cost)
    elif sroi_problems:
        tables.append(Table(_("Social return on investment: not worked out"),
                            [Column("problem", _("What is wrong with the parameters file"), "label")],
                            [{"problem": problem} for problem in sroi_problems],
                            note=_("Correct the file (each value a fraction from 0 to 1 with its source) and open "
                                   "the report again.")))
    if avoiding_any is not None:
        tables.append(avoiding_table(families, avoiding_any, assessed, len(rows) - 1))
    return Report(NAME, TITLE, tables,
                  Chart("bars", _("Saving by outcome avoided"), 0, "outcome", {_("Saving (£)"): "saving"}, unit="£"))


#: The atom of the count of families who avoided at least one outcome: a count of its own.
AVOIDING_ANY = (NAME, "families avoiding any")


def avoiding_table(families: int, avoiding_any: int, assessed: Sum, outcomes: int = 0) -> Table:
    """Families who avoided at least one adverse outcome, beside the families assessed (restated
    from the Totals table, table 1, and hidden with it).

    The count is at most the outcomes avoided (table 0's first ``outcomes`` rows) added up, a bound
    the audit's sums cannot state: beside a hidden outcome count it could narrow it (30 families
    against 25 shown outcomes puts a hidden one at 5 or more). So it is shown only when every
    outcome's count is; then the bound tells nothing that is not shown."""
    return Table(_("Families who avoided at least one adverse outcome"), [
        Column("measure", _("Measure"), "label"), Column("value", _("Families"))],
        [{"measure": _("Families assessed at entry and exit"), "value": families},
         {"measure": _("Families who avoided at least one adverse outcome"), "value": avoiding_any}],
        made_of={(0, "value"): assessed, (1, "value"): Sum.of([AVOIDING_ANY])},
        derived={(0, "value"): [(1, 0, "value")]},
        hidden_with={(1, "value"): [(0, n, "avoided") for n in range(outcomes)]},
        note=_("A family counts once however many outcomes it avoided: the family itself, or one of its members "
               "(children or adults, as each outcome counts them), at risk at entry (any concern) and with no "
               "concern at exit on an outcome's risk factor."))


def _percent(value: float | None) -> str:
    return sroi_model.percent(value)


def sroi_tables(rows: list[dict], keys: list[str], made_of: dict, params: sroi_model.Parameters,
                programme_cost: float | None) -> list[Table]:
    """Social return on investment, from the outcomes table's rows (table 0: ``rows`` and their
    ``made_of``): per outcome, the totals, and (with a programme cost) the sensitivity table.

    Every sum of money here follows from a count of table 0 and figures the page shows beside it
    (the unit saving, the assumptions): each is declared ``derived``, hidden with its count, and the
    totals and the sensitivity table with any count behind them, so the audit has nothing new to
    solve (linking them as ``made_of`` made one large puzzle of every outcome: 61 s against 1.7 s)."""
    lines = [sroi_model.Line(key, row["avoided"], row["unit"]) for key, row in zip(keys, rows)]
    valuation = sroi_model.value(lines, params, programme_cost or None)
    every_count = [(0, n, "avoided") for n in range(len(rows))]
    sroi_rows, sroi_made_of, sroi_derived = [], {}, {}
    for n, (key, row) in enumerate(zip(keys, rows)):
        a = params.outcomes[key]
        first_year, pv, pv_unit = valuation.outcomes[key]
        sroi_made_of[(n, "avoided")] = made_of[(n, "avoided")]
        sroi_derived[(n, "avoided")] = [(0, n, "avoided")]
        sroi_derived[(n, "impact")] = [(n, "avoided")]
        sroi_derived[(n, "pv")] = [(n, "avoided")]
        sroi_rows.append({"outcome": row["outcome"], "avoided": row["avoided"], "unit": row["unit"],
                          "deadweight": _percent(a.deadweight), "attribution": _percent(a.attribution),
                          "displacement": _percent(a.displacement), "drop_off": _percent(a.drop_off),
                          "years": 1 if a.once else a.benefit_years,
                          "impact_unit": sroi_model.impact(1, row["unit"], a), "impact": first_year,
                          "pv_unit": pv_unit, "pv": pv})
    draft = _("draft: illustrative assumptions, not reviewed") if params.draft else \
        _("reviewed by %(by)s on %(on)s", by=params.review.by, on=params.review.on)
    where = _("The assumptions are read from %(file)s (%(status)s), each with its source there.",
              file=params.file or "exports/valuation/sroi.yaml", status=draft)
    per_outcome = Table(_("Social return on investment"), [
        Column("outcome", _("Outcome"), "label"), Column("avoided", _("No longer at risk at exit")),
        Column("unit", _("Financial proxy: unit saving (£)"), "money"),
        Column("deadweight", _("Deadweight"), "label"), Column("attribution", _("Attribution"), "label"),
        Column("displacement", _("Displacement"), "label"), Column("drop_off", _("Drop-off per year"), "label"),
        Column("years", _("Benefit period (years)"), "number"),
        Column("impact", _("Impact, year 1 (£)"), "money", numerator="avoided", factor="impact_unit"),
        Column("pv_unit", _("Present value per outcome avoided (£)"), "money"),
        Column("pv", _("Present value (£)"), "money", numerator="avoided", factor="pv_unit")],
        sroi_rows, made_of=sroi_made_of, derived=sroi_derived,
        note=_("Impact = outcomes avoided × unit saving × (1 − deadweight) × (1 − displacement) × (1 − attribution); "
               "each later year keeps (1 − drop-off) of the year before. Benefits in year t are discounted by the "
               "Green Book factor 1 ÷ (1 + r)^t (year 0, when the programme is paid for, is not discounted). "
               "Outcomes whose unit saving is a lifetime cost are counted once (one year). ") + where)
    rate = params.discount_rate
    pv_sum = total(made_of[(n, "avoided")] * pv_unit for n, (_first, _pv, pv_unit)
                   in enumerate(valuation.outcomes[key] for key in keys))
    total_rows = [{"measure": _("Present value of benefits (£)"), "value": valuation.present_value}]
    total_made_of = {(0, "value"): pv_sum}
    total_derived = {(0, "value"): every_count}
    kinds: dict[int, str] = {}
    if programme_cost:
        total_rows += [{"measure": _("Investment: programme cost (£, entered)"), "value": programme_cost},
                       {"measure": _("Net present value (£)"), "value": valuation.npv},
                       {"measure": _("SROI ratio (£ of social value per £1 invested)"), "value": valuation.ratio}]
        total_made_of[(2, "value")] = pv_sum - programme_cost
        total_derived[(2, "value")] = every_count
        total_derived[(3, "value")] = every_count
        kinds[3] = "mean"
    kinds[len(total_rows)] = kinds[len(total_rows) + 1] = "label"
    total_rows += [{"measure": _("Discount rate"),
                    "value": _("%(rate)s, declining after year 30 (Green Book)", rate=_percent(rate))
                    if params.declining else _percent(rate)},
                   {"measure": _("Source of the discount rate"), "value": params.discount_source}]
    totals = Table(_("Social return on investment: totals"),
                   [Column("measure", _("Measure"), "label"), Column("value", _("Value"), "money")],
                   total_rows, made_of=total_made_of, row_kinds=kinds, derived=total_derived,
                   note=_("Net present value = present value of benefits − investment; SROI ratio = present value ÷ "
                          "investment. Shown only when every count behind them is. ") + where)
    tables = [per_outcome, totals]
    if programme_cost:
        rows_out = []
        for line in sroi_model.sensitivity(lines, params, programme_cost):
            rows_out.append({"assumption": str(ASSUMPTIONS[line.assumption]),
                             "base": _shown_value(line.assumption, line.base, _("differs by outcome")),
                             "low": _shown_value(line.assumption, line.low), "low_ratio": line.low_ratio,
                             "high": _shown_value(line.assumption, line.high), "high_ratio": line.high_ratio,
                             # A number, not text: it follows from the counts, and is hidden with them.
                             "break_even": None if line.break_even is None else (
                                 line.break_even if line.assumption == "benefit_years" else 100 * line.break_even)})
        tables.append(Table(_("Social return on investment: sensitivity"), [
            Column("assumption", _("Assumption"), "label"), Column("base", _("As assumed"), "label"),
            Column("low", _("Lower value"), "label"), Column("low_ratio", _("SROI ratio at the lower value"), "number"),
            Column("high", _("Higher value"), "label"),
            Column("high_ratio", _("SROI ratio at the higher value"), "number"),
            Column("break_even", _("Break-even value (percent or years: net present value £0)"), "number")],
            rows_out, row_kinds={r: "mean" for r in range(len(rows_out))},
            derived={(r, name): every_count for r in range(len(rows_out))
                     for name in ("low_ratio", "high_ratio", "break_even")},
            note=_("Each assumption moved on its own: deadweight, attribution, displacement and drop-off 10 "
                   "percentage points lower and higher for every outcome (within 0–100%%); the discount rate at "
                   "1.5%% and 5%%; the benefit period a year shorter and longer (outcomes counted once unchanged). "
                   "The break-even value is the value, the same for every outcome, at which the net present value "
                   "is £0, as a percentage (for the benefit period, the fewest whole years at which it is £0 or "
                   "more); '–' where there is none within 0–100%% (or 1–%(most)s years).", most=sroi_model.MAX_YEARS)))
    return tables


def _shown_value(assumption: str, value, otherwise: str = "–") -> str:
    """An assumption's value as text: a percentage, or years."""
    if value is None:
        return otherwise
    if isinstance(value, str):
        return value
    if assumption == "benefit_years":
        return ngettext("%(num)s year", "%(num)s years", int(value))
    return _percent(value)
