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
