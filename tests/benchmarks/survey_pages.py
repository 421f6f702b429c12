"""Benchmark: answering survey pages under gunicorn on PostgreSQL, against a bare Flask app.

Run:  python tests/benchmarks/survey_pages.py [--concurrency 32] [--seconds 15] [--rounds 1]

Creates a throwaway PostgreSQL database, migrates it, makes survey links for ``follow-up``,
serves the app with gunicorn (2 sync workers) and, in the same run, a bare Flask "hello" app
with the same settings. Simulated respondents each GET a question page, read its CSRF token and
inputs, and POST valid answers; the POST's redirect names the next page, which is the next
GET. One "page answered" is one GET plus one POST, and its latency is the time of those two
requests (reading the form in between is the respondent's time, not the server's). Both apps
are driven by the same code, with a new connection per request for both (gunicorn's sync
workers close every connection anyway). Prints pages per second and latency percentiles for
both, the ratio, and the CPU time per page of the servers, the database and the load generator,
which all share the machine's cores. Traffic goes only to 127.0.0.1. Not a pytest test: figures
are printed, nothing is asserted.
"""
from __future__ import annotations

import argparse
import base64
import html
import http.client
import os
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_meter import CpuMeter  # noqa: E402  (the benchmarks run as scripts)
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

BARE_APP = textwrap.dedent('''
    from flask import Flask, redirect, request
    app = Flask(__name__)
    PAGE = '<!doctype html><title>hello</title><form method="post"><input type="hidden" name="csrf_token" value="x">' \\
           '<input type="radio" name="q" value="1"><button>Go</button></form>'

    @app.route("/", methods=["GET", "POST"])
    def hello():
        if request.method == "POST":
            return redirect("/")
        return PAGE
''')

# The load generator shares the cores with the servers, so it reads forms with regular
# expressions rather than html.parser: several times cheaper, and the same for both apps.
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
INPUT = re.compile(r"<input\b([^>]*)>", re.S)
ATTRIBUTE = re.compile(r'([a-zA-Z-]+)(?:="([^"]*)")?')


def read_form(page: str) -> dict[str, str]:
    """The answers a respondent would send: hidden inputs as they are, the first answer offered
    for each question (never a "prefer not to say" missing code), a number or a word for typed
    answers. Only the form that posts to the page itself: the language switch posts elsewhere."""
    fields: dict[str, str] = {}
    for form_attributes, body in FORM.findall(page):
        if "action=" in form_attributes:
            continue
        for tag in INPUT.findall(body):
            attributes = {key: html.unescape(value) for key, value in ATTRIBUTE.findall(tag)}
            name = attributes.get("name")
            if not name:
                continue
            kind = attributes.get("type", "text")
            if kind == "hidden":
                fields[name] = attributes.get("value", "")
            elif kind == "radio" and not name.endswith("__missing"):
                fields.setdefault(name, attributes.get("value", ""))
            elif kind == "text":
                fields[name] = "2" if attributes.get("inputmode") else "fine"
    return fields


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, cookie: str | None, body: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read().decode("utf-8", "replace")
    new_cookie = next((value for value in response.msg.get_all("Set-Cookie") or [] if value.startswith("session=")), None)
    location = response.getheader("Location")
    connection.close()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path} -> {response.status}")
    return data, location, (new_cookie.split(";", 1)[0] if new_cookie else cookie)


def answer_page(port: int, path: str, cookie: str | None):
    """GET a page and POST its answers: (seconds spent in the two requests, redirect, cookie)."""
    started = time.perf_counter()
    page, _, cookie = request(port, "GET", path, cookie)
    spent = time.perf_counter() - started
    fields = read_form(page)
    started = time.perf_counter()
    _, location, cookie = request(port, "POST", path, cookie, urlencode(fields))
    return spent + time.perf_counter() - started, location, cookie


def respondent(port, tokens, stop, record, lock):
    """Answer surveys page by page until told to stop, taking a fresh link after each one."""
    while not stop.is_set():
        with lock:
            if not tokens:
                raise RuntimeError("ran out of survey links: give --links a larger number")
            token = tokens.pop()
        # Opening the link (a redirect to the first unanswered page) is load on the server but
        # not a page answered, so it is not counted.
        _, path, cookie = request(port, "GET", f"/s/{token}/start", None)
        while path and "/done" not in path and not stop.is_set():
            spent, path, cookie = answer_page(port, path, cookie)
            record(spent)


def bare_respondent(port, stop, record):
    cookie = None
    while not stop.is_set():
        spent, _, cookie = answer_page(port, "/", cookie)
        record(spent)


