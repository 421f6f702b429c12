"""need-flow: level of need at entry (rows) × at exit (columns), the "stock and flow" table, and
the share of families whose need improved, stayed the same or escalated.

From the key worker's assessment (``practitioner-assessment``, item ``level_of_need``) at the
entry and exit waves; only families assessed at both count. A lower level is an improvement.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _

from .disclosure import Ratio, Sum
from .model import Chart, Column, Report, Table, not_enough, share

NAME, TITLE = "need-flow", "Level of need: entry to exit"
INSTRUMENT, ITEM = "practitioner-assessment", "level_of_need"


def atoms_of(codes) -> tuple:
    """The atoms of every family with a level of need at entry and exit: the flow table's cells,
    which cost-benefit's families assessed at both adds up too."""
    return tuple((NAME, b, a) for b in codes for a in codes)


def assessed(moves: pd.DataFrame, codes) -> int:
    """Families with a level of need (one of ``codes``) recorded at entry and at exit."""
    valid = moves[(moves["item_id"] == ITEM) & moves["before"].isin(codes) & moves["after"].isin(codes)]
    return int(valid["n"].sum())


def compute(moves: pd.DataFrame, levels: dict[int, str]) -> Report:
    """``moves``: transition counts of level_of_need from entry to exit (item_id, before, after,
    n; see ``data.transitions``); ``levels``: code → short label, lowest need first."""
    codes = list(levels)
    valid = moves[(moves["item_id"] == ITEM) & moves["before"].isin(codes) & moves["after"].isin(codes)]
    if not valid["n"].sum():
        return not_enough(NAME, TITLE, _("a level of need recorded at both entry and exit"))
    flow = (valid.pivot_table(index="before", columns="after", values="n", aggfunc="sum")
            .reindex(index=codes, columns=codes).fillna(0).astype(int))
    columns = [Column("entry", _("Level at entry"), "label")]
    columns += [Column(f"exit_{code}", _("Exit: %(level)s", level=levels[code])) for code in codes]
    total, of_families = _("Total"), _("% of families")
    columns += [Column("total", total), Column("total_pct", of_families, "percent", base="all", numerator="total")]
    everyone = int(valid["n"].sum())
    rows = []
    for code in codes:
        row = {"entry": levels[code], **{f"exit_{c}": int(flow.loc[code, c]) for c in codes}}
        row["total"] = int(flow.loc[code].sum())
        row["total_pct"], row["all"] = share(row["total"], everyone), everyone
        rows.append(row)
    totals = {"entry": total, **{f"exit_{c}": int(flow[c].sum()) for c in codes}, "total": everyone,
              "total_pct": 100.0, "all": everyone}
    rows.append(totals)
    # The atoms: families at each level at entry and at exit (the table's inner cells).
    atom = {(b, a): (NAME, b, a) for b in codes for a in codes}
    everyone_sum = Sum.of(atom.values())
    at_exit = {"entry": _("% of families at exit"), **{f"exit_{c}": share(int(flow[c].sum()), everyone) for c in codes},
               "total": 100.0}
    rows.append(at_exit)
    made_of = {(len(rows) - 1, f"exit_{c}"): Ratio(Sum.of(atom[b, c] for b in codes), everyone_sum, 100.0)
               for c in codes}
    made_of.update({(r, f"exit_{a}"): Sum.of([atom[b, a]]) for r, b in enumerate(codes) for a in codes})
    flow_table = Table(_("Families by level of need at entry (rows) and exit (columns)"), columns, rows,
                       total_row=total, total_column="total", made_of=made_of,
                       row_kinds={len(rows) - 1: "percent"},
                       note=_("The last row is the share of all families at each level at exit; the last column, "
                              "the share at each level at entry."))
    entry, exit_, n = valid["before"].astype(int), valid["after"].astype(int), valid["n"]
    moved = {_("Improved (lower need at exit)"): int(n[exit_ < entry].sum()),
             _("Stayed the same"): int(n[exit_ == entry].sum()),
             _("Escalated (higher need at exit)"): int(n[exit_ > entry].sum())}
    summary_rows = [{"change": label, "families": n, "pct": share(n, everyone), "all": everyone}
                    for label, n in moved.items()]
    summary_rows.append({"change": total, "families": everyone, "pct": 100.0, "all": everyone})
    # The same families as the flow table: below, on and above its diagonal.
    summary_made_of = {(r, "families"): Sum.of(atom[b, a] for b in codes for a in codes if test(codes.index(a), codes.index(b)))
                       for r, test in enumerate((lambda a, b: a < b, lambda a, b: a == b, lambda a, b: a > b))}
    summary_made_of[(3, "families")] = everyone_sum
    summary = Table(_("Change in level of need"), [
        Column("change", _("Change"), "label"), Column("families", _("Families")),
        Column("pct", of_families, "percent", base="all", numerator="families")],
        summary_rows, total_row=total, made_of=summary_made_of)
    chart = Chart("bars", _("Change in families' level of need from entry to exit"), 1, "change",
                  {of_families: "pct"}, unit="%")
    return Report(NAME, TITLE, [flow_table, summary], chart)
