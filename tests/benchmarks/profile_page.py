"""Profile: where one respondent page (GET, then POST of its answers) spends its time, in-process.

Run:  python tests/benchmarks/profile_page.py [--database postgresql|sqlite] [--links 150] [--profile]

No server and no sockets: the Flask test client drives the app, so the figures are the app's own
cost per request (plus the database's, for PostgreSQL). It makes ``follow-up`` links in a
throwaway database, answers them page by page as ``survey_pages.py`` does, and prints the
median and p90 milliseconds of GETs and POSTs. ``--profile`` adds a cProfile listing of the
heaviest functions over the same run. Not a pytest test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import base64
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

from survey_pages import read_form  # noqa: E402  (the same reading of a page as the load test)


PHASES = {
    # label: (module, attribute) of a function whose time is counted under that label
    "session cookie read": ("flask.sessions", "SecureCookieSessionInterface.open_session"),
    "before-request hooks": ("flask.app", "Flask.preprocess_request"),
    "load response": ("feedback.survey.service", "find_by_token"),
    "render template": ("flask.templating", "_render"),
    "save answers": ("feedback.survey.service", "save_answers"),
    "complete": ("feedback.survey.service", "complete"),
    "after-request hooks": ("flask.app", "Flask.process_response"),
    "teardown (session close)": ("flask.app", "Flask.do_teardown_appcontext"),
}


def time_phases(totals: dict, phases: dict = PHASES) -> None:
    """Wrap each ``phases`` function so its CPU time adds up in ``totals`` (nested calls not split).

    CPU time of this process, not wall time: steadier on a shared machine, and what limits
    throughput when the cores are busy. Time the database spends is not in it.
    """
    import functools
    import importlib

    import flask

    last_method = [None]

    for label, (module_name, attribute) in phases.items():
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def wrapper(*args, __original=original, __label=label, **kwargs):
            started = time.process_time()
            try:
                return __original(*args, **kwargs)
            finally:
                # The app context is torn down after the request context: count it to the last request.
                if flask.has_request_context():
                    last_method[0] = flask.request.method
                key = (last_method[0], __label)
                totals[key] = totals.get(key, 0.0) + time.process_time() - started
        setattr(owner, name, functools.wraps(original)(wrapper))


def answer_all(client, tokens, timings, profiler=None, only=None):
    """Answer every page of each link; ``profiler`` (if any) runs around the ``only`` method's requests."""
    def timed(method, send):
        active = profiler is not None and only in (None, method)
        if active:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        result = send()
        timings[method].append(time.perf_counter() - started)
        timings[method + " cpu"].append(time.process_time() - cpu)
        if active:
            profiler.disable()
        return result

    for token in tokens:
        path = urlsplit(client.get(f"/s/{token}/start").headers["Location"]).path
        while path and "/done" not in path:
            page = timed("GET", lambda: client.get(path))
            assert page.status_code == 200, page.status_code
            fields = read_form(page.get_data(as_text=True))
            posted = timed("POST", lambda: client.post(path, data=fields))
            assert posted.status_code == 302, (posted.status_code, posted.get_data(as_text=True)[:500])
            path = urlsplit(posted.headers["Location"]).path


def print_by_package(stats: pstats.Stats, requests: int) -> None:
    """Own time (cProfile's tottime) summed by top-level package: which library the time is in."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_calls, _primitive, own, _cumulative, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/feedback/" in filename or filename.endswith(".html"):
            package = "feedback (code and templates)"
        elif filename.startswith("~") or filename.startswith("<"):
            package = "builtins"
        else:
            package = "standard library"
        totals[package] = totals.get(package, 0.0) + own
    grand = sum(totals.values())
    print(f"  profiled own time by package, ms per request (profiler overhead included), of {grand * 1000 / requests:.2f}:")
    for package, own in sorted(totals.items(), key=lambda pair: -pair[1])[:14]:
        print(f"    {package:32} {own * 1000 / requests:6.2f}  {own / grand:4.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--links", type=int, default=150)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--phases", action="store_true", help="time the main phases of a request")
    parser.add_argument("--only", choices=("GET", "POST"), help="profile only these requests")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callees", nargs="*", default=(), help="also list what these functions call")
    parser.add_argument("--callers", nargs="*", default=(), help="also list what calls these functions "
                                                               "(e.g. local.py:310 for werkzeug's proxies)")
    options = parser.parse_args()

    database = f"feedback_profile_{secrets.token_hex(4)}"
    if options.database == "postgresql":
        import psycopg
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/profile.sqlite3"
    # Production settings, as gunicorn runs the app in the load test.
    os.environ.update({"FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": url,
                       "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()})
    phases: dict[str, float] = {}
    if options.phases:
        time_phases(phases)
    try:
        from flask_migrate import upgrade
        from feedback import create_app
        from feedback.extensions import db
        from feedback.publishing.startup import current_catalogue
        from feedback.survey.service import create_response

        app = create_app()
        # The test client takes its scheme from this setting; plain http, as gunicorn serves the
        # load test (over https, Flask-WTF would also demand a Referer header).
        app.config["PREFERRED_URL_SCHEME"] = "http"
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            instrument = current_catalogue().latest("follow-up")
            tokens = [create_response(instrument, 28)[1] for _ in range(options.links)]
            db.session.commit()
        client = app.test_client()
        warm = {"GET": [], "POST": [], "GET cpu": [], "POST cpu": []}
        answer_all(client, tokens[:10], warm)  # first requests compile templates and statements
        phases.clear()
        # Wall time includes waiting for PostgreSQL; this process's CPU time does not, and is the
        # steadier figure when other work shares the machine.
        timings = {"GET": [], "POST": [], "GET cpu": [], "POST cpu": []}
        # This process's CPU time, as the timings above: waiting for PostgreSQL is not the app's cost.
        profiler = cProfile.Profile(time.process_time) if options.profile else None
        answer_all(client, tokens[10:], timings, profiler, options.only)
        print(f"{options.database}: {len(timings['GET'])} pages")
        for method, values in timings.items():
            ordered = sorted(values)
            print(f"  {method:9} median {statistics.median(ordered) * 1000:6.2f} ms   "
                  f"p90 {ordered[int(0.9 * len(ordered))] * 1000:6.2f} ms")
        if phases:
            print(f"  mean CPU ms per request spent in:{'GET':>9}{'POST':>8}")
            for label in PHASES:
                shares = [phases.get((method, label), 0.0) * 1000 / len(timings[method]) for method in ("GET", "POST")]
                print(f"    {label:32}{shares[0]:8.2f}{shares[1]:8.2f}")
        if profiler:
            stats = pstats.Stats(profiler)
            print_by_package(stats, len(timings["GET"]) + len(timings["POST"]))
            stats.sort_stats("cumulative").print_stats(options.top)
            stats.sort_stats("tottime").print_stats(options.top)
            for name in options.callees:
                stats.sort_stats("cumulative").print_callees(name)
            for name in options.callers:
                stats.sort_stats("tottime").print_callers(name)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if options.database == "postgresql":
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