def measure(target, concurrency: int, seconds: float, warmup: float, meter: CpuMeter):
    latencies: list[float] = []
    measuring = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def record(duration):
        if measuring.is_set():
            latencies.append(duration)

    def run():
        try:
            target(stop, record)
        except BaseException as error:  # noqa: BLE001 - reported after the run
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    before = meter.snapshot()
    measuring.set()
    began = time.perf_counter()
    time.sleep(seconds)
    measuring.clear()
    elapsed = time.perf_counter() - began
    cpu = CpuMeter.spent(before, meter.snapshot())
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise RuntimeError(f"{len(errors)} respondent(s) failed, first: {errors[0]!r}")
    ordered = sorted(latencies)

    def percentile(share):
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")

    pages = max(len(ordered), 1)
    return {"pages": len(ordered), "rate": len(ordered) / elapsed, "p50": percentile(0.50),
            "p95": percentile(0.95), "p99": percentile(0.99),
            "mean": statistics.fmean(ordered) * 1000 if ordered else float("nan"),
            "cpu_ms": {party: seconds * 1000 / pages for party, seconds in cpu.items()},
            "others_share": cpu["other processes"] / elapsed / os.cpu_count()}


def wait_for(port: int, process: subprocess.Popen, path: str = "/") -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            request(port, "GET", path, None)
            return
        except (OSError, RuntimeError):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def gunicorn(app_spec: str, port: int, env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=1, help="measure both apps this many times, alternately")
    parser.add_argument("--links", type=int, default=3000, help="survey links to make (each is about 6 pages)")
    options = parser.parse_args()

    import psycopg

    database = f"feedback_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    processes: list[subprocess.Popen] = []
    env = {**os.environ, "FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
           "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}"}
    rounds = []
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        tokens = make_links(env, options.links)

        survey_port, bare_port = free_port(), free_port()
        bare_dir = Path(tempfile.mkdtemp())
        (bare_dir / "hello.py").write_text(BARE_APP)
        processes.append(gunicorn("wsgi:app", survey_port, env, ROOT))
        processes.append(gunicorn("hello:app", bare_port, env, bare_dir))
        wait_for(survey_port, processes[0], "/staff/login")
        wait_for(bare_port, processes[1])

        lock = threading.Lock()
        for number in range(options.rounds):
            survey = measure(lambda stop, record: respondent(survey_port, tokens, stop, record, lock),
                             options.concurrency, options.seconds, options.warmup,
                             CpuMeter(processes[0], database))
            bare = measure(lambda stop, record: bare_respondent(bare_port, stop, record),
                           options.concurrency, options.seconds, options.warmup,
                           CpuMeter(processes[1], database))
            rounds.append((survey, bare))
            if options.rounds > 1:
                print(f"round {number + 1}: survey {survey['rate']:.1f} pages/s p95 {survey['p95']:.1f} ms; "
                      f"bare {bare['rate']:.1f} pages/s p95 {bare['p95']:.1f} ms; "
                      f"ratio {survey['rate'] / bare['rate']:.2f}", flush=True)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report(options, rounds)


def report(options, rounds) -> None:
    def median(index, key, party=None):
        values = [figures[index]["cpu_ms"][party] if party else figures[index][key] for figures in rounds]
        return statistics.median(values)

    label = "median of " + str(len(rounds)) + " rounds" if len(rounds) > 1 else "one round"
    print(f"\nSurvey pages answered (GET + POST) — gunicorn 2 sync workers, PostgreSQL, "
          f"{options.concurrency} concurrent respondents, {options.seconds:g} s after {options.warmup:g} s "
          f"warm-up, {label}, {os.cpu_count()} CPUs")
    print(f"{'':20}{'pages/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'CPU ms per page: app':>22}{'db':>6}{'loadgen':>9}{'others':>8}")
    for index, name in ((0, "survey (follow-up)"), (1, "bare Flask hello")):
        print(f"{name:20}{median(index, 'rate'):>9.1f}{median(index, 'p50'):>8.1f}{median(index, 'p95'):>8.1f}"
              f"{median(index, 'p99'):>8.1f}{median(index, None, 'app server'):>22.2f}"
              f"{median(index, None, 'database'):>6.2f}{median(index, None, 'load generator'):>9.2f}"
              f"{median(index, None, 'other processes'):>8.2f}")
    ratio = statistics.median(survey["rate"] / bare["rate"] for survey, bare in rounds)
    print(f"ratio survey/bare pages per second: {ratio:.2f} (target ≥ 0.50); "
          f"survey p95 {median(0, 'p95'):.1f} ms (target < 50 ms)")
    busy = max(figures["others_share"] for pair in rounds for figures in pair)
    if busy > 0.05:
        print(f"note: other processes used up to {busy:.0%} of the machine's CPU during a measurement; "
              f"figures from a busy machine are low and noisy")


def make_links(env: dict, count: int) -> list[str]:
    """Survey links for the follow-up instrument, made through the app's own service."""
    os.environ.update({key: env[key] for key in ("FEEDBACK_ENV", "SECRET_KEY", "FEEDBACK_DATA_KEY", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    from feedback import create_app
    from feedback.extensions import db
    from feedback.publishing.startup import current_catalogue
    from feedback.survey.service import create_response

    app = create_app()
    with app.app_context():
        instrument = current_catalogue().latest("follow-up")
        tokens = [create_response(instrument, 28)[1] for _ in range(count)]
        db.session.commit()
        db.engine.dispose()
    return tokens


if __name__ == "__main__":
    main()
