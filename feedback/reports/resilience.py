"""resilience: the mean number of resilience factors at entry and exit, and the share of families
with each factor at entry and exit.

From the key worker's assessment (``practitioner-assessment``): the scale ``resilience_count``
and the yes/no items ``resilience_*``. Families assessed at both entry and exit only.
"""
from __future__ import annotations

import pandas as pd

from .model import Chart, Column, Report, Table, not_enough, share
from .pairs import paired

NAME, TITLE = "resilience", "Resilience factors: entry to exit"
INSTRUMENT, SCALE = "practitioner-assessment", "resilience_count"


def compute(counts: pd.DataFrame, answers: pd.DataFrame, labels: dict[str, str]) -> Report:
    """``counts``: resilience_count scores (family_id, wave, completed_at, value); ``answers``: the
    resilience items' answers (1 present, 0 absent; missing codes are not answers)."""
    pairs = paired(counts.dropna(subset=["value"]), "family_id", "value", "entry", "exit")
    tables = []
    if not pairs.empty:
        n = len(pairs)
        tables.append(Table("Mean number of resilience factors", [
            Column("wave", "When", "label"), Column("families", "Families assessed at both"),
            Column("mean", "Mean number of factors", "mean", base="families")],
            [{"wave": "Entry", "families": n, "mean": round(float(pairs["entry"].mean()), 2)},
             {"wave": "Exit", "families": n, "mean": round(float(pairs["exit"].mean()), 2)},
             {"wave": "Change (exit − entry)", "families": n,
              "mean": round(float((pairs["exit"] - pairs["entry"]).mean()), 2)}]))
    rows = []
    for item, label in labels.items():
        rated = answers[(answers["item_id"] == item) & answers["value"].isin([0, 1])]
        both = paired(rated, "family_id", "value", "entry", "exit")
        if both.empty:
            continue
        entry, exit_ = int((both["entry"] == 1).sum()), int((both["exit"] == 1).sum())
        rows.append({"factor": label, "families": len(both), "entry": entry, "entry_pct": share(entry, len(both)),
                     "exit": exit_, "exit_pct": share(exit_, len(both))})
    if rows:
        tables.append(Table("Families with each resilience factor", [
            Column("factor", "Resilience factor", "label"), Column("families", "Families assessed at both"),
            Column("entry", "With it at entry"),
            Column("entry_pct", "% at entry", "percent", base="families", numerator="entry"),
            Column("exit", "With it at exit"),
            Column("exit_pct", "% at exit", "percent", base="families", numerator="exit")], rows))
    if not tables:
        return not_enough(NAME, TITLE, "resilience factors assessed at both entry and exit")
    chart = Chart("bars", "Share of families with each resilience factor", len(tables) - 1, "factor",
                  {"Entry": "entry_pct", "Exit": "exit_pct"}, unit="%") if rows else None
    return Report(NAME, TITLE, tables, chart)
