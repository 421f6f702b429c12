"""resilience: the mean number of resilience factors at entry and exit, and the share of families
with each factor at entry and exit.

From the key worker's assessment (``practitioner-assessment``): the scale ``resilience_count``
and the yes/no items ``resilience_*``. Families assessed at both entry and exit only.

Each factor is a yes/no outcome (issue 21): its shares at entry and exit carry 95% Wilson
intervals, and McNemar's exact test asks whether the share with it changed. Unlike risk-change,
whose counts on a row add up to the paired 2 × 2 table, a factor's row (families, with it at
entry, with it at exit) leaves open how many lost it and how many gained it, and the p would tell
(it rises with their sum): those two counts are shown as well, audited like every count, and the
p is shown only beside all of them.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _

from .disclosure import Ratio, Sum, total
from .model import Chart, Column, Report, Table, count_and_share, not_enough, p_text, share
from .pairs import paired
from .risk_change import interval_columns, interval_hiding, p_column, wilson_percent
from ..statistics.proportions import mcnemar_table

NAME, TITLE = "resilience", "Resilience factors: entry to exit"
INSTRUMENT, SCALE = "practitioner-assessment", "resilience_count"


def compute(counts: pd.DataFrame, moves: pd.DataFrame, labels: dict[str, str]) -> Report:
    """``counts``: resilience_count scores (family_id, wave, completed_at, value); ``moves``: the
    resilience items' transition counts (1 present, 0 absent; missing codes are not answers)."""
    return compute_paired(paired(counts.dropna(subset=["value"]), "family_id", "value", "entry", "exit"), moves,
                          labels)


def compute_paired(pairs: pd.DataFrame, moves: pd.DataFrame, labels: dict[str, str]) -> Report:
    """``compute`` from the scores already paired: one row per family scored at both waves, its
    latest score at each in columns ``entry`` and ``exit`` (as ``scale_data.paired_scores`` keeps
    them)."""
    tables = []
    if not pairs.empty:
        n = len(pairs)
        tables.append(Table(_("Mean number of resilience factors"), [
            Column("wave", _("When"), "label"), Column("families", _("Families assessed at both")),
            Column("mean", _("Mean number of factors"), "mean", base="families")],
            [{"wave": _("Entry"), "families": n, "mean": round(float(pairs["entry"].mean()), 2)},
             {"wave": _("Exit"), "families": n, "mean": round(float(pairs["exit"].mean()), 2)},
             {"wave": _("Change (exit − entry)"), "families": n,
              "mean": round(float((pairs["exit"] - pairs["entry"]).mean()), 2)}],
            # One count of families, restated on each row.
            made_of={(r, "families"): Sum.of([(NAME, "scored at both")]) for r in range(3)}))
    rows, made_of, hidden_with = [], {}, {}
    for item, label in labels.items():
        rated = moves[(moves["item_id"] == item) & moves["before"].isin([0, 1]) & moves["after"].isin([0, 1])]
        families = int(rated["n"].sum())
        if not families:
            continue
        entry, exit_ = int(rated.loc[rated["before"] == 1, "n"].sum()), int(rated.loc[rated["after"] == 1, "n"].sum())
        # The atoms: families with the factor or without it, at entry and at exit.
        atom = {(b, a): (NAME, item, b, a) for b in (0, 1) for a in (0, 1)}
        made_of[(len(rows), "families")] = Sum.of(atom.values())
        made_of[(len(rows), "entry")] = Sum.of([atom[1, 0], atom[1, 1]])
        made_of[(len(rows), "exit")] = Sum.of([atom[0, 1], atom[1, 1]])
        made_of[(len(rows), "lost")] = Sum.of([atom[1, 0]])
        made_of[(len(rows), "gained")] = Sum.of([atom[0, 1]])
        lost = int(rated.loc[(rated["before"] == 1) & (rated["after"] == 0), "n"].sum())
        gained = int(rated.loc[(rated["before"] == 0) & (rated["after"] == 1), "n"].sum())
        test = mcnemar_table(entry - lost, lost, gained, families - entry - gained)
        entry_low, entry_high = wilson_percent(entry, families)
        exit_low, exit_high = wilson_percent(exit_, families)
        r = len(rows)
        # The intervals and the p are functions of counts on this row, shown only with all of them
        # (``hidden_with``; the p's base, families, by its column): shown, they tell an attacker
        # nothing the counts do not, so they get no made_of and the audit leaves them out.
        hidden_with.update(interval_hiding(r, "entry"))
        hidden_with.update(interval_hiding(r, "exit"))
        hidden_with[(r, "change_p")] = [(r, name) for name in ("families", "entry", "entry_pct", "exit", "exit_pct",
                                                               "lost", "gained")]
        rows.append({"factor": label, "families": families, "entry": entry, "entry_pct": share(entry, families),
                     "entry_ci_low": entry_low, "entry_ci_high": entry_high,
                     "exit": exit_, "exit_pct": share(exit_, families),
                     "exit_ci_low": exit_low, "exit_ci_high": exit_high,
                     "lost": lost, "gained": gained, "change_p": p_text(test.p_exact)})
    if not pairs.empty and rows and len(rows) == len(labels) and all(row["families"] == n for row in rows):
        # Every family scored at both waves answered every factor at both (the counts agree), and
        # the score is the number of factors present: the means then restate the factor counts
        # (mean × families = the sum of those with each factor), and the audit must know it.
        families = made_of[(0, "families")]
        at_entry = total(made_of[(k, "entry")] for k in range(len(rows)))
        at_exit = total(made_of[(k, "exit")] for k in range(len(rows)))
        tables[0].made_of = {**{(r, "families"): families for r in range(3)},
                             (0, "mean"): Ratio(at_entry, families), (1, "mean"): Ratio(at_exit, families),
                             (2, "mean"): Ratio(at_exit - at_entry, families)}
    elif not pairs.empty and rows:
        # Not exactly the same families (some scored without every factor recorded): the means
        # still nearly restate the factor counts, so they are hidden whenever a count behind them is.
        behind = [(1, k, name) for k in range(len(rows)) for name in ("entry", "exit")]
        tables[0].hidden_with = {(r, "mean"): behind for r in range(3)}
    if rows:
        tables.append(Table(_("Families with each resilience factor"), [
            Column("factor", _("Resilience factor"), "label"), Column("families", _("Families assessed at both")),
            *count_and_share("entry", _("With it at entry"), "families", _("% at entry")),
            *interval_columns("entry", "families", "entry"),
            *count_and_share("exit", _("With it at exit"), "families", _("% at exit")),
            *interval_columns("exit", "families", "exit"),
            Column("lost", _("With it at entry, not at exit")), Column("gained", _("With it at exit, not at entry")),
            p_column("families")], rows, made_of=made_of, hidden_with=hidden_with,
            note=_("95% CI: the Wilson score interval of the percentage, the range within which the share among all "
                   "families like these plausibly lies. McNemar exact p: the two-sided exact (binomial) test of "
                   "whether the share with the factor changed from entry to exit among the families assessed at "
                   "both; it compares those who had it only at entry with those who had it only at exit (the last "
                   "two counts). With few families changing either way the test has little power, and a large p "
                   "says little. '–': no family changed.")))
    if not tables:
        return not_enough(NAME, TITLE, _("resilience factors assessed at both entry and exit"))
    chart = Chart("bars", _("Share of families with each resilience factor"), len(tables) - 1, "factor",
                  {_("Entry"): "entry_pct", _("Exit"): "exit_pct"}, unit="%") if rows else None
    return Report(NAME, TITLE, tables, chart)
