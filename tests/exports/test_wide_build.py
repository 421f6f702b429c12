"""The wide reshape and the change columns, built without whole-table copies, equal the old build.

``runner._wide`` takes each wave's block by row positions and reindexes it to the facts' keys;
``wide_reference`` is the build it replaced (a copy without keyless rows, a group per
wave, one join). They must agree on values, dtypes, column order and variables for every kind of
column a table holds: whole numbers (which turn into floats where a wave lacks a key), nullable
integers, floats, booleans, objects with None, pandas strings; duplicate rows per key and wave (the
last one wins), keyless rows and rows without a wave, and a wave only keyless rows have.
"""
from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from feedback.exports import runner
from feedback.exports.codebook import Variable


def wide_reference(table: pd.DataFrame, variables: list[Variable], key: str, fixed: list[str]):
    """``_wide`` as it was (a copy of the table, a group per wave, one join): the tests check the
    position-based build against it."""
    table = table.dropna(subset=[key])
    fixed = [c for c in fixed if c in table.columns]
    per_wave = [c for c in table.columns if c not in fixed and c not in (key, "wave")]
    by_name = {variable.name: variable for variable in variables}
    blocks, out_vars = [], [by_name[c] for c in (key, *fixed) if c in by_name]
    for wave, group in table.groupby("wave", sort=True):
        prefix = runner._plain(wave)
        block = group.drop_duplicates(key, keep="last").set_index(key)[per_wave]
        block.columns = [f"{prefix}_{column}" for column in per_wave]
        blocks.append(block)
        out_vars += [replace(by_name[c], name=f"{prefix}_{c}", label=f"{by_name[c].label} ({wave})")
                     for c in per_wave if c in by_name]
    facts = table.drop_duplicates(key, keep="last").set_index(key)[fixed]
    wide = facts.join(blocks, how="left") if blocks else facts
    return wide.reset_index(), out_vars


def long_table(seed: int, rows: int, keys: int, waves=("entry", "exit", "exit-3m", "exit-12m")) -> pd.DataFrame:
    rng = random.Random(seed)
    member = [None if rng.random() < 0.05 else f"m{rng.randrange(keys)}" for _ in range(rows)]
    wave = [None if rng.random() < 0.03 else rng.choice(waves) for _ in range(rows)]
    table = pd.DataFrame({
        "response": [f"r{n}" for n in range(rows)],
        "member": pd.Series(member, dtype=object),
        "family": [None if m is None else f"f{int(m[1:]) // 3}" for m in member],
        "site": [rng.choice(("north", "south")) for _ in range(rows)],
        "role": pd.Series([rng.choice(("mother", "child", None)) for _ in range(rows)], dtype=object),
        "wave": wave,
        "instrument_version": np.array([rng.choice((1, 2)) for _ in range(rows)], dtype="int64"),
        "age_band": pd.Series([rng.choice(("0-4", "5-10", None)) for _ in range(rows)], dtype="str"),
        "q1": np.array([rng.randrange(5) for _ in range(rows)], dtype="int64"),
        "q2": [rng.choice((1.5, 2.0, np.nan)) for _ in range(rows)],
        "q3": pd.Series([rng.choice((1, 2, None)) for _ in range(rows)], dtype="Int64"),
        "q4": np.array([rng.random() < 0.5 for _ in range(rows)]),
        "q5": pd.Series([rng.choice(("a", "b;c", None, 3)) for _ in range(rows)], dtype=object),
    })
    # A wave only keyless rows have: no block for it.
    extra = table.iloc[:2].copy()
    extra["member"], extra["family"], extra["wave"] = None, None, "lost-wave"
    return pd.concat([table, extra], ignore_index=True)


def variables_of(table: pd.DataFrame) -> list[Variable]:
    return [Variable(name=c, label=f"Label {c}", type="string") for c in table.columns if c != "q5"]


