"""Writing the slowest format of a large export in a second process while the export goes on.

XLSX is the slowest format by far: XlsxWriter formats every cell in Python, about three
microseconds each (openpyxl, before it, five), while CSV, SPSS, Stata and Parquet are written by
compiled code. On a machine with more than one core, a large table's XLSX file is handed to one
worker process and written while the main process builds the next instrument's table and writes
its other formats; the export waits for the worker before it writes the manifest. Small tables (and one-core machines)
are written in place: starting a process costs about a second, more than a small file takes.

The worker is started with "spawn", not "fork": a forked child would share the parent's
database connections, and it needs none.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Callable

#: Formats handed to the worker.
SLOW_FORMATS = ("xlsx",)
#: Cells (rows × columns) from which a table's slow formats go to the worker.
MIN_CELLS = 20_000


class BackgroundWriter:
    """Runs some writes in one worker process; ``wait`` re-raises the first failure."""

    def __init__(self, min_cells: int = MIN_CELLS, cores: int | None = None):
        self.min_cells = min_cells
        self.cores = cores if cores is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future] = []
        self._cleanup: list[Path] = []

    def wants(self, name: str, cells: int) -> bool:
        """Whether a file of format ``name`` for a table of ``cells`` cells should go to the worker."""
        return name in SLOW_FORMATS and self.cores > 1 and cells >= self.min_cells

    def submit(self, write: Callable, *args, cleanup: Path | None = None) -> None:
        """Run ``write(*args)`` in the worker; ``cleanup`` (a file the write reads, such as spilled
        rows) is removed once the write has run, failed or been cancelled."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        future = self._pool.submit(write, *args)
        if cleanup is not None:
            self._cleanup.append(cleanup)
            future.add_done_callback(lambda _done, path=cleanup: Path(path).unlink(missing_ok=True))
        self._futures.append(future)

    def wait(self) -> None:
        futures, self._futures = self._futures, []
        try:
            for future in futures:
                future.result()
        finally:
            self._remove_leftovers()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        # A done callback runs in the pool's thread; removing again here makes sure no spilled file
        # is left in the bundle's folder when the caller goes on to hash and zip it.
        cleanup, self._cleanup = self._cleanup, []
        for path in cleanup:
            Path(path).unlink(missing_ok=True)

    def __enter__(self) -> "BackgroundWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
