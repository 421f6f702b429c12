"""Giving the memory an export has freed back to the system, between the stages that free most.

An export builds one large table at a time and lets each go. glibc keeps what numpy and pandas
free inside its heaps for the next allocation, and Arrow's pool (mimalloc) keeps its pages too:
at 100,000 families the main process held about 100–160 MB freed but kept while the next table
was built, on top of the table itself (``tests/benchmarks/export_memory.py`` prints glibc's and
Arrow's counts). Handing those pages back bounds the process's resident memory by what it uses.

Nothing here changes what an export writes. Where the C library is not glibc (``malloc_trim``
is glibc's), only Arrow's pool is asked.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back() -> None:
    """Return the free pages of glibc's heaps and Arrow's pool to the system (a few milliseconds)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # 0: keep no slack at the heaps' tops; every whole free page inside them goes too
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - pyarrow is a dependency; an install without it has no pool
        return
    pyarrow.default_memory_pool().release_unused()
