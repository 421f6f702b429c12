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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .disclosure import Ratio, Sum
from .model import Chart, Column, Report, Table, count_and_share, not_enough, share

NAME, TITLE = "risk-change", "Risk factors: entry to exit"
FAMILY_INSTRUMENT, MEMBER_INSTRUMENT = "practitioner-assessment", "member-assessment"
LEVELS = {0: _l("No concern"), 1: _l("Low"), 2: _l("Medium"), 3: _l("High")}  # str() in a report


def atoms_of(who: str, item: str, before: int, after: int, age: str | None = None) -> tuple:
    """The atoms of those ``who`` ("families" or "members") rated ``before`` at entry and ``after``
    at exit on ``item``. Members are split into children and adults, as cost-benefit counts them:
    both reports describe the same families and members with the same atoms, so that auditing them
    as one publication needs only their tables put together (not done yet: see issue 14's note)."""
    if who == "families":
        return ((NAME, who, item, before, after),)
    ages = (age,) if age else ("child", "adult")
    return tuple((NAME, who, item, before, after, each) for each in ages)


def _words(who: str) -> dict[str, str]:
    """The tables' words for ``who`` ("families" or "members"), whole, so each language says them its own way."""
    if who == "families":
        return {"title": _("Families with a concern at entry and at exit"), "assessed": _("Families assessed at both"),
                "entry_pct": _("% of families assessed, at entry"), "exit_pct": _("% of families assessed, at exit"),
                "net": _("Net change in families at risk (% of families assessed)"),
                "note": _("Families assessed on the factor at both entry and exit; a concern is any level above no "
                          "concern. 'No longer at risk' counts those with a concern at entry and none at exit, as "
                          "published evaluations do; the net change (exit − entry) ÷ all assessed also counts "
                          "concerns that arose during support."),
                "levels": _("Level of concern at entry and exit (families)"),
                "where": _("Where families at risk at entry were at exit")}
    return {"title": _("Members with a concern at entry and at exit"), "assessed": _("Members assessed at both"),
            "entry_pct": _("% of members assessed, at entry"), "exit_pct": _("% of members assessed, at exit"),
            "net": _("Net change in members at risk (% of members assessed)"),
            "note": _("Members assessed on the factor at both entry and exit; a concern is any level above no "
                      "concern. 'No longer at risk' counts those with a concern at entry and none at exit, as "
                      "published evaluations do; the net change (exit − entry) ÷ all assessed also counts "
                      "concerns that arose during support."),
            "levels": _("Level of concern at entry and exit (members)"),
            "where": _("Where members at risk at entry were at exit")}


