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
from dataclasses import dataclass

import pandas as pd
from flask_babel import gettext as _

from .disclosure import Ratio, Sum, total
from .model import Column, Chart, Report, Table, not_enough
from .risk_change import LEVELS, atoms_of

NAME, TITLE = "cost-benefit", "Cost and benefit: adverse outcomes avoided"


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
            families: int, programme_cost: float | None, families_atoms: tuple | None = None) -> Report:
    """``savings``: outcome key → (label, £ per individual, source); ``families``: families in the
    cohort assessed at both entry and exit; ``programme_cost``: £ for the same period, if entered;
    ``families_atoms``: the atoms of that count where another report shows it too (need-flow's
    families by level of need at entry and exit, whose total it is)."""
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
    return Report(NAME, TITLE, [outcomes, summary],
                  Chart("bars", _("Saving by outcome avoided"), 0, "outcome", {_("Saving (£)"): "saving"}, unit="£"))
