"""Files to import, built as a person would fill them in: a heading row, then one form per row."""
from __future__ import annotations

import io
import random
import re
from datetime import date, datetime, time

import pandas as pd

from feedback.demo import random_answers
from feedback.instruments import Instrument

#: The test-only instrument: every item type, a condition, missing codes and a scale (tests/fixtures).
HOUSEHOLD = ["site", "case_ref", "member_ref", "completed_on", "role", "has_children", "adults", "children_count",
             "school", "f1", "f2", "f3", "rating", "moved_in", "postcode", "comments"]


def csv_bytes(rows: list[list], headings: list[str] = HOUSEHOLD, bom: bool = True) -> bytes:
    out = io.StringIO()
    pd.DataFrame(rows, columns=headings).to_csv(out, index=False)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], headings: list[str] = HOUSEHOLD) -> bytes:
    """A workbook whose numbers are number cells and whose dates are date cells, as Excel stores them."""
    out = io.BytesIO()
    pd.DataFrame([[_typed(value) for value in row] for row in rows], columns=headings).to_excel(out, index=False)
    return out.getvalue()


def _typed(value):
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.combine(date.fromisoformat(value), time())
    return value


def cell(value) -> str:
    """An answer as its cell: codes of a multiple-choice answer separated by “;”."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(code) for code in value)
    return str(value)


def answered_row(instrument: Instrument, seed: int) -> dict:
    """Random valid answers to the items they leave visible (short enough for every text item)."""
    answers = random_answers(instrument, random.Random(seed))
    for item in instrument.items:
        if item.id in answers and item.type in ("text", "long_text") and isinstance(answers[item.id], str):
            answers[item.id] = answers[item.id][:item.max_length]
    return answers


def instrument_rows(instrument: Instrument, keys: list[tuple], seed: int = 1) -> tuple[list, list[list], list[dict]]:
    """(headings, rows, answers) for rows of (site, case_ref, member_ref, completed_on, role)."""
    headings = ["site", "case_ref", "member_ref", "completed_on", "role"] + [item.id for item in instrument.items]
    rows, answer_sets = [], []
    for offset, key in enumerate(keys):
        answers = answered_row(instrument, seed + offset)
        rows.append(list(key) + [cell(answers.get(item.id)) for item in instrument.items])
        answer_sets.append(answers)
    return headings, rows, answer_sets
