"""follow-up: for each outcome area, the share of answers saying better / the same / worse than
when support ended, 3, 6 and 12 months after exit; and the share of families whose children are
still living at home.

From ``follow-up`` (items ``outcome_*``: 1 better, 2 the same, 3 worse; ``children_at_home``
yes/no). Each member's latest answer at a wave counts once; "prefer not to say" and "does not
apply" are left out of the shares.
"""
from __future__ import annotations

import pandas as pd

from .model import Chart, Column, Report, Table, not_enough, share
from .pairs import latest

NAME, TITLE = "follow-up", "Did change last? Follow-up after support"
INSTRUMENT, HOME = "follow-up", "children_at_home"
WAVES = {"exit-3m": "3 months", "exit-6m": "6 months", "exit-12m": "12 months"}
ANSWERS = {1: "better", 2: "same", 3: "worse"}


def compute(answers: pd.DataFrame, labels: dict[str, str]) -> Report:
    """``answers``: member_id, wave, completed_at, item_id, value for the outcome items and
    children_at_home; ``labels``: outcome item id → area name."""
    answers = latest(answers[answers["wave"].isin(list(WAVES))], ["member_id", "wave", "item_id"])
    rows = []
    for item, label in labels.items():
        for wave, when in WAVES.items():
            given = answers[(answers["item_id"] == item) & (answers["wave"] == wave) &
                            answers["value"].isin(list(ANSWERS))]
            if given.empty:
                continue
            row = {"area": f"{label} ({when})", "answers": len(given)}
            for code, name in ANSWERS.items():
                row[name] = int((given["value"] == code).sum())
                row[f"{name}_pct"] = share(row[name], len(given))
            rows.append(row)
    if not rows:
        return not_enough(NAME, TITLE, "a follow-up answer")
    columns = [Column("area", "Outcome area (after support)", "label"), Column("answers", "Answers")]
    for name in ANSWERS.values():
        columns += [Column(name, name.capitalize()),
                    Column(f"{name}_pct", f"% {name}", "percent", base="answers", numerator=name)]
    tables = [Table("Compared with when support ended", columns, rows)]
    home_rows = []
    for wave, when in WAVES.items():
        given = answers[(answers["item_id"] == HOME) & (answers["wave"] == wave) & answers["value"].isin([0, 1])]
        if given.empty:
            continue
        # One answer per family: the latest member's answer stands for the household.
        per_family = latest(given, ["family_id"])
        yes = int((per_family["value"] == 1).sum())
        home_rows.append({"wave": when, "families": len(per_family), "home": yes,
                          "home_pct": share(yes, len(per_family))})
    if home_rows:
        tables.append(Table("Children still living at home", [
            Column("wave", "After support", "label"), Column("families", "Families answering"),
            Column("home", "Children still at home"),
            Column("home_pct", "% still at home", "percent", base="families", numerator="home")], home_rows))
    return Report(NAME, TITLE, tables, Chart("stacked", "Better, the same or worse than when support ended", 0,
                                             "area", {"Better": "better_pct", "The same": "same_pct",
                                                      "Worse": "worse_pct"}, unit="%"))