@pytest.mark.parametrize("seed,rows,keys", [(1, 200, 40), (2, 50, 60), (3, 500, 20), (4, 1, 1), (5, 30, 5)])
@pytest.mark.parametrize("key,fixed", [("member", ["family", "site", "role"]), ("family", ["site"])])
def test_the_wide_table_is_the_joined_one(seed, rows, keys, key, fixed):
    table = long_table(seed, rows, keys)
    if key == "family":
        table = table.drop(columns=["member", "role", "age_band"])
    variables = variables_of(table)
    wide, out = runner._wide(table, variables, key, list(fixed))
    expected, expected_out = wide_reference(table, variables, key, list(fixed))
    pd.testing.assert_frame_equal(wide, expected, check_exact=True)
    assert list(wide.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    assert out == expected_out
    assert not any(c.startswith("lostwave_") for c in wide.columns)


def test_a_table_without_keys_or_rows_is_the_joined_one():
    table = long_table(7, 20, 5)
    for case in (table.iloc[:0], table.assign(member=None)):
        wide, out = runner._wide(case, variables_of(case), "member", ["family", "site", "role"])
        expected, expected_out = wide_reference(case, variables_of(case), "member", ["family", "site", "role"])
        pd.testing.assert_frame_equal(wide, expected, check_exact=True)
        assert out == expected_out


class _Scale:
    id = "total"


class _Instrument:
    id = "family-functioning"
    version = 1


class _Pair:
    def __init__(self, from_wave, to_wave):
        self.from_wave, self.to_wave = from_wave, to_wave


def _with_change_before(table, member, column, pair, scale, instrument):
    """``runner._with_change`` as it was, with a copy of the whole table per pair and scale."""
    name = f"chg_{runner._plain(pair.from_wave)}_{runner._plain(pair.to_wave)}_{scale.id}"
    scored = table.dropna(subset=[member])
    before = scored[scored["wave"] == pair.from_wave].drop_duplicates(member, keep="last").set_index(member)[column]
    after = scored[scored["wave"] == pair.to_wave].drop_duplicates(member, keep="last").set_index(member)[column]
    change = (pd.to_numeric(after, errors="coerce") - pd.to_numeric(before, errors="coerce")).dropna()
    later = table["wave"] == pair.to_wave
    table[name] = pd.to_numeric(table[member].map(change), errors="coerce").where(later)
    return table


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("pair", [("entry", "exit"), ("exit", "exit-3m"), ("exit", "nowhere")])
def test_change_columns_are_the_ones_from_the_whole_table_copy(seed, pair):
    table = long_table(seed, 300, 50).assign(score_total=lambda t: t["q2"])
    new, variable = runner._with_change(table.copy(), "member", "score_total", _Pair(*pair), _Scale(), _Instrument())
    old = _with_change_before(table.copy(), "member", "score_total", _Pair(*pair), _Scale(), _Instrument())
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert variable.name in new.columns


def test_disclosure_and_defusing_leave_their_input_as_it_was():
    """``generalise``, ``suppress_locally`` and the CSV/XLSX defusing make shallow copies (pandas'
    copy-on-write): the columns they change are new, the frame passed in keeps its values."""
    from feedback.exports.deidentify import Drop, Recode, generalise, suppress_locally
    from feedback.exports.formulas import csv_frame, defuse_frame

    table = long_table(11, 60, 30)
    table.loc[0, "site"] = "east"  # alone at its site: rare
    table.loc[1, "q5"] = "=SUM(A1)"
    before = table.copy(deep=True)
    suppressed = suppress_locally(table, ["site", "role", "age_band"], 3, max_share=0.9)
    assert suppressed.frame is not None and suppressed.blanked
    generalised = generalise(table, ["site", "role", "age_band"], 3,
                             [Recode("age_band", lambda band: None, "bands gone"), Drop("role"), Drop("site")])
    assert generalised.frame is not None
    defused, for_csv = defuse_frame(table), csv_frame(table)
    assert defused.loc[1, "q5"] != "=SUM(A1)" and for_csv.loc[1, "q5"] != "=SUM(A1)"
    pd.testing.assert_frame_equal(table, before, check_exact=True)
    assert suppressed.frame["site"].isna().sum() + suppressed.frame["role"].isna().sum() > before["role"].isna().sum()
