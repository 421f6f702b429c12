"""exit-feedback: how families rated the help overall, and how they answered each closed question
of the exit interview.

From ``exit-interview``: ``overall_rating`` (1–5) and every yes/no and single-choice item. Each
member's latest answer counts once; "prefer not to say" and "don't know" are counted on their own
line so the shares of real answers are not inflated silently.
"""
from __future__ import annotations

import pandas as pd

from .model import Chart, Column, Report, Table, not_enough, share
from .pairs import latest

NAME, TITLE = "exit-feedback", "What families said at the end of support"
INSTRUMENT, RATING = "exit-interview", "overall_rating"


def compute(answers: pd.DataFrame, questions: dict[str, tuple[str, dict]]) -> Report:
    """``answers``: member_id, completed_at, item_id, value; ``questions``: item id → (question,
    {code: answer label}) in questionnaire order, the overall rating included."""
    answers = latest(answers.dropna(subset=["value"]), ["response_id", "item_id"])
    tables = []
    for item, (question, choices) in questions.items():
        given = answers[(answers["item_id"] == item) & answers["value"].isin(list(choices))]
        if given.empty:
            continue
        total = len(given)
        rows = []
        for code, label in choices.items():
            n = int((given["value"] == code).sum())
            rows.append({"answer": label, "people": n, "pct": share(n, total), "all": total})
        rows.append({"answer": "Total", "people": total, "pct": 100.0, "all": total})
        tables.append(Table(question, [Column("answer", "Answer", "label"), Column("people", "People"),
                                       Column("pct", "%", "percent", base="all", numerator="people")],
                            rows, total_row="Total"))
    if not tables:
        return not_enough(NAME, TITLE, "an exit interview")
    first_is_rating = next(iter(questions), None) == RATING and answers["item_id"].eq(RATING).any()
    chart = Chart("bars", "Overall rating of the help", 0, "answer", {"% of people": "pct"}, unit="%") \
        if first_is_rating else None
    return Report(NAME, TITLE, tables, chart)
