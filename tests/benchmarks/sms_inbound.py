"""Benchmark: members answering SMS conversations through Twilio's inbound webhook, under gunicorn on PostgreSQL.

Run:  python tests/benchmarks/sms_inbound.py [--members 1000] [--concurrency 32] [--workers 2]
                                             [--warmup 3] [--retry-share 0.05] [--unclear-share 0.03]

Creates a throwaway PostgreSQL database, migrates it and seeds families whose support ended three
months ago (exit date = today − 3 months, so the ``exit-3m`` wave of ``family-support`` is due),
two adults each, who prefer "questions by text" (channel ``sms_conversation``), with consent and
valid UK mobiles. The real planner plans their invitations and one real dispatcher pass (outbox
backend, at a weekday noon) opens one SMS conversation on ``follow-up`` per member.

The app is then served by gunicorn (2 sync workers, ``FEEDBACK_ENV=production``, Twilio settings
so that ``POST /sms/inbound`` verifies signatures). Simulated senders (threads of this process,
each owning a disjoint set of members) answer each member's conversation message by message, as
a phone would: the question comes from the previous TwiML reply (the first one from the
conversation's opening text in the outbox), the answer is a valid choice number, number or few
words, sometimes (``--unclear-share``) a reply the app cannot read, which must get a re-prompt.
Every text has a fresh ``MessageSid`` and a valid ``X-Twilio-Signature``; ``--retry-share`` of
them are delivered twice with the same ``MessageSid`` (as Twilio retries a webhook), half right
after the first delivery was answered and half at the same moment as it.

Prints texts handled per second, p50/p95/p99 latency of the webhook requests and CPU ms per text
for the gunicorn workers, the database's PostgreSQL backends, the load generator and other
processes: over the steady part of the run (after the warm-up, until the first sender runs out
of members, so all senders are busy) and over the whole run. Then checks the database: answers
stored per response against the answers the app acknowledged, ``inbound_messages`` rows against
the distinct ``MessageSid`` values sent, completed responses against the conversations the
senders saw finish, and retries that got a real reply; prints "lost N, duplicated N". Traffic
goes only to 127.0.0.1. Not a pytest test: figures are printed, nothing is asserted.
"""
from __future__ import annotations

import argparse
import base64
import html
import http.client
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_meter import CpuMeter  # noqa: E402  (the benchmarks run as scripts)
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PUBLIC_BASE_URL = "https://feedback.example.org"
INBOUND_PATH = "/sms/inbound"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token-" + "0" * 15
FROM_NUMBER = "+447700900123"  # the service's number: the To of every inbound text

# The load generator shares the cores with the servers: regular expressions, no XML parser.
MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
MENU_LINE = re.compile(r"^(\d+) ", re.M)
NUMBER_RANGE = re.compile(r"Reply with a number from (-?\d+) to (-?\d+)")
TEXT_ITEM = "Reply with a few words."
DONE = "That was the last question"
UNCLEAR_REPLY = "hmm?"  # not a number, too short to match part of a label, not yes/no: never an answer


# -- seeding ------------------------------------------------------------------------------------

def seed_sms_families(site_id: int, families: int, exit_on: date, seed: int = 11) -> list[int]:
    """Families that left support on ``exit_on``: two consenting adults each, with UK mobiles,
    preferring questions by text; planned by the real planner (the shared seeding code)."""
    from tests.waves.seeding import seed_exiting_families

    return seed_exiting_families(site_id, None, families, exit_on, adults_per_family=2, seed=seed,
                                 channel="sms_conversation")


@dataclass
class Conversation:
    """One member's conversation as the load generator knows it."""

    phone: str
    response_id: int
    opening: str


