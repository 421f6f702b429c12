"""need-flow: level of need at entry (rows) × at exit (columns), the "stock and flow" table, and
the share of families whose need improved, stayed the same or escalated.

From the key worker's assessment (``practitioner-assessment``, item ``level_of_need``) at the
entry and exit waves; only families assessed at both count. A lower level is an improvement.
"""
from __future__ import annotations

import pandas as pd

from .model import Chart, Column, Report, Table, not_enough, share
from .pairs import paired

NAME, TITLE = "need-flow", "Level of need: entry to exit"
INSTRUMENT, ITEM = "practitioner-assessment", "level_of_need"


def compute(answers: pd.DataFrame, levels: dict[int, str]) -> Report:
    """``answers``: the assessments' level_of_need answers (family_id, wave, completed_at, value);
    ``levels``: code → short label, lowest need first."""
    codes = list(levels)
    valid = answers[answers["value"].isin(codes)]
    pairs = paired(valid, "family_id", "value", "entry", "exit")
    if pairs.empty:
        return not_enough(NAME, TITLE, "a level of need recorded at both entry and exit")
    flow = pd.crosstab(pairs["entry"], pairs["exit"]).reindex(index=codes, columns=codes, fill_value=0)
    columns = [Column("entry", "Level at entry", "label")]
    columns += [Column(f"exit_{code}", f"Exit: {levels[code]}") for code in codes]
    columns += [Column("total", "Total"), Column("total_pct", "% of families", "percent", base="all",
                                                  numerator="total")]
    everyone = len(pairs)
    rows = []
    for code in codes:
        row = {"entry": levels[code], **{f"exit_{c}": int(flow.loc[code, c]) for c in codes}}
        row["total"] = int(flow.loc[code].sum())
        row["total_pct"], row["all"] = share(row["total"], everyone), everyone
        rows.append(row)
    totals = {"entry": "Total", **{f"exit_{c}": int(flow[c].sum()) for c in codes}, "total": everyone,
              "total_pct": 100.0, "all": everyone}
    rows.append(totals)
    flow_table = Table("Families by level of need at entry (rows) and exit (columns)", columns, rows,
                       total_row="Total", total_column="total")
    entry, exit_ = pairs["entry"].astype(int), pairs["exit"].astype(int)
    moved = {"Improved (lower need at exit)": int((exit_ < entry).sum()),
             "Stayed the same": int((exit_ == entry).sum()),
             "Escalated (higher need at exit)": int((exit_ > entry).sum())}
    summary_rows = [{"change": label, "families": n, "pct": share(n, everyone), "all": everyone}
                    for label, n in moved.items()]
    summary_rows.append({"change": "Total", "families": everyone, "pct": 100.0, "all": everyone})
    summary = Table("Change in level of need", [
        Column("change", "Change", "label"), Column("families", "Families"),
        Column("pct", "% of families", "percent", base="all", numerator="families")],
        summary_rows, total_row="Total")
    chart = Chart("bars", "Change in families' level of need from entry to exit", 1, "change",
                  {"% of families": "pct"}, unit="%")
    return Report(NAME, TITLE, [flow_table, summary], chart)
