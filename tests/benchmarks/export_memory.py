"""Benchmark: where the export's main process holds its memory, stage by stage and step by step.

Run:  python tests/benchmarks/export_memory.py --database NAME [--keys-of NAME] [--only INSTRUMENT]
                                               [--profile exports/evaluation.yaml]

Runs ``run_export`` in this process on an already seeded database (``export.py --keep-database``
or ``reports.py --keep-database`` make one; nothing is written to it but the export's audit
record), with a thread reading this process's resident set size every 50 ms. Each progress stage
("reading family-functioning", "writing …") and each step of the table's build inside it
(``STEPS``: the answers read, the respondents, the scores, change, the wide reshape, the
disclosure check, the files) is named as it runs; the largest RSS seen under each name is printed,
largest first, with the RSS at each step's start and end as it goes. ``--only`` stops after that
instrument's files are written (the rest of the export is not run, so nothing is zipped).

RSS, not tracemalloc: numpy, pandas and pyarrow buffers are most of it. The XLSX worker is another
process and is not counted here (``export.py`` gives both peaks). Memory freed inside the process
is not always given back to the system, so an "ends at" can stay high; the per-step peaks are the
figures to compare. Not a pytest test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
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
         "add_reliable_change", "_wide_member", "_wide_family", "_disclose", "follow_language", "prepare_frame",
         "write_bundle_files")


class Stopped(Exception):
    """Raised from the progress callback once the instrument asked for is written."""


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sampler:
    """The largest RSS seen under each name, sampled every 50 ms by a thread."""

    def __init__(self):
        self.name, self.peaks, self._stop = "start", {}, threading.Event()
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
            print(f"{time.strftime('%X')}   {_step:<22} starts at {rss_mb():7.0f} MB", flush=True)
            try:
                return _original(*args, **kwargs)
            finally:
                print(f"{time.strftime('%X')}   {_step:<22} ends at   {rss_mb():7.0f} MB", flush=True)
                sampler.name = stage

        setattr(runner, step, named)


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
        profile = load_profile(options.profile, instrument_items(current_catalogue()), wave_names(current_schedules()))
        started, written = time.perf_counter(), None

        def progress(stage: str, done: int, total: int, rows: int) -> None:
            nonlocal written
            if written and stage != f"writing {written}" and options.only:
                raise Stopped()
            if stage == f"writing {options.only}":
                written = options.only
            sampler.name = stage
            print(f"{time.strftime('%X')} {stage} (RSS {rss_mb():.0f} MB)", flush=True)

        try:
            run_export(profile, out, None, progress=progress)
        except Stopped:
            print(f"stopped after {options.only}")
        finally:
            shutil.rmtree(out, ignore_errors=True)
    print(f"{time.perf_counter() - started:.0f} s; this process's peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\nlargest RSS seen, by stage and step:")
    for name, peak in sorted(sampler.peaks.items(), key=lambda item: -item[1]):
        print(f"  {peak:8.0f} MB  {name}")


if __name__ == "__main__":  # the XLSX worker is spawned: it imports this file and must not run it
    main()
