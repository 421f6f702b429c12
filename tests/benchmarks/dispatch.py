"""Benchmark: plan and dispatch 50,000 due invitations through the outbox on PostgreSQL.

Run:  python tests/benchmarks/dispatch.py [--invitations 50000] [--processes 1 4] [--batch-size 500]
                                          [--keep-template | --template NAME]

Creates a throwaway PostgreSQL database, migrates it and seeds families leaving support today
(Faker names, valid UK mobiles, consent for taking part and for texts) with the shared seeding
code the concurrent-dispatcher test uses; each family's invitations are planned by the real
planner (``replan_family``), family by family, as recording an exit date does. Each adult gets
two invitations at the exit wave, so 50,000 invitations means 12,500 families.

The seeded database then serves as a PostgreSQL template: every dispatcher run starts from an
identical copy of it. A run starts N dispatcher processes together (each with its own app and
connections, as N ``flask dispatch`` commands would be), each doing one full pass: mark windows
due, claim batches with ``FOR UPDATE SKIP LOCKED``, re-check every contact rule, create the
response and link, write the text to the outbox and confirm the send.

Seeding 50,000 takes minutes; ``--keep-template`` keeps the seeded database and prints its name,
and ``--template NAME`` reuses it (to compare two versions of the dispatcher on the same data).

Prints planning time, messages per second (wall clock, from the start signal until the last
process finishes), texts per process, duplicates and missed invitations (both must be 0), and
each process's CPU seconds (the rest of the wall time it waits for PostgreSQL,
which shares the machine's cores) and peak resident memory. Not a pytest test: nothing is asserted, figures are printed.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import multiprocessing
import os
import resource
import secrets
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def database_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def settings(url: str, template: str) -> dict:
    # Made-up data, so the keys may come from the seeded database's (random) name: a run with
    # --template can then read the phone numbers an earlier run encrypted.
    digest = hashlib.sha256(template.encode()).digest()
    return {"FEEDBACK_ENV": "production", "SECRET_KEY": digest.hex(), "DATABASE_URL": url,
            "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(digest).decode(),
            "FEEDBACK_PUBLIC_BASE_URL": "https://feedback.example.org"}


def dispatcher(overrides: dict, now, batch_size: int, start, results) -> None:
    """One dispatcher process, as one ``flask dispatch`` would run."""
    from feedback import create_app
    from feedback.extensions import db
    from feedback.waves.channels import OutboxBackend
    from feedback.waves.dispatcher import dispatch_once

    try:
        app = create_app(overrides)
        with app.app_context():
            db.session.execute(db.text("select 1"))  # connect before the start signal
            db.session.commit()
            start.wait(timeout=120)
            began, cpu = time.perf_counter(), time.process_time()
            result = dispatch_once(OutboxBackend(), now=now, batch_size=batch_size)
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
            results.put((result.sent, result.cancelled, result.deferred, result.failed, seconds, peak, cpu))
            db.session.remove()
            db.engine.dispose()
    except BaseException as error:  # report it, so the benchmark stops instead of waiting
        results.put(f"{type(error).__name__}: {error}")
        raise


def seed(url: str, template: str, invitations: int) -> tuple[int, float]:
    from feedback import create_app
    from feedback.extensions import db
    from tests.waves.seeding import migrated_with_bench_site, seed_exiting_families

    app = create_app(settings(url, template))
    with app.app_context():
        site_id = migrated_with_bench_site(app)
        began = time.perf_counter()
        seed_exiting_families(site_id, None, families=invitations // 4, exit_on=date.today(), adults_per_family=2)
        seconds = time.perf_counter() - began
        planned = db.session.scalar(db.text("select count(*) from invitations where channel = 'sms_link' and wave = 'exit'"))
        db.session.remove()
        db.engine.dispose()
    return planned, seconds


def run(template: str, processes: int, batch_size: int, now) -> dict:
    import psycopg

    name = f"{template}_run{processes}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        workers = [context.Process(target=dispatcher, args=(settings(database_url(name), template), now, batch_size, start, results))
                   for _ in range(processes)]
        for worker in workers:
            worker.start()
        time.sleep(3)  # let every process import, build its app and connect
        began = time.perf_counter()
        start.set()
        outcomes = [results.get(timeout=3600) for _ in workers]
        wall = time.perf_counter() - began
        for worker in workers:
            worker.join(timeout=60)
        failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
        if failures:
            raise SystemExit(f"a dispatcher failed: {failures}")
        with psycopg.connect(database_url(name)) as connection:
            texts, distinct = connection.execute(
                "select count(*), count(distinct invitation_id) from outbox_messages").fetchone()
            due = connection.execute(
                "select count(*) from invitations where channel = 'sms_link' and wave = 'exit'").fetchone()[0]
        return {"processes": processes, "wall": wall, "texts": texts, "duplicates": texts - distinct,
                "missed": due - distinct, "outcomes": outcomes}
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invitations", type=int, default=50_000, help="due texts to send (a multiple of 4)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--keep-template", action="store_true", help="keep the seeded database for --template")
    parser.add_argument("--template", help="a database kept by an earlier --keep-template run: skip seeding")
    options = parser.parse_args()
    os.chdir(ROOT)

    from tests.waves.seeding import sending_moment

    template = options.template or f"feedback_dispatch_{secrets.token_hex(4)}"
    if not options.template:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{template}"')
    try:
        if options.template:
            with psycopg.connect(database_url(template)) as connection:
                planned = connection.execute("select count(*) from invitations where channel = 'sms_link' "
                                             "and wave = 'exit'").fetchone()[0]
            print(f"reusing {template}: {planned} due invitations")
        else:
            planned, seconds = seed(database_url(template), template, options.invitations)
            print(f"planned {planned} due invitations ({options.invitations // 4} families, 2 adults each, "
                  f"2 instruments each) in {seconds:.1f} s: {options.invitations // 4 / seconds:.0f} families/s "
                  f"(bulk inserts of families, members and consent, then the real planner family by family)")
        now = sending_moment(date.today())
        print(f"dispatching as at {now:%Y-%m-%d %H:%M} UTC, batch size {options.batch_size}, outbox backend")
        for processes in options.processes:
            figures = run(template, processes, options.batch_size, now)
            per_process = [outcome[0] for outcome in figures["outcomes"]]
            peaks = [outcome[5] for outcome in figures["outcomes"]]
            cpu = [outcome[6] for outcome in figures["outcomes"]]
            others = [outcome[1:4] for outcome in figures["outcomes"] if any(outcome[1:4])]
            print(f"{processes} dispatcher{'s' if processes > 1 else ''}: {figures['texts']} texts in "
                  f"{figures['wall']:.1f} s = {figures['texts'] / figures['wall']:.0f} messages/s; "
                  f"duplicates {figures['duplicates']}, missed {figures['missed']}; "
                  f"texts per process {per_process}; CPU s per process {[round(c, 1) for c in cpu]}; peak memory per process (MB) "
                  f"{[round(peak) for peak in peaks]}" + (f"; cancelled/deferred/failed {others}" if others else ""))
    finally:
        if options.keep_template or options.template:
            print(f"kept the seeded database: --template {template}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


if __name__ == "__main__":
    main()
