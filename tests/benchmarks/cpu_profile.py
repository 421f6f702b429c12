"""CPU per answered survey page and per inbound text: app and PostgreSQL, in process and under gunicorn.

Run from the repository root (needs the local PostgreSQL, as the other benchmarks):

    python tests/benchmarks/cpu_profile.py pages [--database postgresql|sqlite] [--links 60] [--profile] [--top 25]
                                                 [--dump STATS_FILE]
    python tests/benchmarks/cpu_profile.py sms [--members 60] [--profile] [--top 25]
    python tests/benchmarks/cpu_profile.py serve [--configs sync:2 sync:3 gthread:2:2 ...] [--concurrency 8]
                                                 [--seconds 8] [--profile] [--access-log]
    python tests/benchmarks/cpu_profile.py gunicorn-conf PATH   # a profiling config for GUNICORN_CMD_ARGS

``pages`` / ``sms`` drive the app through the Flask test client (production settings, as
``profile_page.py`` and ``profile_sms.py`` do) and print, per answered page (GET + POST) or per
text: this process's CPU split into inside ``app.wsgi_app`` and outside it (the test client's own
work), the CPU of the PostgreSQL backends serving the throwaway database (read from /proc), the
SQL statements per request (an SQLAlchemy ``before_cursor_execute`` listener) and, with
``--profile``, a cProfile run on a CPU clock (``time.process_time``: waiting for PostgreSQL is not
counted, unlike cProfile's default wall clock) summarised as the cumulative CPU of the costs
named in ``COSTS`` per page or text.

``serve`` runs the app under gunicorn once per configuration (``class:workers[:threads]``) with the
same respondents as ``survey_pages.py`` (fixed concurrency, new connection per request) and prints
app and database CPU ms per answered page for each. ``--profile`` profiles each sync worker's whole
loop (accepting, parsing and writing included) from ``post_worker_init`` to exit on the same CPU
clock; a gthread worker is profiled per request thread, from ``pre_request`` to ``post_request``.

``gunicorn-conf PATH`` writes the profiling config; ``sms_inbound.py`` and ``survey_pages.py`` pass
their environment on, so ``GUNICORN_CMD_ARGS="--config PATH" CPU_PROFILE_DIR=/tmp/x python
tests/benchmarks/sms_inbound.py ...`` profiles their workers too; then ``cpu_profile.py report
/tmp/x`` prints the summary. Not a pytest test (pytest collects only ``test_*.py``): nothing is
asserted. cProfile inflates every figure by 1.5–2×: read its shares, take the ms from the
unprofiled lines.
"""
from __future__ import annotations

import argparse
import base64
import collections
import cProfile
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from cpu_meter import database_pids, process_seconds  # noqa: E402  (beside this file)

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

