"""``csv_frame`` and ``defuse_frame`` call the cell function only on the text cells one regular
expression says it may change; the frames are the same as mapping every cell, for any text."""
from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from feedback.exports.formulas import csv_cell, csv_frame, defuse, defuse_frame

#: Every character the cell functions look at, and some they do not.
PIECES = ["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
          "\u2029", "1", "2.5", "e3", "a", "Ŵ", " ", "'", "SUM(A1)", "x"]


def texts(seed: int, count: int = 400) -> list:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        if rng.random() < 0.1:
            out.append(None)
        else:
            out.append("".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 5))))
    return out


def every_cell(frame: pd.DataFrame, cell) -> pd.DataFrame:
    """The reference: each text cell through ``cell`` (as the writers did before)."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(cell, na_action="ignore")
    out.columns = [cell(str(column)) for column in out.columns]
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("made, cell", [(csv_frame, csv_cell), (defuse_frame, defuse)])
def test_the_same_frame_as_mapping_every_cell(seed, made, cell):
    values = texts(seed)
    frame = pd.DataFrame({
        "text": pd.Series(values, dtype="str"),
        "=header": pd.Series(values[::-1], dtype="str"),
        "objects": pd.Series(values, dtype=object),
        "plain": pd.Series(["north", "south", None, "EAST"] * 100, dtype="str"),
        "number": np.arange(400, dtype="float64") - 200,
    })
    got, expected = made(frame), every_cell(frame, cell)
    pd.testing.assert_frame_equal(got, expected)
    assert got.to_csv(index=False) == expected.to_csv(index=False)
    # Some cells did change, and the input is left as it was.
    assert (got["text"].fillna("") != frame["text"].fillna("")).any()
    pd.testing.assert_frame_equal(frame["text"].to_frame(), pd.DataFrame({"text": pd.Series(values, dtype="str")}))


def test_a_column_nothing_in_which_changes_is_kept_as_it_is():
    frame = pd.DataFrame({"site": pd.Series(["north", None, "south"], dtype="str")})
    pd.testing.assert_frame_equal(csv_frame(frame), frame)
