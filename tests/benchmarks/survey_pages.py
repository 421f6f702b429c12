"""Benchmark: answering survey pages under gunicorn on PostgreSQL, against a bare Flask app.

Run:  python tests/benchmarks/survey_pages.py [--concurrency 32] [--seconds 15]

Creates a throwaway PostgreSQL database, migrates it, makes survey links for ``follow-up``,
serves the app with gunicorn (2 sync workers) and, in the same run, a bare Flask "hello" app
with the same settings. Simulated respondents each GET a question page, read its CSRF token and
inputs, and POST valid answers, following the redirect to the next page. One "page answered" is
one GET plus one POST. Prints pages per second and latency percentiles for both, and the ratio.
Traffic goes only to 127.0.0.1. Not a pytest test: figures are printed, nothing is asserted.
"""
from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
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


class FormReader(HTMLParser):
    """Collects the inputs of the page's form: enough to answer it like a respondent would."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.other_form = False  # the language switch posts elsewhere

    def handle_endtag(self, tag):
        if tag == "form":
            self.other_form = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.other_form = "action" in attributes
        name = attributes.get("name")
        if tag != "input" or not name or self.other_form:
            return
        kind = attributes.get("type", "text")
        if kind == "hidden":
            self.fields[name] = attributes.get("value", "")
        elif kind == "radio" and not name.endswith("__missing"):
            self.fields.setdefault(name, attributes.get("value", ""))  # the first answer offered
        elif kind == "text":
            self.fields[name] = "2" if attributes.get("inputmode") else "fine"


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


def respondent(port, tokens, stop, record, lock):
    """Answer surveys page by page until told to stop, taking a fresh link after each one."""
    while not stop.is_set():
        with lock:
            if not tokens:
                return
            token = tokens.pop()
        cookie = None
        _, path, cookie = request(port, "GET", f"/s/{token}/start", cookie)
        while path and "/done" not in path and not stop.is_set():
            started = time.perf_counter()
            html, _, cookie = request(port, "GET", path, cookie)
            reader = FormReader()
            reader.feed(html)
            _, next_path, cookie = request(port, "POST", path, cookie, urlencode(reader.fields))
            record(time.perf_counter() - started)
            path = next_path


def bare_respondent(port, stop, record):
    cookie = None
    while not stop.is_set():
        started = time.perf_counter()
        html, _, cookie = request(port, "GET", "/", cookie)
        reader = FormReader()
        reader.feed(html)
        request(port, "POST", "/", cookie, urlencode(reader.fields))
        record(time.perf_counter() - started)


def measure(target, concurrency: int, seconds: float, warmup: float):
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
    measuring.set()
    began = time.perf_counter()
    time.sleep(seconds)
    measuring.clear()
    elapsed = time.perf_counter() - began
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise RuntimeError(f"{len(errors)} respondent(s) failed, first: {errors[0]!r}")
    ordered = sorted(latencies)

    def percentile(share):
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")

    return {"pages": len(ordered), "rate": len(ordered) / elapsed, "p50": percentile(0.50),
            "p95": percentile(0.95), "p99": percentile(0.99),
            "mean": statistics.fmean(ordered) * 1000 if ordered else float("nan")}


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
    parser.add_argument("--links", type=int, default=3000)
    options = parser.parse_args()

    import psycopg

    database = f"feedback_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    processes: list[subprocess.Popen] = []
    env = {**os.environ, "FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}"}
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
        survey = measure(lambda stop, record: respondent(survey_port, tokens, stop, record, lock),
                         options.concurrency, options.seconds, options.warmup)
        bare = measure(lambda stop, record: bare_respondent(bare_port, stop, record),
                       options.concurrency, options.seconds, options.warmup)
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

    print(f"\nSurvey pages answered (GET + POST) — gunicorn 2 sync workers, PostgreSQL, "
          f"{options.concurrency} concurrent respondents, {options.seconds:g} s after {options.warmup:g} s warm-up")
    print(f"{'':22}{'pages':>8}{'pages/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, figures in (("survey (follow-up)", survey), ("bare Flask hello", bare)):
        print(f"{name:22}{figures['pages']:>8}{figures['rate']:>10.1f}{figures['p50']:>9.1f}"
              f"{figures['p95']:>9.1f}{figures['p99']:>9.1f}")
    print(f"ratio survey/bare pages per second: {survey['rate'] / bare['rate']:.2f} (target ≥ 0.50); "
          f"survey p95 {survey['p95']:.1f} ms (target < 50 ms)")


def make_links(env: dict, count: int) -> list[str]:
    """Survey links for the follow-up instrument, made through the app's own service."""
    os.environ.update({key: env[key] for key in ("FEEDBACK_ENV", "SECRET_KEY", "DATABASE_URL")})
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