def factor_tables(moves: pd.DataFrame, labels: dict[str, str], who: str) -> list[Table]:
    """Three tables for one kind of factor, from its transition counts (see ``data.transitions``):
    who had a concern at entry and at exit, with both published measures of change; how levels
    of concern were spread; and where those at risk at entry were at exit."""
    change_rows, level_rows, path_rows = [], [], []
    change_made_of, level_made_of, path_made_of = {}, {}, {}
    codes = list(LEVELS)
    for item, label in labels.items():
        rated = moves[(moves["item_id"] == item) & moves["before"].isin(codes) & moves["after"].isin(codes)]
        if not rated["n"].sum():
            continue
        before, after, n = rated["before"].astype(int), rated["after"].astype(int), rated["n"]
        # The atoms: those assessed at both, by level of concern at entry and at exit.
        atom = {(b, a): atoms_of(who, item, b, a) for b in codes for a in codes}

        def of(test) -> Sum:
            return Sum.of(cell for (b, a), cells in atom.items() if test(b, a) for cell in cells)

        assessed, at_entry, at_exit = int(n.sum()), int(n[before > 0].sum()), int(n[after > 0].sum())
        gone = int(n[(before > 0) & (after == 0)].sum())
        entry_sum, exit_sum = of(lambda b, a: b > 0), of(lambda b, a: a > 0)
        r = len(change_rows)
        change_made_of.update({
            (r, "assessed"): of(lambda b, a: True), (r, "concern_entry"): entry_sum, (r, "concern_exit"): exit_sum,
            (r, "gone"): of(lambda b, a: b > 0 and a == 0),
            (r, "net"): Ratio(exit_sum - entry_sum, of(lambda b, a: True), 100.0)})
        change_rows.append({"factor": label, "assessed": assessed,
                            "concern_entry": at_entry, "concern_entry_pct": share(at_entry, assessed),
                            "concern_exit": at_exit, "concern_exit_pct": share(at_exit, assessed),
                            "gone": gone, "gone_pct": share(gone, at_entry),
                            "net": share(at_exit - at_entry, assessed)})
        row = {"factor": label}
        for code, level in LEVELS.items():
            row[f"entry_{code}"] = int(n[before == code].sum())
            row[f"exit_{code}"] = int(n[after == code].sum())
            level_made_of[(len(level_rows), f"entry_{code}")] = of(lambda b, a, code=code: b == code)
            level_made_of[(len(level_rows), f"exit_{code}")] = of(lambda b, a, code=code: a == code)
        level_rows.append(row)
        for code in codes[1:]:
            if not int(n[before == code].sum()):
                continue
            path = {"path": _("%(factor)s: %(level)s at entry", factor=label, level=str(LEVELS[code]).lower())}
            for later in codes:
                path[f"to_{later}"] = int(n[(before == code) & (after == later)].sum())
                path_made_of[(len(path_rows), f"to_{later}")] = Sum.of(atom[code, later])
            path["total"] = int(n[before == code].sum())
            path_made_of[(len(path_rows), "total")] = of(lambda b, a, code=code: b == code)
            path_rows.append(path)
    if not change_rows:
        return []
    words = _words(who)
    change = Table(words["title"], [
        Column("factor", _("Risk factor"), "label"), Column("assessed", words["assessed"]),
        *count_and_share("concern_entry", _("With a concern at entry"), "assessed", words["entry_pct"]),
        *count_and_share("concern_exit", _("With a concern at exit"), "assessed", words["exit_pct"]),
        *count_and_share("gone", _("At risk at entry, no longer at exit"), "concern_entry",
                         _("% of those at risk at entry no longer at risk at exit")),
        Column("net", words["net"], "percent", base="assessed", numerator="concern_exit")],
        change_rows, made_of=change_made_of, note=words["note"])
    columns = [Column("factor", _("Risk factor"), "label")]
    columns += [Column(f"entry_{code}", _("Entry: %(level)s", level=level)) for code, level in LEVELS.items()]
    columns += [Column(f"exit_{code}", _("Exit: %(level)s", level=level)) for code, level in LEVELS.items()]
    levels = Table(words["levels"], columns, level_rows, made_of=level_made_of)
    tables = [change, levels]
    if path_rows:
        tables.append(Table(words["where"], [
            Column("path", _("Risk factor and level at entry"), "label"),
            Column("to_0", _("No longer a concern")),
            *(Column(f"to_{code}", _("Exit: %(level)s", level=LEVELS[code])) for code in codes[1:]),
            Column("total", _("Total"))], path_rows, made_of=path_made_of))
    return tables


def compute(family_moves: pd.DataFrame, family_labels: dict[str, str], member_moves: pd.DataFrame,
            member_labels: dict[str, str]) -> Report:
    tables = factor_tables(family_moves, family_labels, "families")
    unit = "families" if tables else "members"
    tables += factor_tables(member_moves, member_labels, "members")
    if not tables:
        return not_enough(NAME, TITLE, _("a risk factor assessed at both entry and exit"))
    # The first table is the families' factors when there are any, otherwise the members'.
    return Report(NAME, TITLE, tables, Chart("bars", _words(unit)["title"], 0, "factor",
                                             {_("Entry"): "concern_entry", _("Exit"): "concern_exit"}, unit=unit))
