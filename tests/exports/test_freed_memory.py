"""What an export frees goes back to the system, and its tables hold no Python object per cell.

At 100,000 families the export's main process kept about 160 MB more than it used: freed heap pages
glibc kept for later, and the arenas of the small Python objects (mostly the pseudonyms, one string
per cell) it could not hand back while a few of their neighbours lived. ``freed_memory.give_back``
is called between the stages that free most; the pseudonyms are held as Arrow text.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from feedback.exports import freed_memory, runner
from feedback.exports.dataset import Selection
from feedback.publishing.startup import current_catalogue
from tests.exports.test_runner import KEY, profile


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(freed_memory._malloc_trim() is None or not os.path.exists("/proc/self/statm"),
                    reason="glibc's malloc_trim and Linux's /proc are what this measures")
def test_pages_freed_between_live_arrays_go_back_to_the_system():
    # 2,000 arrays of 96 KiB (below glibc's mmap threshold, so in its heap, as a block's columns
    # are), touched; every twentieth is kept, so the freed ones lie between live ones and free()
    # cannot shrink the heap from its top: only the trim gives them back.
    arrays = [np.ones(96 * 1024 // 8) for _ in range(2_000)]
    kept = arrays[::20]
    filled = resident_mb()
    del arrays
    before = resident_mb()
    freed_memory.give_back()
    after = resident_mb()
    assert kept[0][0] == 1.0
    # The premise: glibc kept the freed pages (else this test would show nothing).
    assert before > filled - 40, (filled, before)
    assert before - after > 100, f"RSS {before:.0f} MB before giving back, {after:.0f} MB after"


def test_giving_back_twice_or_with_nothing_freed_is_harmless():
    freed_memory.give_back()
    freed_memory.give_back()


def test_a_deidentified_tables_pseudonyms_are_arrow_text_not_python_objects(app, ctx, world, tmp_path):
    from tests.exports.test_dataset import answered_family

    for case in ("CASE-1", "CASE-2"):
        answered_family(world, case)
    export = profile(tmp_path)
    selection = Selection(instruments=("family-functioning",))
    table, *_ = runner._build(export, "family-functioning", selection, KEY, current_catalogue(), False)
    for name in ("response", "family", "member"):
        assert isinstance(table[name].dtype, pd.StringDtype), (name, table[name].dtype)
        assert table[name].notna().all() and table[name].str.len().eq(16).all()
    # Unique per response, shared per member and family, as before.
    assert table["response"].is_unique and table["member"].nunique() == 4 and table["family"].nunique() == 2


def test_a_numeric_items_cells_share_one_object_per_number_and_keep_their_types():
    # Read from numpy, every -9 ("not asked") was its own Python int, held until the whole table was
    # made numeric: tens of MB at national scale. One object per (type, value) now; True is not 1,
    # and 1.0 stays a float beside 1.
    from types import SimpleNamespace

    read = [int(v) for v in np.array([-9, 1, -9, 2, -9, 1000, 1000] * 50, dtype=np.int64)]
    read[:4] = [True, 1, 1.0, None]
    assert len({id(v) for v in read if v == -9}) > 1  # the premise: numpy gave separate objects
    values = pd.DataFrame({"q": pd.Series(read, dtype=object)})
    frame = pd.DataFrame({"family_id": range(len(read))})
    item = SimpleNamespace(id="q", type="number")
    cells = runner._item_values(values, item, np.ones(len(read), dtype=bool), frame, {}, False)
    assert [(type(v), v) for v in cells[:4]] == [(bool, True), (int, 1), (float, 1.0), (type(None), None)]
    assert cells[4:].tolist() == read[4:]
    for number in (-9, 1000):
        assert len({id(v) for v in cells if type(v) is int and v == number}) == 1