def seed(base_env: dict, members: int) -> tuple[list[Conversation], dict]:
    """Migrate, seed, dispatch (outbox backend); returns the open conversations and counts."""
    from dateutil.relativedelta import relativedelta
    import sqlalchemy as sa

    from feedback import create_app
    from feedback.extensions import db
    from feedback.families.models import Member
    from feedback.sms.models import SmsConversation
    from feedback.waves.channels import OutboxBackend
    from feedback.waves.dispatcher import dispatch_once
    from feedback.waves.models import Invitation, OutboxMessage
    from tests.waves.seeding import migrated_with_bench_site, sending_moment

    app = create_app({**base_env, "FEEDBACK_CHANNEL_BACKEND": "outbox"})
    figures = {}
    with app.app_context():
        site_id = migrated_with_bench_site(app)
        began = time.perf_counter()
        exit_on = date.today() - relativedelta(months=3)
        seed_sms_families(site_id, (members + 1) // 2, exit_on)
        figures["seed_s"] = time.perf_counter() - began
        figures["exit_on"] = exit_on
        now = sending_moment(date.today())
        figures["now"] = now
        began = time.perf_counter()
        result = dispatch_once(OutboxBackend(), now=now)
        figures["dispatch_s"] = time.perf_counter() - began
        figures["dispatch"] = result
        figures["open"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(SmsConversation).where(SmsConversation.closed_at.is_(None)))
        # The opening texts are encrypted at rest; the app's column type decrypts them here.
        rows = db.session.execute(
            sa.select(Member.phone, Invitation.response_id, OutboxMessage.body)
            .join(Invitation, Invitation.member_id == Member.id)
            .join(SmsConversation, SmsConversation.invitation_id == Invitation.id)
            .join(OutboxMessage, sa.and_(OutboxMessage.invitation_id == Invitation.id,
                                         OutboxMessage.kind == "invitation"))
            .where(SmsConversation.closed_at.is_(None)).order_by(Member.id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    conversations = [Conversation(phone, response_id, body) for phone, response_id, body in rows][:members]
    return conversations, figures


# -- the load generator -------------------------------------------------------------------------

@dataclass
class Tally:
    """What the senders saw; merged across threads after the run."""

    records: list = field(default_factory=list)  # (started, seconds, kind, status)
    sids: set = field(default_factory=set)
    answered: Counter = field(default_factory=Counter)  # response id -> answers the app acknowledged
    completed: set = field(default_factory=set)  # response ids whose conversation said it was done
    outcomes: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def choose_answer(question: str, rng: random.Random, unclear_share: float, reprompted: bool) -> tuple[str, bool]:
    """What a member replies to ``question``; the second value says it is meant to be unclear."""
    if TEXT_ITEM in question:
        return "fine thanks", False
    if not reprompted and rng.random() < unclear_share:
        return UNCLEAR_REPLY, True
    numbers = NUMBER_RANGE.search(question)
    if numbers:
        return numbers.group(1), False
    menu = MENU_LINE.findall(question)
    return (rng.choice(menu) if menu else "1"), False


class Webhook:
    """Signs and posts inbound texts as Twilio would: a new connection per request."""

    def __init__(self, port: int):
        from twilio.request_validator import RequestValidator

        self.port = port
        self.validator = RequestValidator(AUTH_TOKEN)
        self.url = PUBLIC_BASE_URL + INBOUND_PATH

    def post(self, params: dict) -> tuple[int, str, float, float]:
        """(HTTP status, the reply text or "", started, seconds)."""
        body = urlencode(params)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": self.validator.compute_signature(self.url, params)}
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", INBOUND_PATH, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        found = MESSAGE.search(data)
        return response.status, html.unescape(found.group(1)) if found else "", started, seconds


def sender(webhook: Webhook, conversations: list[Conversation], tally: Tally, seed_value: int,
           retry_share: float, unclear_share: float) -> None:
    """Answer each owned conversation to the end, one text at a time."""
    rng = random.Random(seed_value)
    for conversation in conversations:
        question, reprompted = conversation.opening, False
        for _ in range(60):  # a conversation of follow-up is at most 14 texts, re-prompts included
            body, meant_unclear = choose_answer(question, rng, unclear_share, reprompted)
            sid = new_sid()
            params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": conversation.phone,
                      "To": FROM_NUMBER, "Body": body, "NumMedia": "0", "NumSegments": "1"}
            tally.sids.add(sid)
            retry = rng.random() < retry_share
            try:
                if retry and rng.random() < 0.5:
                    status, reply = _delivered_twice_at_once(webhook, params, tally)
                else:
                    status, reply, started, seconds = webhook.post(params)
                    tally.records.append((started, seconds, "text", status))
                    if retry and status == 200:
                        again, echo, started, seconds = webhook.post(params)
                        tally.records.append((started, seconds, "retry", again))
                        tally.outcomes["retry after reply: " + ("ignored" if again == 200 and not echo else
                                                                f"HTTP {again}, reply {bool(echo)}")] += 1
            except OSError as error:
                tally.errors.append(f"{conversation.phone[-4:]}: {error!r}")
                break
            if status != 200:
                tally.errors.append(f"HTTP {status} for a reply")
                break
            if not reply:
                tally.outcomes["no reply to a first delivery"] += 1
                break
            if reply.startswith("Sorry"):
                # Re-prompt: nothing was stored; the same question waits, now with how to answer.
                tally.outcomes["re-prompted" if meant_unclear else "re-prompted an answer meant as valid"] += 1
                question, reprompted = reply, True
                continue
            if meant_unclear:
                tally.outcomes["an unclear reply was not re-prompted"] += 1
            if "We have left that question unanswered" in reply:
                tally.outcomes["left unanswered"] += 1
            elif "already been answered" in reply or "nothing to answer" in reply:
                tally.outcomes["conversation gone: " + reply[:40]] += 1
                break
            else:
                tally.answered[conversation.response_id] += 1
                tally.outcomes["answered"] += 1
            if DONE in reply:
                tally.completed.add(conversation.response_id)
                break
            question, reprompted = reply, False


def _delivered_twice_at_once(webhook: Webhook, params: dict, tally: Tally) -> tuple[int, str]:
    """Twilio's retry arriving while the first delivery is still being handled: exactly one of
    the two may be acted on (and answered); the other must get an empty reply."""
    results = []
    twin = threading.Thread(target=lambda: results.append(webhook.post(params)))
    twin.start()
    results.append(webhook.post(params))
    twin.join()
    for status, _reply, started, seconds in results:
        tally.records.append((started, seconds, "twin", status))
    replies = [reply for status, reply, _s, _d in results if status == 200 and reply]
    statuses = [status for status, *_ in results]
    tally.outcomes["delivered twice at once: " + ("one acted on" if len(replies) == 1 else
                                                  f"{len(replies)} acted on, HTTP {statuses}")] += 1
    if any(status != 200 for status in statuses):
        return next(status for status in statuses if status != 200), ""
    return 200, replies[0] if replies else ""


# -- CPU accounting (as in survey_pages.py) -----------------------------------------------------

def drive(port: int, conversations: list[Conversation], options, meter: CpuMeter) -> tuple[Tally, dict]:
    """All senders together; returns what they saw and the measurement windows."""
    webhook = Webhook(port)
    shares = [conversations[index::options.concurrency] for index in range(options.concurrency)]
    tallies = [Tally() for _ in shares]
    first_done = threading.Event()

    def run(index):
        try:
            sender(webhook, shares[index], tallies[index], 1000 + index, options.retry_share, options.unclear_share)
        except BaseException as error:  # noqa: BLE001 - reported after the run
            tallies[index].errors.append(f"sender {index} stopped: {error!r}")
        finally:
            first_done.set()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(shares))]
    snapshots = {"start": meter.snapshot()}
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    if not first_done.wait(timeout=options.warmup):
        snapshots["steady start"] = meter.snapshot()
    steady_began = time.perf_counter()
    first_done.wait()
    snapshots["steady end"] = meter.snapshot()
    steady_ended = time.perf_counter()
    for thread in threads:
        thread.join()
    ended = time.perf_counter()
    snapshots["end"] = meter.snapshot()
    tally = Tally()
    for part in tallies:
        tally.records.extend(part.records)
        tally.sids |= part.sids
        tally.answered.update(part.answered)
        tally.completed |= part.completed
        tally.outcomes.update(part.outcomes)
        tally.errors.extend(part.errors)
    windows = {"whole run": (began, ended, CpuMeter.spent(snapshots["start"], snapshots["end"]))}
    if "steady start" in snapshots:
        windows["steady"] = (steady_began, steady_ended,
                             CpuMeter.spent(snapshots["steady start"], snapshots["steady end"]))
    return tally, windows


