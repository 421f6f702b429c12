"""exit-feedback: how families rated the help overall, and how they answered each closed question
of the exit interview.

From ``exit-interview``: ``overall_rating`` (1–5) and every yes/no and single-choice item. Each
member's latest answer counts once; "prefer not to say" and "don't know" are counted on their own
line so the shares of real answers are not inflated silently.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _

from .model import Chart, Column, Report, Table, not_enough, share

NAME, TITLE = "exit-feedback", "What families said at the end of support"
INSTRUMENT, RATING = "exit-interview", "overall_rating"


def compute(counts: pd.DataFrame, questions: dict[str, tuple[str, dict]]) -> Report:
    """``counts``: answers over each member's latest exit interview (wave, item_id, value, n; see
    ``data.distribution``); ``questions``: item id → (question, {code: answer label}) in
    questionnaire order, the overall rating first."""
    tables = []
    for item, (question, choices) in questions.items():
        given = counts[(counts["item_id"] == item) & counts["value"].isin(list(choices))]
        total = int(given["n"].sum())
        if not total:
            continue
        rows, total_label = [], _("Total")
        for code, label in choices.items():
            n = int(given.loc[given["value"] == code, "n"].sum())
            rows.append({"answer": label, "people": n, "pct": share(n, total), "all": total})
        rows.append({"answer": total_label, "people": total, "pct": 100.0, "all": total})
        tables.append(Table(question, [Column("answer", _("Answer"), "label"), Column("people", _("People")),
                                       Column("pct", "%", "percent", base="all", numerator="people")],
                            rows, total_row=total_label))
    if not tables:
        return not_enough(NAME, TITLE, _("an exit interview"))
    rated = next(iter(questions), None) == RATING and bool(counts["item_id"].eq(RATING).any())
    chart = Chart("bars", _("Overall rating of the help"), 0, "answer", {_("% of people"): "pct"}, unit="%") \
        if rated else None
    return Report(NAME, TITLE, tables, chart)