#: label: [(path fragment, function name), ...]; a label's figure is the summed cumulative time of
#: its functions (chosen so that they do not call one another). Labels overlap: indented ones are
#: inside the one above.
COSTS = {
    "gunicorn: whole request (sync worker handle)": [("gunicorn/workers/sync.py", "handle")],
    "  gunicorn: parse request": [("gunicorn/http/parser.py", "__next__")],
    "  gunicorn: build environ": [("gunicorn/http/wsgi.py", "create")],
    "  gunicorn: write response": [("gunicorn/http/wsgi.py", "write"), ("gunicorn/http/wsgi.py", "close")],
    "gunicorn: accept (includes handle) + notify": [("gunicorn/workers/sync.py", "accept"),
                                                ("gunicorn/workers/workertmp.py", "notify")],
    "test client (werkzeug.test, outside the app)": [("werkzeug/test.py", "open")],
    "Flask wsgi_app (the app)": [("flask/app.py", "wsgi_app")],
    "  request context push (session open)": [("flask/ctx.py", "push")],
    "    session cookie open": [("flask/sessions.py", "open_session")],
    "  before-request hooks": [("flask/app.py", "preprocess_request")],
    "    Flask-Limiter check": [("flask_limiter/_extension.py", "_check_request_limit")],
    "    CSRF protect": [("flask_wtf/csrf.py", "protect")],
    "    survey link form check (link_forms.py)": [("feedback/survey/link_forms.py", "check_link_form")],
    "  view function": [("flask/app.py", "dispatch_request")],
    "    find response by token (query)": [("feedback/survey/service.py", "find_by_token")],
    "    instrument for response": [("feedback/survey/service.py", "instrument_for")],
    "    page form class": [("feedback/survey/forms.py", "page_form_class")],
    "    form construct + validate": [("wtforms/form.py", "__call__"), ("wtforms/form.py", "validate")],
    "    save answers (upsert + update + commit)": [("feedback/survey/service.py", "save_answers")],
    "    complete + score": [("feedback/survey/service.py", "complete")],
    "    Jinja render": [("flask/templating.py", "_render")],
    "      question markup (cached, question_markup.py)": [("feedback/survey/question_markup.py", "question_markup")],
    "        question macro drawn": [("feedback/survey/question_markup.py", "draw_question")],
    "    context processors": [("flask/templating.py", "update_template_context")],
    "    url_for": [("flask/helpers.py", "url_for")],
    "    generate CSRF token": [("flask_wtf/csrf.py", "generate_csrf")],
    "    survey link form token (link_forms.py)": [("feedback/survey/link_forms.py", "link_form_token")],
    "  after-request hooks": [("flask/app.py", "process_response")],
    "    session cookie save": [("flask/sessions.py", "save_session")],
    "    Flask-Compress": [("flask_compress/flask_compress.py", "after_request")],
    "    security headers": [("feedback/security.py", "add_headers")],
    "  teardown (session remove)": [("flask/app.py", "do_teardown_appcontext")],
    "  response iteration/close": [("werkzeug/wrappers/response.py", "__call__")],
    "Flask-Login load user": [("flask_login/login_manager.py", "_load_user")],
    "Babel: get_locale": [("flask_babel/__init__.py", "get_locale")],
    "Babel: get_translations": [("flask_babel/__init__.py", "get_translations")],
    "select_locale (feedback.languages)": [("feedback/languages.py", "select_locale")],
    "gettext calls": [("flask_babel/__init__.py", "gettext"), ("flask_babel/__init__.py", "ngettext")],
    "survey page words (page_words.py)": [("feedback/survey/page_words.py", "gettext"),
                                          ("feedback/survey/page_words.py", "ngettext")],
    "SQLAlchemy Session.execute": [("sqlalchemy/orm/session.py", "execute")],
    "SQLAlchemy flush": [("sqlalchemy/orm/session.py", "flush")],
    "SQLAlchemy commit": [("sqlalchemy/orm/session.py", "commit")],
    "SQLAlchemy connection checkout": [("sqlalchemy/pool/base.py", "_checkout")],
    "SQLAlchemy connection return (rollback)": [("sqlalchemy/pool/base.py", "_finalize_fairy")],
    "Twilio signature check": [("twilio/request_validator.py", "validate")],
    "SMS handler (feedback.sms.inbound.handle)": [("feedback/sms/inbound.py", "handle")],
    "request form parsing (werkzeug)": [("werkzeug/wrappers/request.py", "_load_form_data")],
}


def matching(stats: pstats.Stats, fragment: str, name: str):
    for (filename, line, function), row in stats.stats.items():
        if function == name and fragment in filename:
            yield (filename, line, function), row


