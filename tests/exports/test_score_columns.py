"""Scale scores placed straight into the responses' rows a chunk at a time (``score_columns``) give
the cells and dtypes the three pivots of the long scores gave (kept here as the reference), in
every case: chunks split anywhere (a response's scales, a duplicate, across chunks), duplicate
rows, responses without scores, scores of responses not in the table, scales nobody has, missing
values, bands, flags and versions, responses in any order."""
import random

import numpy as np
import pandas as pd
import pytest

from feedback.exports.score_columns import ScorePlaces


def pivoted(scored: pd.DataFrame, ids: list, scale_ids: list) -> dict:
    """What ``runner._with_scores`` wrote before (issue 24): its own lines, unchanged."""
    out = {}
    scored = scored.drop_duplicates(["response_id", "scale_id"], keep="first")
    value = scored.pivot(index="response_id", columns="scale_id", values="value").reindex(ids)
    band = scored.pivot(index="response_id", columns="scale_id", values="band").reindex(ids)
    flagged = scored.pivot(index="response_id", columns="scale_id", values="flagged").reindex(ids)
    for scale in scale_ids:
        numbers = value[scale] if scale in value.columns else pd.Series(None, index=ids, dtype="object")
        out[f"score_{scale}"] = pd.to_numeric(numbers, errors="coerce").to_numpy()
        bands = band[scale] if scale in band.columns else pd.Series(None, index=ids, dtype="object")
        out[f"band_{scale}"] = bands.astype(object).where(bands.notna(), None).to_numpy()
        flags = flagged[scale] if scale in flagged.columns else pd.Series(None, index=ids, dtype="object")
        out[f"flag_{scale}"] = pd.to_numeric(flags.map({True: 1, False: 0}), errors="coerce").to_numpy()
    version = scored.groupby("response_id", sort=False)["scoring_version"].first().reindex(ids)
    out["scoring_version"] = version.astype(object).where(version.notna(), None).to_numpy()
    return out


def placed(scored: pd.DataFrame, ids: list, scale_ids: list, chunk_rows: int = 1000) -> dict:
    places = ScorePlaces(pd.Series(ids))
    for start in range(0, max(len(scored), 1), chunk_rows):
        places.add(scored.iloc[start:start + chunk_rows])
    out = {}
    for scale in scale_ids:
        out[f"score_{scale}"], out[f"band_{scale}"], out[f"flag_{scale}"] = places.scale(scale)
    out["scoring_version"] = places.versions()
    return out


def assert_same(expected: dict, actual: dict) -> None:
    assert list(actual) == list(expected)
    for name, want in expected.items():
        got = actual[name]
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        # As the table and every writer see them: the same cells, None and NaN where they were.
        pd.testing.assert_series_equal(pd.Series(got), pd.Series(want), check_exact=True, obj=name)
        assert [type(v) for v in got] == [type(v) for v in want], name


def long_scores(rng: random.Random, responses: int, scales: list, *, whole: bool, gaps: float, duplicates: int,
                none_flags: bool, none_bands: bool) -> pd.DataFrame:
    rows = []
    for response in rng.sample(range(1, 10 * responses + 1), responses):
        for scale in scales:
            if rng.random() < gaps:
                continue
            value = float(rng.randrange(0, 40)) if whole else (None if rng.random() < 0.1 else rng.randrange(0, 400) / 8)
            rows.append((response, scale, value, rng.choice([True, False, None] if none_flags else [True, False]),
                         rng.choice(["low", "high", None] if none_bands else ["low", "high"]),
                         rng.choice(["1", "2", None])))
    for _ in range(duplicates):  # a response scored twice on a scale: the first row counts
        twin = list(rng.choice(rows)) if rows else None
        if twin:
            twin[2], twin[3], twin[5] = 99, not twin[3] if twin[3] is not None else True, "9"
            rows.insert(rng.randrange(len(rows) + 1), tuple(twin))
    return pd.DataFrame.from_records(rows, columns=["response_id", "scale_id", "value", "flagged", "band",
                                                    "scoring_version"])


@pytest.mark.parametrize("seed", range(40))
def test_scores_placed_are_the_pivots_cells_and_dtypes(seed):
    rng = random.Random(seed)
    scales = ["cohesion", "conflict", "roles"][: rng.randint(1, 3)]
    scored = long_scores(rng, rng.randint(1, 30), scales, whole=rng.random() < 0.4,
                         gaps=rng.choice([0, 0, 0.2]), duplicates=rng.choice([0, 0, 3]),
                         none_flags=rng.random() < 0.5, none_bands=rng.random() < 0.5)
    scored_ids = list(dict.fromkeys(scored["response_id"]))
    # The table's rows: the scored responses in another order, with some that have no score, and
    # perhaps not every scored response (scores the table does not show are left out).
    ids = scored_ids[: len(scored_ids) - rng.choice([0, 0, 1])] + rng.sample(range(10_000, 10_050), rng.choice([0, 0, 3]))
    rng.shuffle(ids)
    asked = scales + (["not_scored"] if rng.random() < 0.5 else [])
    expected = pivoted(scored, ids, asked)
    for chunk_rows in (1, 2, 5, 1000):
        assert_same(expected, placed(scored, ids, asked, chunk_rows))


@pytest.mark.parametrize("case", ["every response every scale", "one gap", "a row without a score",
                                  "one flag missing", "all values missing", "no score at all"])
def test_the_dtype_edges_of_the_pivot(case):
    rows = [(1, "a", 3.0, True, "low", "1"), (1, "b", 4.5, False, "high", "1"),
            (2, "a", 5.0, False, None, None), (2, "b", 6.0, True, "low", "2")]
    ids = [2, 1]
    if case == "one gap":
        rows = rows[:3]
    elif case == "a row without a score":
        ids = [2, 7, 1]
    elif case == "one flag missing":
        rows[1] = (1, "b", 4.5, None, "high", "1")
    elif case == "all values missing":
        rows = [(r, s, None, f, b, sv) for r, s, v, f, b, sv in rows]
    elif case == "no score at all":
        rows = rows[:0]
    scored = pd.DataFrame.from_records(rows, columns=["response_id", "scale_id", "value", "flagged", "band",
                                                      "scoring_version"])
    places = ScorePlaces(pd.Series(ids))
    places.add(scored)
    if case == "no score at all":  # the table gets no score columns then (``runner._with_scores``)
        assert places.read == 0
        return
    expected = pivoted(scored, ids, ["a", "b", "c"])
    assert_same(expected, placed(scored, ids, ["a", "b", "c"], chunk_rows=1))
    if case == "every response every scale":
        assert expected["flag_a"].dtype == np.int64  # the edge is real: whole numbers when no flag is missing
    if case == "one flag missing":
        assert expected["flag_b"].dtype == np.float64 and expected["flag_a"].dtype == np.int64