def figures_for(tally: Tally, began: float, ended: float, cpu: dict) -> dict:
    chosen = [record for record in tally.records if began <= record[0] < ended]
    latencies = sorted(seconds for _started, seconds, _kind, _status in chosen)
    texts = sum(1 for record in chosen if record[2] in ("text", "twin"))
    texts -= sum(1 for record in chosen if record[2] == "twin") // 2  # a pair delivered at once is one text
    elapsed = ended - began

    def percentile(share):
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000 if latencies else float("nan")

    return {"seconds": elapsed, "requests": len(latencies), "texts": texts, "rate": texts / elapsed,
            "request_rate": len(latencies) / elapsed, "p50": percentile(0.50), "p95": percentile(0.95),
            "p99": percentile(0.99), "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
            "cpu_ms": {party: seconds * 1000 / max(texts, 1) for party, seconds in cpu.items()},
            "others_share": cpu["other processes"] / elapsed / os.cpu_count()}


def check_database(database: str, conversations: list[Conversation], tally: Tally) -> dict:
    """Lost and duplicated, counted from the database against what the senders were told."""
    import psycopg

    ids = [conversation.response_id for conversation in conversations]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as connection:
        inbound, distinct = connection.execute(
            "select count(*), count(distinct message_sid) from inbound_messages").fetchone()
        handled = dict(connection.execute(
            "select coalesce(handled_as, '(none)'), count(*) from inbound_messages group by 1 order by 2 desc").fetchall())
        stored = dict(connection.execute(
            "select response_id, count(*) from answers where response_id = any(%s) group by response_id",
            (ids,)).fetchall())
        completed = connection.execute(
            "select count(*) from responses where id = any(%s) and status = 'completed'", (ids,)).fetchone()[0]
        still_open = connection.execute(
            "select count(*) from sms_conversations where closed_at is null").fetchone()[0]
        unknown_sids = connection.execute(
            "select count(*) from inbound_messages where not (message_sid = any(%s))", (list(tally.sids),)).fetchone()[0]
    missing_answers = sum(max(0, tally.answered[rid] - stored.get(rid, 0)) for rid in ids)
    extra_answers = sum(max(0, stored.get(rid, 0) - tally.answered[rid]) for rid in ids)
    retries_acted_on = sum(count for outcome, count in tally.outcomes.items()
                           if outcome.startswith(("retry after reply: HTTP 200, reply True", "delivered twice at once: 2")))
    figures = {
        "inbound rows": inbound, "distinct sids stored": distinct, "sids sent": len(tally.sids),
        "sids never stored": max(0, len(tally.sids) - inbound), "extra inbound rows": max(0, inbound - len(tally.sids)),
        "unknown sids": unknown_sids,
        "answers acknowledged": sum(tally.answered.values()), "answers stored": sum(stored.values()),
        "missing answers": missing_answers, "extra answers": extra_answers,
        "completed seen": len(tally.completed), "completed stored": completed,
        "retries acted on": retries_acted_on, "still open": still_open, "handled as": handled,
    }
    figures["lost"] = missing_answers + figures["sids never stored"] + max(0, len(tally.completed) - completed)
    figures["duplicated"] = (extra_answers + figures["extra inbound rows"] + (inbound - distinct)
                             + retries_acted_on + max(0, completed - len(tally.completed)))
    return figures


def wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/staff/login")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="members, each with one conversation to answer")
    parser.add_argument("--concurrency", type=int, default=32, help="simulated senders (threads)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--warmup", type=float, default=3, help="seconds left out of the steady figures")
    parser.add_argument("--retry-share", type=float, default=0.05, help="texts delivered twice with one MessageSid")
    parser.add_argument("--unclear-share", type=float, default=0.03, help="replies the app cannot read")
    options = parser.parse_args()
    os.chdir(ROOT)

    import psycopg

    database = f"feedback_smsbench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    base_env = {"FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
                "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
                "FEEDBACK_PUBLIC_BASE_URL": PUBLIC_BASE_URL}
    server_env = {**os.environ, **base_env, "FEEDBACK_CHANNEL_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                  "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER}
    for name in ("TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL", "FEEDBACK_RATE_LIMIT_STORAGE"):
        server_env.pop(name, None)
    server = None
    log = tempfile.NamedTemporaryFile(prefix="sms_inbound_gunicorn_", suffix=".log", delete=False)
    try:
        conversations, seeded = seed(base_env, options.members)
        result = seeded["dispatch"]
        print(f"seeded {(options.members + 1) // 2} families ({len(conversations)} members, exit {seeded['exit_on']}) "
              f"in {seeded['seed_s']:.1f} s; dispatched as at {seeded['now']:%Y-%m-%d %H:%M} UTC in "
              f"{seeded['dispatch_s']:.1f} s: sent {result.sent}, expired {result.expired}, cancelled "
              f"{result.cancelled}, deferred {result.deferred}, failed {result.failed}")
        print(f"open SMS conversations: {seeded['open']} (members: {options.members})", flush=True)
        if not conversations:
            raise SystemExit("no conversation was opened: nothing to answer")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(options.workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=server_env, stdout=log, stderr=log)
        wait_for(port, server)
        tally, windows = drive(port, conversations, options, CpuMeter(server, database))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    try:
        checked = check_database(database, conversations, tally)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    log.close()
    report(options, tally, windows, checked)
    if not tally.errors and os.path.getsize(log.name) == 0:
        os.unlink(log.name)
    else:
        print(f"gunicorn's log: {log.name}")