def summarise(stats: pstats.Stats, units: int, unit: str, top: int) -> None:
    print(f"\n  cProfile (CPU clock), cumulative ms per {unit} of the named costs (profiler overhead included):")
    for label, functions in COSTS.items():
        total, calls = 0.0, 0
        for fragment, name in functions:
            for _key, (_cc, nc, _tt, ct, _callers) in matching(stats, fragment, name):
                total += ct
                calls += nc
        if calls:
            print(f"    {label:48} {total * 1000 / units:7.3f} ms  ({calls / units:.1f} calls per {unit})")
    # Python function calls do not depend on how busy the machine is: the steadier way to compare
    # two versions of the code on a shared machine.
    print(f"  Python function calls per {unit}: {stats.total_calls / units:,.0f}")
    totals: dict[str, float] = collections.Counter()
    for (filename, _line, _name), (_cc, _nc, own, _ct, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/feedback/" in filename or filename.endswith(".html"):
            package = "feedback (code and templates)"
        elif filename.startswith(("~", "<")):
            package = "builtins"
        else:
            package = "standard library"
        totals[package] += own
    grand = sum(totals.values())
    print(f"  own time by package, ms per {unit}, of {grand * 1000 / units:.2f}:")
    for package, own in totals.most_common(12):
        print(f"    {package:36} {own * 1000 / units:6.3f}  {own / grand:4.0%}")
    if top:
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


# -- CPU of processes, from /proc ------------------------------------------------------------------
def backends(database: str) -> dict[int, float]:
    return {pid: process_seconds(pid) for pid in database_pids(database)}


def backend_seconds(before: dict, after: dict) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# -- in process --------------------------------------------------------------------------------------
class StatementCounter:
    """SQL statements sent per request, by their first words."""

    def __init__(self, engine):
        import sqlalchemy as sa

        self.current = collections.Counter()
        self.by_kind: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.requests = collections.Counter()
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _params, _context, executemany):
        words = " ".join(statement.split())[:70]
        self.current[words + (" [executemany]" if executemany else "")] += 1

    def end(self, kind: str) -> None:
        self.by_kind[kind].update(self.current)
        self.requests[kind] += 1
        self.current.clear()

    def print(self) -> None:
        for kind, counter in self.by_kind.items():
            n = self.requests[kind]
            print(f"  SQL statements per {kind}: {sum(counter.values()) / n:.2f}")
            for words, count in counter.most_common(10):
                print(f"    {count / n:5.2f}  {words}")


class InsideApp:
    """Wraps ``app.wsgi_app``: this process's CPU spent inside the app, as against the test client."""

    def __init__(self, app):
        self.inner, self.seconds = app.wsgi_app, 0.0
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        started = time.process_time()
        try:
            return list(self.inner(environ, start_response))
        finally:
            self.seconds += time.process_time() - started


