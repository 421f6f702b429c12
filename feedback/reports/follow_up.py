"""follow-up: for each outcome area, the share of answers saying better / the same / worse than
when support ended, 3, 6 and 12 months after exit; and the share of families whose children are
still living at home.

From ``follow-up`` (items ``outcome_*``: 1 better, 2 the same, 3 worse; ``children_at_home``
yes/no). Each member's latest response at a wave counts once (for children at home, each
family's); "prefer not to say" and "does not apply" are left out of the shares.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .disclosure import Sum
from .model import Chart, Column, Report, Table, count_and_share, not_enough, share

NAME, TITLE = "follow-up", "Did change last? Follow-up after support"
INSTRUMENT, HOME = "follow-up", "children_at_home"
WAVES = {"exit-3m": _l("3 months"), "exit-6m": _l("6 months"), "exit-12m": _l("12 months")}  # str() in a report
ANSWERS = {1: "better", 2: "same", 3: "worse"}
#: Each answer's column headings: (count, percentage). Never a heading starting "% s": gettext's
#: tools read "% s" as a placeholder and refuse a translation without one.
HEADINGS = {"better": (_l("Better"), _l("% better")), "same": (_l("Same"), _l("% the same")),
            "worse": (_l("Worse"), _l("% worse"))}


def compute(counts: pd.DataFrame, home: pd.DataFrame, labels: dict[str, str]) -> Report:
    """``counts``: answers to the outcome items over each member's latest response per wave (wave,
    item_id, value, n; see ``data.distribution``); ``home``: children_at_home the same way over
    each family's latest response; ``labels``: outcome item id → area name."""
    rows, made_of = [], {}
    for item, label in labels.items():
        for wave, when in WAVES.items():
            given = counts[(counts["item_id"] == item) & (counts["wave"] == wave) & counts["value"].isin(list(ANSWERS))]
            total = int(given["n"].sum())
            if not total:
                continue
            row = {"area": _("%(area)s (%(when)s)", area=label, when=when), "answers": total}
            # The atoms: answers better, the same and worse; "answers" is their sum.
            atoms = {name: (NAME, item, wave, name) for name in ANSWERS.values()}
            made_of[(len(rows), "answers")] = Sum.of(atoms.values())
            made_of.update({(len(rows), name): Sum.of([atom]) for name, atom in atoms.items()})
            for code, name in ANSWERS.items():
                row[name] = int(given.loc[given["value"] == code, "n"].sum())
                row[f"{name}_pct"] = share(row[name], total)
            rows.append(row)
    if not rows:
        return not_enough(NAME, TITLE, _("a follow-up answer"))
    columns = [Column("area", _("Outcome area (after support)"), "label"), Column("answers", _("Answers"))]
    for name in ANSWERS.values():
        columns += count_and_share(name, str(HEADINGS[name][0]), "answers", str(HEADINGS[name][1]))
    tables = [Table(_("Compared with when support ended"), columns, rows, made_of=made_of)]
    home_rows, home_made_of = [], {}
    for wave, when in WAVES.items():
        given = home[(home["item_id"] == HOME) & (home["wave"] == wave) & home["value"].isin([0, 1])]
        families = int(given["n"].sum())
        if not families:
            continue
        yes = int(given.loc[given["value"] == 1, "n"].sum())
        atoms = (NAME, HOME, wave, "yes"), (NAME, HOME, wave, "no")
        home_made_of[(len(home_rows), "families")] = Sum.of(atoms)
        home_made_of[(len(home_rows), "home")] = Sum.of(atoms[:1])
        home_rows.append({"wave": str(when), "families": families, "home": yes, "home_pct": share(yes, families)})
    if home_rows:
        tables.append(Table(_("Children still living at home"), [
            Column("wave", _("After support"), "label"), Column("families", _("Families answering")),
            *count_and_share("home", _("Children still at home"), "families", _("Still at home (%)"))], home_rows,
            made_of=home_made_of,
            note=_("One answer per family: its latest at each follow-up.")))
    return Report(NAME, TITLE, tables, Chart("stacked", _("Better, the same or worse than when support ended"), 0,
                                             "area", {_("Better"): "better_pct", _("The same"): "same_pct",
                                                      _("Worse"): "worse_pct"}, unit="%"))