def report(options, tally: Tally, windows: dict, checked: dict) -> None:
    print(f"\nSMS replies through POST /sms/inbound — gunicorn {options.workers} sync workers, PostgreSQL, "
          f"{options.concurrency} concurrent senders, {os.cpu_count()} CPUs; retry share {options.retry_share:g}, "
          f"unclear share {options.unclear_share:g}")
    print(f"{'':38}{'texts/s':>8}{'req/s':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'CPU ms per text: app':>22}{'db':>6}{'loadgen':>9}{'others':>8}")
    labels = {"steady": f"steady ({options.warmup:g} s warm-up to 1st sender done)", "whole run": "whole run"}
    computed = {}
    for name in ("steady", "whole run"):
        if name not in windows:
            continue
        figures = computed[name] = figures_for(tally, *windows[name])
        cpu = figures["cpu_ms"]
        print(f"{labels[name] + ', ' + format(figures['seconds'], '.0f') + ' s':38}{figures['rate']:>8.1f}"
              f"{figures['request_rate']:>7.1f}{figures['p50']:>8.1f}{figures['p95']:>8.1f}{figures['p99']:>8.1f}"
              f"{cpu['app server']:>22.2f}{cpu['database']:>6.2f}{cpu['load generator']:>9.2f}"
              f"{cpu['other processes']:>8.2f}")
    main_figures = computed.get("steady") or computed["whole run"]
    met = main_figures["p95"] < 100
    print(f"target p95 < 100 ms at {options.concurrency} concurrent senders: "
          f"{'met' if met else 'NOT met'} (p95 {main_figures['p95']:.1f} ms, "
          f"{'steady part' if 'steady' in computed else 'whole run'}; "
          f"whole run p95 {computed['whole run']['p95']:.1f} ms)")
    kinds = Counter(kind for _s, _d, kind, _st in tally.records)
    statuses = Counter(status for *_rest, status in tally.records)
    print(f"requests: {dict(kinds)}; HTTP statuses {dict(statuses)}")
    print("what the senders saw: " + ", ".join(f"{name} {count}" for name, count in sorted(tally.outcomes.items())))
    print(f"inbound_messages: {checked['inbound rows']} rows, {checked['distinct sids stored']} distinct MessageSids; "
          f"{checked['sids sent']} distinct MessageSids sent; rows with a MessageSid never sent: {checked['unknown sids']}; "
          f"handled as {checked['handled as']}")
    print(f"answers: {checked['answers acknowledged']} acknowledged by the app's replies, {checked['answers stored']} "
          f"stored (missing {checked['missing answers']}, extra {checked['extra answers']}); completed responses: "
          f"{checked['completed stored']} stored, {checked['completed seen']} conversations ended with the closing "
          f"text; conversations still open {checked['still open']}; retries acted on a second time "
          f"{checked['retries acted on']}")
    print(f"lost {checked['lost']}, duplicated {checked['duplicated']}")
    if tally.errors:
        print(f"{len(tally.errors)} sender error(s), first: {tally.errors[:3]}")
    busy = max(figures["others_share"] for figures in computed.values())
    if busy > 0.05:
        print(f"note: other processes used up to {busy:.0%} of the machine's CPU during the run; "
              f"figures from a busy machine are low and noisy")


if __name__ == "__main__":
    main()