def production_env(url: str) -> dict:
    return {"FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": url,
            "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}


def throwaway_database(kind: str, prefix: str):
    if kind == "sqlite":
        return None, f"sqlite:///{tempfile.mkdtemp()}/cpu.sqlite3"
    import psycopg

    database = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    return database, f"postgresql://postgres@127.0.0.1:5432/{database}"


def drop(database: str | None) -> None:
    if database:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def pages_in_process(options) -> None:
    from survey_pages import read_form

    database, url = throwaway_database(options.database, "feedback_cpuprof")
    os.environ.update(production_env(url))
    try:
        from flask_migrate import upgrade
        from feedback import create_app
        from feedback.extensions import db
        from feedback.publishing.startup import current_catalogue
        from feedback.survey.service import create_response

        app = create_app()
        app.config["PREFERRED_URL_SCHEME"] = "http"  # plain http, as gunicorn serves the load test
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            instrument = current_catalogue().latest("follow-up")
            tokens = [create_response(instrument, 28)[1] for _ in range(options.links + 5)]
            db.session.commit()
            engine = db.engine
        counter = StatementCounter(engine)
        inside = InsideApp(app)
        client = app.test_client()
        profiler = cProfile.Profile(time.process_time) if options.profile else None
        cpu = {"GET": [], "POST": []}

        def run(tokens, measure):
            for token in tokens:
                path = urlsplit(client.get(f"/s/{token}/start").headers["Location"]).path
                counter.end("start")
                while path and "/done" not in path:
                    for method in ("GET", "POST"):
                        started = time.process_time()
                        if profiler and measure:
                            profiler.enable()
                        if method == "GET":
                            page = client.get(path)
                            assert page.status_code == 200, page.status_code
                            fields = read_form(page.get_data(as_text=True))
                        else:
                            posted = client.post(path, data=fields)
                            assert posted.status_code == 302, posted.status_code
                            path = urlsplit(posted.headers["Location"]).path
                        if profiler and measure:
                            profiler.disable()
                        cpu[method].append(time.process_time() - started)
                        counter.end(method)

        run(tokens[:5], False)  # compile templates and statements
        for values in cpu.values():
            values.clear()
        counter.by_kind.clear()
        counter.requests.clear()
        inside.seconds = 0.0
        before_db, began = backends(database) if database else {}, time.process_time()
        run(tokens[5:], True)
        spent = time.process_time() - began
        db_seconds = backend_seconds(before_db, backends(database)) if database else 0.0
        pages = len(cpu["GET"])
        starts = counter.requests["start"]
        print(f"{options.database}: {pages} pages answered (GET + POST) over {starts} links"
              f"{' (under cProfile: figures inflated)' if profiler else ''}")
        print(f"  this process CPU ms per page: {spent * 1000 / pages:.2f} (link openings included), "
              f"inside app.wsgi_app {inside.seconds * 1000 / pages:.2f}, "
              f"test client and reading the form {(spent - inside.seconds) * 1000 / pages:.2f}")
        for method, values in cpu.items():
            print(f"  {method:4} CPU ms: median {statistics.median(values) * 1000:.2f}, mean {statistics.fmean(values) * 1000:.2f}")
        if database:
            print(f"  PostgreSQL backend CPU ms per page: {db_seconds * 1000 / pages:.2f} (/proc, 10 ms ticks)")
        counter.print()
        if profiler:
            summarise(pstats.Stats(profiler), pages, "page", options.top)
            if options.dump:
                profiler.dump_stats(options.dump)  # for pstats' callers and callees
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop(database)


def sms_in_process(options) -> None:
    import sms_inbound
    from profile_sms import ClientWebhook, webhook_app

    os.chdir(ROOT)
    database, url = throwaway_database("postgresql", "feedback_cpusms")
    base_env = {**production_env(url), "FEEDBACK_PUBLIC_BASE_URL": sms_inbound.PUBLIC_BASE_URL}
    try:
        conversations, _seeded = sms_inbound.seed(base_env, options.members)
        from feedback.extensions import db

        app = webhook_app(base_env)
        with app.app_context():
            counter = StatementCounter(db.engine)
        inside = InsideApp(app)
        timings: list = []

        class Counted(ClientWebhook):
            def post(self, params):
                result = super().post(params)
                counter.end("text")
                return result

        webhook = Counted(app.test_client(), timings)
        sms_inbound.sender(webhook, conversations[:5], sms_inbound.Tally(), 1, 0.0, 0.03)
        timings.clear()
        counter.by_kind.clear()
        counter.requests.clear()
        inside.seconds = 0.0
        profiler = cProfile.Profile(time.process_time) if options.profile else None
        tally = sms_inbound.Tally()
        before_db, began = backends(database), time.process_time()
        if profiler:
            profiler.enable()
        sms_inbound.sender(webhook, conversations[5:], tally, 2, 0.0, 0.03)
        if profiler:
            profiler.disable()
        spent = time.process_time() - began
        db_seconds = backend_seconds(before_db, backends(database))
        texts = len(timings)
        print(f"{texts} texts; outcomes {dict(tally.outcomes)}{' (under cProfile)' if profiler else ''}")
        print(f"  this process CPU ms per text: {spent * 1000 / texts:.2f} (signing and reading the reply included), "
              f"inside app.wsgi_app {inside.seconds * 1000 / texts:.2f}")
        print(f"  PostgreSQL backend CPU ms per text: {db_seconds * 1000 / texts:.2f}")
        counter.print()
        if profiler:
            summarise(pstats.Stats(profiler), texts, "text", options.top)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop(database)


# -- under gunicorn ------------------------------------------------------------------------------------
GUNICORN_PROFILE_CONF = '''
"""gunicorn hooks: cProfile on a CPU clock per worker, dumped to $CPU_PROFILE_DIR/<pid>.prof at exit."""
import cProfile, os, threading, time

_state = {"requests": 0, "profiler": None}
_local = threading.local()


def post_worker_init(worker):
    if worker.__class__.__name__ == "SyncWorker":  # one thread: profile the whole loop
        _state["profiler"] = cProfile.Profile(time.process_time)
        _state["profiler"].enable()


def pre_request(worker, req):
    _state["requests"] += 1
    if _state["profiler"] is None:
        profiler = getattr(_local, "profiler", None)
        if profiler is None:
            profiler = _local.profiler = cProfile.Profile(time.thread_time)
            _state.setdefault("threads", []).append(profiler)
        profiler.enable()


def post_request(worker, req, environ, resp):
    profiler = getattr(_local, "profiler", None)
    if profiler is not None:
        profiler.disable()


def worker_exit(server, worker):
    folder = os.environ.get("CPU_PROFILE_DIR")
    if not folder:
        return
    profilers = [_state["profiler"]] if _state["profiler"] else _state.get("threads", [])
    for number, profiler in enumerate(profilers):
        profiler.disable()
        profiler.dump_stats(os.path.join(folder, f"{os.getpid()}-{number}.prof"))
    with open(os.path.join(folder, f"{os.getpid()}.requests"), "w") as out:
        out.write(str(_state["requests"]))
'''


def write_gunicorn_conf(path: Path) -> Path:
    path.write_text(GUNICORN_PROFILE_CONF)
    return path


def report_folder(folder: Path, unit: str, units: int | None, top: int) -> None:
    files = sorted(folder.glob("*.prof"))
    if not files:
        print(f"  no profiles in {folder}")
        return
    stats = pstats.Stats(*map(str, files))
    requests = sum(int(path.read_text()) for path in folder.glob("*.requests"))
    print(f"  {len(files)} worker profiles, {requests} requests")
    summarise(stats, units or requests, unit if units else "request", top)


def serve(options) -> None:
    import survey_pages
    from cpu_meter import CpuMeter

    database, url = throwaway_database("postgresql", "feedback_cpuserve")
    env = {**os.environ, **production_env(url)}
    env.pop("GUNICORN_CMD_ARGS", None)
    results = []
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        tokens = survey_pages.make_links(env, options.links)
        lock = threading.Lock()
        for spec in options.configs:
            kind, workers, *rest = spec.split(":")
            threads = int(rest[0]) if rest else 1
            port = survey_pages.free_port()
            command = [sys.executable, "-m", "gunicorn", "-w", workers, "-k", kind, "--threads", str(threads),
                       "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
            if options.access_log:
                command += ["--access-logfile", os.devnull]
            folder = None
            if options.profile:
                folder = Path(tempfile.mkdtemp(prefix="cpu_profile_"))
                command += ["--config", str(write_gunicorn_conf(folder / "gunicorn_profile.conf.py"))]
                env["CPU_PROFILE_DIR"] = str(folder)
            server = subprocess.Popen(command + ["wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            try:
                survey_pages.wait_for(port, server, "/staff/login")
                figures = survey_pages.measure(
                    lambda stop, record: survey_pages.respondent(port, tokens, stop, record, lock),
                    options.concurrency, options.seconds, options.warmup, CpuMeter(server, database))
            finally:
                server.terminate()
                server.wait(timeout=30)
            results.append((spec, figures))
            cpu = figures["cpu_ms"]
            print(f"{spec:14} {figures['rate']:7.1f} pages/s  p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
                  f"CPU ms per page: app {cpu['app server']:.2f}  db {cpu['database']:.2f}  "
                  f"loadgen {cpu['load generator']:.2f}  others {cpu['other processes']:.2f}", flush=True)
            if folder:
                # The profile covers warm-up and measurement: per request, not per page.
                report_folder(folder, "request", None, options.top)
    finally:
        drop(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pages = commands.add_parser("pages")
    pages.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    pages.add_argument("--links", type=int, default=60)
    pages.add_argument("--dump", type=Path, help="with --profile: also write the cProfile stats here")
    sms = commands.add_parser("sms")
    sms.add_argument("--members", type=int, default=60)
    served = commands.add_parser("serve")
    served.add_argument("--configs", nargs="+", default=["sync:2", "sync:3", "sync:4", "gthread:2:2", "gthread:2:4"])
    served.add_argument("--concurrency", type=int, default=8)
    served.add_argument("--seconds", type=float, default=8)
    served.add_argument("--warmup", type=float, default=2)
    served.add_argument("--links", type=int, default=2500)
    served.add_argument("--access-log", action="store_true", help="write gunicorn's access log (to /dev/null)")
    conf = commands.add_parser("gunicorn-conf")
    conf.add_argument("path", type=Path)
    report = commands.add_parser("report")
    report.add_argument("folder", type=Path)
    report.add_argument("--per", type=int, help="divide by this many units instead of requests")
    report.add_argument("--unit", default="text")
    for sub in (pages, sms, served, report):
        sub.add_argument("--top", type=int, default=0, help="also print cProfile's top N")
    for sub in (pages, sms, served):
        sub.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    if options.command == "pages":
        pages_in_process(options)
    elif options.command == "sms":
        sms_in_process(options)
    elif options.command == "serve":
        serve(options)
    elif options.command == "gunicorn-conf":
        print(write_gunicorn_conf(options.path))
    else:
        report_folder(options.folder, options.unit, options.per, options.top)


if __name__ == "__main__":
    main()
