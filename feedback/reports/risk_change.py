"""risk-change: for each risk factor, families (or members) with a concern at entry and at exit,
the reduction, and how levels of concern were spread at entry and exit.

From the key worker's assessments: family-level factors in ``practitioner-assessment``, each
member's own factors in ``member-assessment``; items ``risk_*`` rated 0 no concern, 1 low,
2 medium, 3 high. "A concern" is any level above no concern. Only those assessed on a factor at
both entry and exit count for it, so the reduction compares like with like; "not known" and
"does not apply" (missing codes) are not ratings.
"""
from __future__ import annotations

import pandas as pd

from .model import Chart, Column, Report, Table, not_enough

NAME, TITLE = "risk-change", "Risk factors: entry to exit"
FAMILY_INSTRUMENT, MEMBER_INSTRUMENT = "practitioner-assessment", "member-assessment"
LEVELS = {0: "No concern", 1: "Low", 2: "Medium", 3: "High"}


def factor_tables(moves: pd.DataFrame, labels: dict[str, str], who: str) -> list[Table]:
    """Two tables for one kind of factor, from its transition counts (see ``data.transitions``)."""
    change_rows, level_rows = [], []
    codes = list(LEVELS)
    for item, label in labels.items():
        rated = moves[(moves["item_id"] == item) & moves["before"].isin(codes) & moves["after"].isin(codes)]
        if not rated["n"].sum():
            continue
        before, after, n = rated["before"].astype(int), rated["after"].astype(int), rated["n"]
        at_entry, at_exit = int(n[before > 0].sum()), int(n[after > 0].sum())
        reduction = None if not at_entry else round(100.0 * (at_entry - at_exit) / at_entry, 1)
        change_rows.append({"factor": label, "assessed": int(n.sum()), "concern_entry": at_entry,
                            "concern_exit": at_exit, "reduction": reduction})
        row = {"factor": label}
        for code, level in LEVELS.items():
            row[f"entry_{code}"] = int(n[before == code].sum())
            row[f"exit_{code}"] = int(n[after == code].sum())
        level_rows.append(row)
    if not change_rows:
        return []
    change = Table(f"{who.capitalize()} with a concern at entry and at exit", [
        Column("factor", "Risk factor", "label"), Column("assessed", f"{who.capitalize()} assessed at both"),
        Column("concern_entry", "With a concern at entry"), Column("concern_exit", "With a concern at exit"),
        Column("reduction", "% reduction", "percent", base="concern_entry", numerator="concern_exit")],
        change_rows, note=f"{who.capitalize()} assessed on the factor at both entry and exit; a concern is any "
                          "level above no concern; % reduction = (entry − exit) ÷ entry.")
    columns = [Column("factor", "Risk factor", "label")]
    columns += [Column(f"entry_{code}", f"Entry: {level}") for code, level in LEVELS.items()]
    columns += [Column(f"exit_{code}", f"Exit: {level}") for code, level in LEVELS.items()]
    levels = Table(f"Level of concern at entry and exit ({who})", columns, level_rows)
    return [change, levels]


def compute(family_moves: pd.DataFrame, family_labels: dict[str, str], member_moves: pd.DataFrame,
            member_labels: dict[str, str]) -> Report:
    tables = factor_tables(family_moves, family_labels, "families")
    unit = "families" if tables else "members"
    tables += factor_tables(member_moves, member_labels, "members")
    if not tables:
        return not_enough(NAME, TITLE, "a risk factor assessed at both entry and exit")
    # The first table is the families' factors when there are any, otherwise the members'.
    return Report(NAME, TITLE, tables, Chart("bars", f"{unit.capitalize()} with a concern at entry and at exit", 0,
                                             "factor", {"Entry": "concern_entry", "Exit": "concern_exit"}, unit=unit))
