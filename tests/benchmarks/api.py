"""Benchmark: upsert families through the families API and read invitations by cursor.

Run:  python tests/benchmarks/api.py [--families 10000] [--batch 500] [--invitations 100000] [--page 1000]
                                     [--database postgresql|sqlite] [--profile [--top 30]]

Creates a throwaway database (PostgreSQL by default; ``--database sqlite``: a temporary file),
migrates it, makes one site, a key worker and an API client with every scope, then upserts
``--families`` families (two members with consent, an exit date in three weeks, so their waves
are planned by the real planner) through the app's WSGI interface (Flask's test client: no
network, the whole request path otherwise): one ``PUT /api/v1/families/{case_ref}`` each, or with
``--batch N``, ``POST /api/v1/families:batch`` with N families a request. Then, on PostgreSQL, it
tops the invitations table up to ``--invitations`` rows with copies of the planned ones (SQL) and
reads them all through GET /api/v1/invitations, ``--page`` rows a page, following next_cursor.

Prints families per second, CPU milliseconds per family of this process (the app and the test
client: ``resource.getrusage``) and of the benchmark database's PostgreSQL backends, and rows per
second with CPU microseconds per row. CPU time is the steadier figure on a busy machine. Each API
call is audited, as in production. ``--profile`` runs the upserts under cProfile and prints the
heaviest functions (cProfile roughly doubles the times). Not a pytest test.
"""
from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import os
import pstats
import resource
import secrets
import sys
import tempfile
import time
import types
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

from cpu_meter import CpuMeter  # noqa: E402

TOP_UP = """
INSERT INTO invitations (family_id, member_id, staff_id, recipient_key, schedule_id, wave, instrument_id, channel,
                         due_on, opens_at, closes_at, state, reminders_sent, send_attempts, anonymous, created_at,
                         updated_at)
SELECT family_id, member_id, staff_id, recipient_key || '-' || n, schedule_id, wave, instrument_id, channel, due_on,
       opens_at, closes_at, state, 0, 0, false, created_at, updated_at + n * interval '1 microsecond'
FROM invitations, generate_series(1, %(copies)s) AS n
"""


def body(number: int, exit_on: date) -> dict:
    return {"site": "bench", "entry_date": "2026-01-05", "exit_date": exit_on.isoformat(), "members": [
        {"member_ref": "M1", "role": "mother", "birth_year_month": "1990-04", "phone": f"07911{number % 1000000:06d}",
         "consents": [{"purpose": "participation", "given": True, "on": "2026-01-05"},
                      {"purpose": "sms", "given": True, "on": "2026-01-05"}]},
        {"member_ref": "C1", "role": "child", "birth_year_month": "2019-06",
         "consents": [{"purpose": "participation", "party": "parent", "given": True, "on": "2026-01-05"}]}]}


class Cpu:
    """CPU seconds of this process and of the database's backends (PostgreSQL) since ``start``."""

    def __init__(self, database: str | None):
        self.meter = CpuMeter(types.SimpleNamespace(pid=os.getpid()), database or "\0") if database else None

    def read(self) -> tuple[float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        backends = sum(self.meter.snapshot()["database"].values()) if self.meter else 0.0
        return usage.ru_utime + usage.ru_stime, backends


def upsert_all(client, headers, options, exit_on: date) -> None:
    if not options.batch:
        for number in range(options.families):
            answer = client.put(f"/api/v1/families/B-{number}", json=body(number, exit_on), headers=headers)
            if answer.status_code != 201:
                raise SystemExit(f"family {number}: {answer.status_code} {answer.get_data(as_text=True)}")
        return
    for first in range(0, options.families, options.batch):
        numbers = range(first, min(first + options.batch, options.families))
        families = [{"case_ref": f"B-{number}", **body(number, exit_on)} for number in numbers]
        answer = client.post("/api/v1/families:batch", json={"families": families}, headers=headers)
        if answer.status_code != 200 or any(item["result"] != "created" for item in answer.json["families"]):
            raise SystemExit(f"batch from {first}: {answer.status_code} {answer.get_data(as_text=True)[:2000]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=0, help="families per POST /api/v1/families:batch (0: one PUT each)")
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()

    import psycopg
    import sqlalchemy as sa

    name = f"bench_api_{secrets.token_hex(4)}"
    postgres = options.database == "postgresql"
    if postgres:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite3"
    try:
        from flask_migrate import upgrade

        from feedback import create_app
        from feedback.api.clients import SCOPES, create_client
        from feedback.extensions import db
        from feedback.staff.models import Site

        digest = hashlib.sha256(name.encode()).digest()
        app = create_app({"FEEDBACK_ENV": "production", "SECRET_KEY": digest.hex(), "DATABASE_URL": url,
                          "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(digest).decode(),
                          "FEEDBACK_PUBLIC_BASE_URL": "https://feedback.example.org"})
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            site = Site(code="bench", name="Benchmark")
            db.session.add(site)
            db.session.flush()
            token = create_client("bench", SCOPES, [site.id], None, rate_limit="1000000 per minute").token
            db.session.commit()
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        headers = {"Authorization": f"Bearer {token}"}
        exit_on = date.today() + timedelta(days=21)
        cpu = Cpu(name if postgres else None)
        profiler = cProfile.Profile() if options.profile else None
        cpu_before, began = cpu.read(), time.perf_counter()
        if profiler:
            profiler.enable()
        upsert_all(client, headers, options, exit_on)
        if profiler:
            profiler.disable()
        upserted, cpu_after = time.perf_counter() - began, cpu.read()
        mode = f"batches of {options.batch}" if options.batch else "one PUT each"
        own, backends = ((after - before) * 1000 / options.families for before, after in zip(cpu_before, cpu_after))
        print(f"upsert ({options.database}, {mode}): {options.families} families in {upserted:.1f} s = "
              f"{options.families / upserted:.1f} families/s; CPU per family: {own:.1f} ms this process"
              + (f", {backends:.1f} ms PostgreSQL" if postgres else ""))
        if profiler:
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("cumulative").print_stats(options.top)
            stats.sort_stats("tottime").print_stats(options.top)

        if not postgres:
            return
        with app.app_context():
            planned = db.session.scalar(sa.text("select count(*) from invitations"))
        copies = max(0, -(-options.invitations // max(planned, 1)) - 1)
        with psycopg.connect(url, autocommit=True) as connection:
            if copies:
                connection.execute(TOP_UP, {"copies": copies})
            connection.execute("ANALYZE")
            total = connection.execute("select count(*) from invitations").fetchone()[0]
        print(f"invitations: {planned} planned by the upserts, {total} after topping up")
        read, cursor, pages = 0, None, 0
        cpu_before, began = cpu.read(), time.perf_counter()
        while True:
            query = {"limit": options.page, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/invitations", query_string=query, headers=headers).json
            read, cursor, pages = read + len(page["items"]), page["next_cursor"], pages + 1
            if not page["has_more"]:
                break
        elapsed, cpu_after = time.perf_counter() - began, cpu.read()
        own, backends = ((after - before) * 1e6 / read for before, after in zip(cpu_before, cpu_after))
        print(f"read: {read} invitations in {pages} pages of {options.page} in {elapsed:.1f} s = "
              f"{read / elapsed:,.0f} rows/s; CPU per row: {own:.0f} µs this process, {backends:.0f} µs PostgreSQL")
    finally:
        if postgres:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
