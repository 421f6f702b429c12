"""Benchmark: where the export's main process holds its memory, stage by stage and step by step.

Run:  python tests/benchmarks/export_memory.py --database NAME [--keys-of NAME] [--only INSTRUMENT]
                                               [--profile exports/evaluation.yaml]

Runs ``run_export`` in this process on an already seeded database (``export.py --keep-database``
or ``reports.py --keep-database`` make one; nothing is written to it but the export's audit
record), with a thread reading this process's resident set size every 50 ms. Each progress stage
("reading family-functioning", "writing …") and each step of the table's build inside it
(``STEPS``: the answers read, the respondents, the scores, change, the wide reshape, the
disclosure check, the files) is named as it runs; the largest RSS seen under each name is printed,
largest first, with the RSS at each step's start and end as it goes, and glibc's own count of
its heaps there (``mallinfo2``: in use, free, mmapped), Python's small-object arenas and Arrow's
pool. The finished table's deep size is
taken where the disclosure check and the writers' conversion are handed it, and each instrument's
peak is printed beside it with the peak beyond it (what target 3's proposed restatement bounds).
``--only`` stops after that instrument's files are written (the rest of the export is not run,
so nothing is zipped).

RSS, not tracemalloc: numpy, pandas and pyarrow buffers are most of it. The XLSX worker is another
process and is not counted here (``export.py`` gives both peaks). Memory freed inside the process
is not always given back to the system, so an "ends at" can stay high; the per-step peaks are the
figures to compare. Not a pytest test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: ``runner``'s names wrapped so their time in the build is named (each as it is looked up there).
STEPS = ("_cohort", "answers_by_response", "_respondents", "_with_scores", "add_level_counts", "add_reading_gaps",
         "add_reliable_change", "_wide_member", "_wide_family", "_row_order", "_stacked", "_disclose", "follow_language", "prepare_frame",
         "write_bundle_files")
#: Steps handed the finished table, and which argument it is: its deep size is printed there.
TABLE_STEPS = {"_disclose": 2, "prepare_frame": 0}


class Stopped(Exception):
    """Raised from the progress callback once the instrument asked for is written."""


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _mallinfo2():
    try:
        call = ctypes.CDLL(None).mallinfo2  # glibc 2.33 and later
    except (OSError, AttributeError):
        return None
    call.restype = _MallInfo2
    return call


_MALLINFO2 = _mallinfo2()


def _pymalloc() -> tuple[float, float]:
    """Python's small-object allocator: MB of arenas it holds (1 MiB each, mmapped, so not in
    glibc's count) and MB in blocks in use there (``sys._debugmallocstats``, which writes to the
    C stderr)."""
    with tempfile.TemporaryFile(mode="w+") as out:
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()

    def figure(label: str) -> float:
        found = re.search(rf"# {label}\s*=\s*([\d,]+)", text)
        return int(found.group(1).replace(",", "")) if found else float("nan")

    return figure("arenas allocated current"), figure("bytes in allocated blocks") / 2**20


def heap() -> str:
    """Where the RSS is: glibc's own count (bytes in use in its heaps, bytes free there, which are
    resident until ``freed_memory.give_back`` trims them and still counted free after, and large
    chunks mmapped), Python's small-object arenas and their use, and Arrow's pool (its
    own allocator, which is not glibc's). The rest of the RSS is the code and libraries."""
    if _MALLINFO2 is None:
        return ""
    import pyarrow

    info, (arenas, used) = _MALLINFO2(), _pymalloc()
    return (f" (malloc in use {info.uordblks / 2**20:.0f}, free {info.fordblks / 2**20:.0f}, "
            f"mmapped {info.hblkhd / 2**20:.0f}; pymalloc arenas {arenas:.0f}, used {used:.0f}; "
            f"arrow {pyarrow.total_allocated_bytes() / 2**20:.0f} MB)")


def deep_mb(frame) -> float:
    """The table's own memory: its arrays, and each distinct Python object its object columns point
    to counted once (pandas' ``deep`` counts an object once per cell, so a column of six age bands
    shared by 50,000 rows would count 50,000 strings)."""
    total, seen = frame.index.memory_usage(deep=True), set()
    for _name, column in frame.items():
        total += column.memory_usage(index=False, deep=column.dtype != object)
        if column.dtype == object:
            for value in column.array:
                if id(value) not in seen:
                    seen.add(id(value))
                    total += sys.getsizeof(value)
    return total / 2**20


class Sampler:
    """The largest RSS seen under each name, sampled every 50 ms by a thread."""

    def __init__(self):
        self.name, self.peaks, self._stop = "start", {}, threading.Event()
        self.tables: dict[str, float] = {}  # instrument → its finished table's deep MB (the largest seen)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            size, name = rss_mb(), self.name
            self.peaks[name] = max(self.peaks.get(name, 0.0), size)
            time.sleep(0.05)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def name_steps(sampler: Sampler) -> None:
    from feedback.exports import runner

    for step in STEPS:
        original = getattr(runner, step)

        def named(*args, _original=original, _step=step, **kwargs):
            stage = sampler.name.split(" / ")[0]
            sampler.name = f"{stage} / {_step}"
            print(f"{time.strftime('%X')}   {_step:<22} starts at {rss_mb():7.0f} MB{heap()}", flush=True)
            if _step in TABLE_STEPS:  # the finished table: what the peak beyond it is measured from
                table = args[TABLE_STEPS[_step]]
                instrument = stage.split(" ", 1)[-1]
                sampler.tables[instrument] = max(sampler.tables.get(instrument, 0.0), deep_mb(table))
                print(f"{time.strftime('%X')}   {'':<22} the table: {len(table):,} rows x {table.shape[1]} "
                      f"columns, {deep_mb(table):.0f} MB deep", flush=True)
            try:
                return _original(*args, **kwargs)
            finally:
                print(f"{time.strftime('%X')}   {_step:<22} ends at   {rss_mb():7.0f} MB{heap()}", flush=True)
                sampler.name = stage

        setattr(runner, step, named)
    from feedback.exports import writers

    for name, write in list(writers.WRITERS.items()):  # each format the main process writes, by name
        def written(data, codebook, path, _write=write, _name=name):
            stage = sampler.name
            sampler.name = f"{stage} / writing {_name}"
            try:
                return _write(data, codebook, path)
            finally:
                print(f"{time.strftime('%X')}   {'wrote ' + _name:<22} ends at   {rss_mb():7.0f} MB{heap()}",
                      flush=True)
                sampler.name = stage

        writers.WRITERS[name] = written


def time_giving_back(spent: list) -> None:
    """Count the calls of ``freed_memory.give_back`` the runner makes and the CPU they take."""
    from feedback.exports import runner

    original = runner.give_back

    def timed():
        started = time.process_time()
        try:
            original()
        finally:
            spent.append(time.process_time() - started)

    runner.give_back = timed


def main() -> None:
    import export as seeding  # the datasets benchmark: its settings and database urls

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a seeded database to export")
    parser.add_argument("--keys-of", help="the database whose url made the seed's keys (default: --database)")
    parser.add_argument("--only", help="stop once this instrument's files are written")
    parser.add_argument("--profile", type=Path, default=ROOT / "exports" / "evaluation.yaml")
    options = parser.parse_args()
    os.environ.setdefault("FEEDBACK_PSEUDONYM_KEY", "ab" * 32)

    from feedback import create_app
    from feedback.exports.profile import instrument_items, load_profile, wave_names
    from feedback.exports.runner import run_export
    from feedback.publishing.startup import current_catalogue
    from feedback.waves.service import current_schedules

    url = seeding.database_url(options.database)
    app = create_app({**seeding.settings(seeding.database_url(options.keys_of or options.database)),
                      "DATABASE_URL": url})
    out = Path(tempfile.mkdtemp(prefix="export_memory_"))
    with Sampler() as sampler, app.app_context():
        name_steps(sampler)
        given_back: list[float] = []
        time_giving_back(given_back)
        profile = load_profile(options.profile, instrument_items(current_catalogue()), wave_names(current_schedules()))
        started, written = time.perf_counter(), None

        def progress(stage: str, done: int, total: int, rows: int) -> None:
            nonlocal written
            if written and stage != f"writing {written}" and options.only:
                raise Stopped()
            if stage == f"writing {options.only}":
                written = options.only
            sampler.name = stage
            print(f"{time.strftime('%X')} {stage} (RSS {rss_mb():.0f} MB){heap()}", flush=True)

        try:
            run_export(profile, out, None, progress=progress)
        except Stopped:
            print(f"stopped after {options.only}")
        finally:
            shutil.rmtree(out, ignore_errors=True)
    print(f"{time.perf_counter() - started:.0f} s; this process's peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\nlargest RSS seen, by stage and step:")
    print(f"memory given back {len(given_back)} times, {sum(given_back):.2f} s of CPU in all")
    for name, peak in sorted(sampler.peaks.items(), key=lambda item: -item[1]):
        print(f"  {peak:8.0f} MB  {name}")
    # What target 3's proposed restatement bounds: the peak beyond one copy of the finished table.
    print("each instrument's peak (its stages and steps), its finished table, the peak beyond it:")
    for instrument, table in sampler.tables.items():
        peak = max(size for name, size in sampler.peaks.items() if name.split(" / ")[0].endswith(f" {instrument}"))
        print(f"  {instrument:<28} peak {peak:6.0f} MB  table {table:6.0f} MB  beyond {peak - table:6.0f} MB")


if __name__ == "__main__":  # the XLSX worker is spawned: it imports this file and must not run it
    main()
