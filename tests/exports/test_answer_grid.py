"""Answers read in chunks make the same table, dtypes included, as reading them all and pivoting."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from feedback.exports.answer_grid import AnswerGrid, records_frame


def pivoted(rows, ids) -> pd.DataFrame:
    """How the export used to lay answers out: one long frame of every answer, pivoted."""
    long = pd.DataFrame.from_records(rows, columns=["response_id", "item_id", "value"])
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="response_id")).reindex(ids)
    return long.pivot(index="response_id", columns="item_id", values="value").reindex(ids)


def gridded(rows, ids, chunk: int) -> pd.DataFrame:
    grid = AnswerGrid(ids)
    for start in range(0, len(rows), chunk):
        grid.add(rows[start:start + chunk])
    return grid.frame()


IDS = [30, 10, 20]
CASES = {
    "whole numbers, every cell": [(10, "b", 1), (10, "a", 2), (20, "a", 3), (20, "b", 4), (30, "a", 5), (30, "b", 0)],
    "whole numbers with a gap": [(10, "a", 1), (20, "b", 4), (30, "a", 5), (30, "b", 0)],
    "a response with no answers": [(10, "a", 1), (10, "b", 2), (30, "a", 5), (30, "b", 0)],
    "whole and fractional numbers": [(10, "a", 1), (20, "a", 2.5), (30, "a", 3), (10, "b", 1), (20, "b", 1),
                                     (30, "b", 1)],
    "numbers and text": [(10, "a", 1), (20, "a", 2), (30, "a", 3), (10, "t", "well"), (30, "t", "=1+1")],
    "lists of codes": [(10, "m", [1, 2]), (20, "m", [3]), (30, "a", 2)],
    "yes and no as booleans": [(10, "y", True), (20, "y", False), (30, "y", True)],
    "booleans with a gap": [(10, "y", True), (30, "y", False)],
    "booleans and numbers": [(10, "y", True), (20, "a", 2), (30, "y", False), (30, "a", 1)],
    "text only": [(10, "t", "one"), (30, "t", "three"), (30, "u", "")],
    "an answer of a response not exported": [(10, "a", 1), (99, "a", 7), (20, "a", 2), (30, "a", 3)],
    "nothing answered": [],
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_chunked_answers_make_the_pivoted_table(case, chunk):
    rows = CASES[case]
    pd.testing.assert_frame_equal(gridded(rows, IDS, chunk), pivoted(rows, IDS), check_column_type=True)


def test_a_value_seen_only_in_a_late_chunk_still_decides_the_dtype():
    # The first chunks hold whole numbers, the last text: every column is then of Python objects,
    # and the early numbers stay whole (1, not 1.0), as one pivot over everything gives.
    rows = [(10, "a", 1), (20, "a", 2), (30, "a", 3), (10, "t", "late")]
    frame = gridded(rows, IDS, 1)
    pd.testing.assert_frame_equal(frame, pivoted(rows, IDS))
    assert frame.loc[10, "a"] == 1 and isinstance(frame.loc[10, "a"], int)


def test_each_answer_lands_on_its_own_response_whatever_the_order_read():
    rows = [(20, "a", "twenty"), (30, "a", "thirty"), (10, "a", "ten")]
    frame = gridded(rows, IDS, 1)
    assert list(frame.index) == IDS and list(frame["a"]) == ["thirty", "ten", "twenty"]


RECORDS = {
    "whole numbers, a gap in one chunk": [(1, 5), (2, None), (3, 7), (4, 8)],
    "a chunk of nothing but gaps": [(1, None), (2, None), (3, 7), (4, 8)],
    "text with a gap": [(1, "a"), (2, None), (3, "c"), (4, "d")],
    "only gaps": [(1, None), (2, None), (3, None), (4, None)],
    "times with a gap": [(1, datetime(2026, 1, 2, 3, 4, 5, 6)), (2, None), (3, datetime(2026, 5, 1)), (4, None)],
    "days with a gap": [(1, date(2026, 1, 2)), (2, None), (3, date(2026, 5, 1)), (4, date(2025, 1, 1))],
    "yes and no with a gap": [(1, True), (2, None), (3, False), (4, True)],
    "fractions": [(1, 1.5), (2, 2), (3, None), (4, 0.25)],
    "nothing": [],
}


@pytest.mark.parametrize("case", RECORDS)
@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_records_read_in_chunks_make_the_frame_of_all_of_them(case, chunk):
    rows = RECORDS[case]
    chunks = [rows[start:start + chunk] for start in range(0, len(rows), chunk)]
    pd.testing.assert_frame_equal(records_frame(chunks, ["id", "value"]),
                                  pd.DataFrame.from_records(rows, columns=["id", "value"]))


# The grid infers each chunk's value column from a list (``pd.DataFrame({"value": values})``), not
# from a tuple per row: the same dtype and values as from_records, for every mix of JSON values.
JSON_VALUES = {"whole": [1, 0, -6, 7], "fraction": [2.5, 1.0, -0.5], "yes/no": [True, False], "text": ["a", "", "=x"],
               "null": [None], "list": [[1, 2], []], "mapping": [{"a": 1}], "huge": [2**70], "over int64": [2**63 + 5]}


def test_a_chunk_of_any_mix_of_json_values_gets_from_records_dtype_and_values():
    import itertools
    import random

    rng = random.Random(24)
    kinds = list(JSON_VALUES)
    checked = 0
    for size in (1, 2, 3):
        for mix in itertools.combinations(kinds, size):
            for _ in range(4):
                values = [rng.choice(JSON_VALUES[rng.choice(mix)]) for _ in range(rng.randrange(1, 9))]
                rows = [(10 + n, "a", value) for n, value in enumerate(values)]
                ids = [row[0] for row in rows]
                grid = AnswerGrid(ids)
                grid.add(rows)
                got, expected = grid.frame(), pivoted(rows, ids)
                pd.testing.assert_frame_equal(got, expected, check_column_type=True)
                assert [type(v) for v in got["a"]] == [type(v) for v in expected["a"]]
                checked += 1
    assert checked == 4 * (9 + 36 + 84)


def test_json_texts_decode_as_json_loads_does_with_no_list_shared():
    import json

    from feedback.exports.dataset import decode_json

    texts = ["1", "1.0", "true", '"1"', None, "[1, 2]", "[1, 2]", '{"a": [1]}', '{"a": [1]}', "null", "1", '"é\\n"']
    decoded = decode_json(texts)
    assert decoded == [None if text is None else json.loads(text) for text in texts]
    assert [type(v) for v in decoded] == [type(None) if text is None else type(json.loads(text)) for text in texts]
    assert decoded[5] is not decoded[6] and decoded[7] is not decoded[8]
    assert decode_json([]) == []
