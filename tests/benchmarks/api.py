"""Benchmark: upsert families through PUT /api/v1/families and read invitations by cursor, on PostgreSQL.

Run:  python tests/benchmarks/api.py [--families 10000] [--invitations 100000] [--page 1000]

Creates a throwaway PostgreSQL database, migrates it, makes one site, a key worker and an API
client with every scope, then PUTs ``--families`` families (two members with consent, an exit date
in three weeks, so their waves are planned by the real planner) through the app's WSGI interface
(Flask's test client: no network, the whole request path otherwise). Then it tops the invitations
table up to ``--invitations`` rows with copies of the planned ones (SQL) and reads them all through
GET /api/v1/invitations, ``--page`` rows a page, following next_cursor. Prints families per second
and rows per second; each API call is audited, as in production. Not a pytest test.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    options = parser.parse_args()

    import psycopg
    import sqlalchemy as sa

    name = f"bench_api_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
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
        began = time.perf_counter()
        for number in range(options.families):
            answer = client.put(f"/api/v1/families/B-{number}", json=body(number, exit_on), headers=headers)
            if answer.status_code != 201:
                raise SystemExit(f"family {number}: {answer.status_code} {answer.get_data(as_text=True)}")
        upserted = time.perf_counter() - began
        print(f"upsert: {options.families} families in {upserted:.1f} s = {options.families / upserted:.1f} families/s")

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
        began = time.perf_counter()
        while True:
            query = {"limit": options.page, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/invitations", query_string=query, headers=headers).json
            read, cursor, pages = read + len(page["items"]), page["next_cursor"], pages + 1
            if not page["has_more"]:
                break
        elapsed = time.perf_counter() - began
        print(f"read: {read} invitations in {pages} pages of {options.page} in {elapsed:.1f} s = {read / elapsed:,.0f} rows/s")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
