"""Profile: where one inbound SMS reply (Twilio's webhook) spends its time, in-process.

Run:  python tests/benchmarks/profile_sms.py [--members 100] [--phases] [--statements] [--profile] [--top 30]

No server and no sockets: the Flask test client posts signed texts, so the figures are the app's
own cost per text plus the database's (PostgreSQL, a throwaway database). Seeds and dispatches
exactly as ``sms_inbound.py`` does, answers every conversation to the end with the same senders'
logic, and prints the median and p90 wall and CPU milliseconds per text. ``--profile`` adds a
cProfile listing of the heaviest functions, ``--phases`` the CPU of each phase of the webhook,
``--statements`` the SQL statements per text by kind. Not a pytest test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import base64
import cProfile
import html
import os
import pstats
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import sms_inbound  # noqa: E402  (the same seeding and the same senders as the load test)
from profile_page import time_phases  # noqa: E402

PHASES = {
    # label: (module, attribute) of a function whose CPU time is counted under that label
    # The webhook checks the signature itself (twilio's address variants, stopping at a match).
    "signature check": ("feedback.sms.views", "_signature_valid"),
    "rate limit": ("flask_limiter._extension", "Limiter._check_request_limit"),
    "number digest": ("feedback.sms.inbound", "sender_digest"),
    "find conversation": ("feedback.sms.inbound", "open_for"),
    "take the reply": ("feedback.sms.inbound", "take_reply"),
    "  save answers": ("feedback.sms.conversations", "save_answers"),
    "  complete": ("feedback.sms.conversations", "complete"),
    "  parse and next question": ("feedback.sms.conversations", "advance"),
    "    parse the reply": ("feedback.sms.conversation", "parse_reply"),
    "    find the next question": ("feedback.sms.conversation", "next_item"),
    "    word the question": ("feedback.sms.conversation", "prompt"),
    # One statement on PostgreSQL (issue 24); ``move`` is the conversation's own UPDATE elsewhere.
    "store the text, the reply's copy and the conversation": ("feedback.sms.inbound", "_store"),
    "  conversation state, when not in that statement": ("feedback.sms.inbound", "move"),
    "commit": ("feedback.sms.inbound", "db.session.commit"),
    "whole handler": ("feedback.sms.views", "handle"),
    "reply TwiML": ("feedback.sms.views", "twiml"),
    "after-request hooks": ("flask.app", "Flask.process_response"),
    "teardown": ("flask.app", "Flask.do_teardown_appcontext"),
}


class ClientWebhook:
    """``sms_inbound.Webhook`` over the Flask test client: signed exactly as Twilio signs."""

    def __init__(self, client, timings: list):
        from twilio.request_validator import RequestValidator

        self.client = client
        self.validator = RequestValidator(sms_inbound.AUTH_TOKEN)
        self.url = sms_inbound.PUBLIC_BASE_URL + sms_inbound.INBOUND_PATH
        self.timings = timings

    def post(self, params: dict) -> tuple[int, str, float, float]:
        headers = {"X-Twilio-Signature": self.validator.compute_signature(self.url, params)}
        started, cpu = time.perf_counter(), time.process_time()
        response = self.client.post(sms_inbound.INBOUND_PATH, data=params, headers=headers)
        seconds = time.perf_counter() - started
        self.timings.append((seconds, time.process_time() - cpu))
        found = sms_inbound.MESSAGE.search(response.get_data(as_text=True))
        return response.status_code, html.unescape(found.group(1)) if found else "", started, seconds


def count_statements(app, counts: Counter) -> None:
    """Count every statement the app's engine runs into ``counts``, keyed by its first words."""
    import sqlalchemy as sa

    with app.app_context():
        from feedback.extensions import db

        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def counted(_conn, _cursor, statement, _parameters, _context, _executemany):
        counts[" ".join(statement.split())[:110]] += 1


def webhook_app(base_env: dict):
    """The app answering the benchmark's signed texts in process: Twilio's settings (its replies
    are TwiML, so nothing is sent), the limiter in memory, nothing from the caller's environment
    that would point it elsewhere."""
    from feedback import create_app

    for name in ("TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL", "FEEDBACK_RATE_LIMIT_STORAGE"):
        os.environ.pop(name, None)
    return create_app({**base_env, "FEEDBACK_CHANNEL_BACKEND": "twilio",
                       "TWILIO_ACCOUNT_SID": sms_inbound.ACCOUNT_SID, "TWILIO_AUTH_TOKEN": sms_inbound.AUTH_TOKEN,
                       "TWILIO_FROM_NUMBER": sms_inbound.FROM_NUMBER})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--phases", action="store_true", help="CPU ms per text in each phase of the webhook")
    parser.add_argument("--statements", action="store_true",
                        help="SQL statements per text, and how often each kind ran")
    options = parser.parse_args()
    os.chdir(ROOT)

    import psycopg

    database = f"feedback_smsprof_{secrets.token_hex(4)}"
    with psycopg.connect(sms_inbound.ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    base_env = {"FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
                "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
                "FEEDBACK_PUBLIC_BASE_URL": sms_inbound.PUBLIC_BASE_URL}
    try:
        conversations, _seeded = sms_inbound.seed(base_env, options.members)
        app = webhook_app(base_env)
        phases: dict = {}
        if options.phases:
            time_phases(phases, PHASES)
        timings: list = []
        statements: Counter = Counter()
        if options.statements:
            count_statements(app, statements)
        webhook = ClientWebhook(app.test_client(), timings)
        warm, rest = conversations[:5], conversations[5:]
        sms_inbound.sender(webhook, warm, sms_inbound.Tally(), 1, 0.0, 0.03)
        timings.clear()
        phases.clear()
        statements.clear()
        tally = sms_inbound.Tally()
        profiler = cProfile.Profile() if options.profile else None
        if profiler:
            profiler.enable()
        sms_inbound.sender(webhook, rest, tally, 2, 0.0, 0.03)
        if profiler:
            profiler.disable()
    finally:
        with psycopg.connect(sms_inbound.ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    walls = sorted(wall * 1000 for wall, _ in timings)
    cpus = sorted(cpu * 1000 for _, cpu in timings)
    print(f"{len(timings)} texts over {len(rest)} conversations; outcomes {dict(tally.outcomes)}; errors {tally.errors[:3]}")
    print(f"wall ms per text: median {statistics.median(walls):.2f}, p90 {walls[int(len(walls) * 0.9)]:.2f}, "
          f"mean {statistics.fmean(walls):.2f}")
    print(f"app CPU ms per text: median {statistics.median(cpus):.2f}, p90 {cpus[int(len(cpus) * 0.9)]:.2f}, "
          f"mean {statistics.fmean(cpus):.2f}")
    for (_method, label), seconds in phases.items():
        print(f"  {label:<28} {seconds * 1000 / len(timings):6.2f} ms CPU per text")
    if options.statements:
        print(f"SQL statements per text: {sum(statements.values()) / len(timings):.2f}")
        for statement, count in statements.most_common():
            print(f"  {count / len(timings):5.2f}  {statement}")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(options.top)
        stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
