"""Benchmark: ``flask export run exports/evaluation.yaml`` over 20,000 families, against a pandas floor.

Run:  python tests/benchmarks/export.py [--families 20000] [--answer-sets 50] [--profile] [--top 25]
                                        [--keep-database] [--floor chunked|whole|both]
      python tests/benchmarks/export.py --template NAME [--tree DIR ...] [--rounds N]
      python tests/benchmarks/export.py --database NAME [--keys-of NAME]

``--template NAME`` seeds nothing: it exports a clone of a database seeded earlier (``--keep-database``
here or in ``reports.py``; the clone is made with ``CREATE DATABASE … TEMPLATE`` and dropped at the
end), with the keys the seed used (``settings`` of the template's url). ``--database NAME`` exports
an existing database as it is (``--keys-of`` names the database whose url made its keys).
``--tree DIR`` (repeatable) times the export of another copy of the code (a folder holding
``wsgi.py`` and ``feedback/``) as well, alternating with this tree for ``--rounds`` rounds, so two
versions are compared under the same load.

Creates a throwaway PostgreSQL database, migrates it, publishes the six family instruments and
seeds families in bulk: sites, families (entry and exit dates), about three members a family
(Faker names, no phones; carers and children with birth years) and COMPLETED responses at the
entry, exit, exit-3m and exit-12m waves with their answers and scale scores. Answers come from
``feedback.demo.random_answers`` (a seeded Random) and scores from ``score_instrument``; to keep
seeding to minutes, ``--answer-sets`` answer sets are precomputed per instrument and cycled.
Families, members and responses go in as SQLAlchemy Core executemany inserts in chunks; answers
and scores (most of the rows) go in with PostgreSQL COPY.

Then, each in its own subprocess (so its peak memory is its own), it times
  1. the export: ``flask --app wsgi export run exports/evaluation.yaml --out TMP`` with production
     settings and ``FEEDBACK_PSEUDONYM_KEY``, writing every format the profile names;
  2. the floor: every answer read by pandas and written to one CSV. ``chunked`` (the default) reads
     ``pd.read_sql(..., chunksize=200_000)`` through a server-side cursor and appends each chunk,
     so its memory does not grow with the cohort either (the "same way" the export now reads);
     ``whole`` is the earlier floor, ``pd.read_sql("select * from answers")`` in one frame, which
     needs about 4.6 GB at 20,000 families and does not fit at 100,000.
Seconds are the wall time of the whole subprocess (interpreter start and imports included, for
both). Peak memory is the subprocess's resident-set high-water mark (``ru_maxrss``) read with
``os.wait4`` for that child — what ``resource.getrusage(RUSAGE_CHILDREN)`` gives, but per child.
The export's own process then reports its peak and the XLSX worker's apart (``OWN_RUSAGE``): the
worker's is its own ``VmHWM``, because its ``ru_maxrss`` starts at the main process's high-water
mark when the worker was started (Linux carries it across fork and exec), which the sums printed
before 8 December 2026 counted twice.
Not tracemalloc: that sees only Python allocations, not numpy/pandas/pyarrow buffers or the C
heap. If the profile's disclosure check refuses, the message is printed and the export is timed
again with a copy of the profile whose k is 2.

``--profile`` also runs the export once under cProfile and prints the top costs. Not a pytest
test: nothing is asserted, figures are printed.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import itertools
import json
import os
import pstats
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PROFILE = ROOT / "exports" / "evaluation.yaml"
CHUNK = 5_000
SITES = (("north", "North Family Support"), ("south", "South Family Support"),
         ("east", "East Family Support"), ("west", "West Family Support"))
INSTRUMENTS = ("exit-interview", "family-functioning", "family-star", "follow-up", "member-assessment",
               "practitioner-assessment")
CARERS = ("mother", "father", "partner", "other_carer")

FLOOR = """
import sys, time, pandas as pd, sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
frame = pd.read_sql("select * from answers", engine)
frame.to_csv(sys.argv[2], index=False)
print(len(frame))
"""
# The same reading and writing, a chunk at a time through a server-side cursor.
CHUNKED_FLOOR = """
import sys, pandas as pd, sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
rows = 0
with engine.connect().execution_options(stream_results=True) as connection:
    for n, chunk in enumerate(pd.read_sql("select * from answers", connection, chunksize=200_000)):
        chunk.to_csv(sys.argv[2], index=False, header=n == 0, mode="w" if n == 0 else "a")
        rows += len(chunk)
print(rows)
"""
FLOORS = {"chunked": CHUNKED_FLOOR, "whole": FLOOR}


def database_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def settings(url: str) -> dict:
    digest = hashlib.sha256(url.encode()).digest()
    return {"FEEDBACK_ENV": "production", "SECRET_KEY": digest.hex(), "DATABASE_URL": url,
            "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(digest).decode(),
            "FEEDBACK_PUBLIC_BASE_URL": "https://feedback.example.org"}


def age(birth_year: int, on: date) -> int:
    return on.year - birth_year


def plan_family(rng: random.Random, fake) -> tuple[dict, list[dict]]:
    """One family's dates and members (1–2 carers, 0–3 children: three members on average)."""
    entry = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
    exit_ = entry + timedelta(days=rng.randrange(90, 300))
    members = []
    carers = rng.choice((1, 2))
    first = rng.choices(("mother", "father", "other_carer"), (8, 1, 1))[0]
    for n in range(carers):
        role = first if n == 0 else rng.choice(("father", "partner", "mother"))
        members.append({"role": role, "birth_year": rng.randrange(1965, 2002), "birth_month": rng.randrange(1, 13)})
    for _ in range(rng.randrange(0, 4)):
        year = rng.randrange(2006, 2023)
        members.append({"role": "young_person" if age(year, entry) >= 11 else "child", "birth_year": year,
                        "birth_month": rng.randrange(1, 13)})
    language = rng.choices(("en", "cy", "pl"), (90, 6, 4))[0]
    for member in members:
        member.update(name=fake.first_name(), language=language)
    return {"entry_date": entry, "exit_date": exit_}, members


def family_responses(family: dict, members: list[dict], rng: random.Random) -> list[tuple]:
    """(instrument, wave, member index or None, completed_at) for one family."""
    entry, exit_ = family["entry_date"], family["exit_date"]
    waves = {"entry": entry, "exit": exit_, "exit-3m": exit_ + timedelta(days=91), "exit-12m": exit_ + timedelta(days=365)}

    def at(wave):
        day = waves[wave] + timedelta(days=rng.randrange(0, 21))
        return datetime(day.year, day.month, day.day, rng.randrange(9, 20), rng.randrange(60))

    out = []
    for wave in ("entry", "exit"):
        out.append(("practitioner-assessment", wave, None, at(wave)))
        out.append(("family-star", wave, 0, at(wave)))  # the main carer's reading
    for index, member in enumerate(members):
        carer = member["role"] in CARERS
        for wave in ("entry", "exit"):
            out.append(("member-assessment", wave, index, at(wave)))
        for wave in ("entry", "exit", "exit-12m"):
            if age(member["birth_year"], waves[wave]) >= 8:
                out.append(("family-functioning", wave, index, at(wave)))
        if carer or age(member["birth_year"], exit_) >= 11:
            out.append(("exit-interview", "exit", index, at("exit")))
        if carer:
            for wave in ("exit-3m", "exit-12m"):
                out.append(("follow-up", wave, index, at(wave)))
    return out


def copy_rows(connection, table: str, columns: tuple[str, ...], rows) -> None:
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def seed(url: str, families: int, answer_sets: int, seed_: int = 2026) -> dict:
    import sqlalchemy as sa
    from faker import Faker
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.demo import random_answers
    from feedback.extensions import db
    from feedback.families.models import Family, Member
    from feedback.instruments.scoring import score_instrument
    from feedback.publishing.service import publish
    from feedback.publishing.startup import current_catalogue
    from feedback.staff.models import Site
    from feedback.survey.models import Response

    app = create_app(settings(url))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        catalogue = current_catalogue()
        site_ids = []
        for code, name in SITES:
            site = Site(code=code, name=name)
            db.session.add(site)
            db.session.flush()
            site_ids.append(site.id)
        published, prepared = {}, {}
        rng = random.Random(seed_)
        for instrument_id in INSTRUMENTS:
            instrument = catalogue.latest(instrument_id)
            row = publish(instrument)
            published[instrument_id] = (row.id, instrument.version, instrument.content_hash)
            sets = []
            for _ in range(answer_sets):
                answers = random_answers(instrument, rng)
                scored = score_instrument(instrument, answers)
                sets.append(([(item, json.dumps(value)) for item, value in answers.items()],
                             [(s.scale_id, s.value, s.answered, s.items, s.flagged, s.band, s.scoring_version)
                              for s in scored]))
            prepared[instrument_id] = itertools.cycle(sets)
        db.session.commit()
        began = time.perf_counter()
        fake = Faker("en_GB")
        Faker.seed(seed_)
        counts = dict(families=0, members=0, responses=0, answers=0, scores=0)
        per_chunk = max(1, CHUNK // 3)  # families per chunk: about 5,000 members, 25,000 responses
        for start in range(0, families, per_chunk):
            # Taken again after each chunk's commit: the pool recycles connections after 30 minutes
            # (config's pool_recycle), which closed one kept across a national seed.
            raw = db.session.connection().connection.driver_connection  # psycopg connection, same transaction
            planned = [plan_family(rng, fake) for _ in range(min(per_chunk, families - start))]
            family_rows = [{"site_id": site_ids[(start + n) % len(site_ids)], "case_ref": f"EXP-{start + n:06d}",
                            "entry_date": f["entry_date"], "exit_date": f["exit_date"], "status": "closed",
                            "version": 1, "created_at": datetime(2026, 1, 1)} for n, (f, _) in enumerate(planned)]
            family_ids = db.session.execute(sa.insert(Family).returning(Family.id, sort_by_parameter_order=True),
                                            family_rows).scalars().all()
            member_rows = [{"family_id": family_id, "name": m["name"], "role": m["role"], "birth_year": m["birth_year"],
                            "birth_month": m["birth_month"], "language": m["language"], "channel": "sms_link",
                            "phone": None, "phone_digest": None, "phone_invalid": False, "version": 1,
                            "created_at": datetime(2026, 1, 1)}
                           for family_id, (_, members) in zip(family_ids, planned) for m in members]
            member_ids = iter(db.session.execute(sa.insert(Member).returning(Member.id, sort_by_parameter_order=True),
                                                 member_rows).scalars().all())
            response_rows, chosen = [], []
            for family_id, (family, members) in zip(family_ids, planned):
                ids = [next(member_ids) for _ in members]
                for instrument_id, wave, index, completed in family_responses(family, members, rng):
                    version_id, version, content_hash = published[instrument_id]
                    response_rows.append({
                        "token_hash": secrets.token_hex(32), "instrument_version_id": version_id,
                        "instrument_id": instrument_id, "version": version, "content_hash": content_hash,
                        "status": "completed", "mode": "web",
                        "language": members[index]["language"] if index is not None else members[0]["language"],
                        "family_id": family_id, "member_id": ids[index] if index is not None else None, "wave": wave,
                        "expires_at": completed + timedelta(days=28), "created_at": completed - timedelta(days=2),
                        "started_at": completed - timedelta(minutes=9), "updated_at": completed,
                        "completed_at": completed})
                    chosen.append(next(prepared[instrument_id]))
            response_ids = []
            for part in range(0, len(response_rows), CHUNK):
                response_ids += db.session.execute(
                    sa.insert(Response).returning(Response.id, sort_by_parameter_order=True),
                    response_rows[part:part + CHUNK]).scalars().all()
            saved = datetime(2026, 1, 1)
            copy_rows(raw, "answers", ("response_id", "item_id", "value", "saved_at"),
                      ((rid, item, value, saved) for rid, (answers, _) in zip(response_ids, chosen)
                       for item, value in answers))
            copy_rows(raw, "scores", ("response_id", "scale_id", "value", "answered", "items", "flagged", "band",
                                      "scoring_version", "scored_at"),
                      ((rid, *score, saved) for rid, (_, scores) in zip(response_ids, chosen) for score in scores))
            db.session.commit()
            counts["families"] += len(family_ids)
            counts["members"] += len(member_rows)
            counts["responses"] += len(response_ids)
            counts["answers"] += sum(len(answers) for answers, _ in chosen)
            counts["scores"] += sum(len(scores) for _, scores in chosen)
        db.session.execute(sa.text("analyze"))
        db.session.commit()
        counts["seconds"] = time.perf_counter() - began
        counts["by_instrument"] = dict(db.session.execute(sa.text(
            "select instrument_id, count(*) from responses group by 1 order by 1")).all())
        db.session.remove()
        db.engine.dispose()
    return counts


def measured(command: list[str], env: dict, cwd: Path = ROOT) -> dict:
    """Run a child; its wall seconds, peak RSS (MB, from its own rusage) and output."""
    began = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait4 reports this child's own rusage; read the pipes first, in threads, so the child never blocks.
    import threading
    out, err = [], []
    readers = [threading.Thread(target=lambda: out.append(child.stdout.read())),
               threading.Thread(target=lambda: err.append(child.stderr.read()))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    for reader in readers:
        reader.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime,
            "rc": child.returncode, "out": "".join(out), "err": "".join(err)}


def export_env(url: str) -> dict:
    env = dict(os.environ, **settings(url))
    env["FEEDBACK_PSEUDONYM_KEY"] = hashlib.sha256(b"export benchmark pseudonyms").hexdigest()
    return env


def folder_size(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run_export(url: str, profile: Path, out: Path, cprofile: Path | None = None, keys_url: str | None = None,
               tree: Path = ROOT) -> dict:
    """Time ``flask export run`` of ``tree``'s code against ``url``, with the keys ``keys_url``'s seed used."""
    command = [sys.executable]
    arguments = ["--app", "wsgi", "export", "run", str(profile), "--out", str(out)]
    if cprofile is not None:
        command += ["-m", "cProfile", "-o", str(cprofile), "-m", "flask", *arguments]
    else:
        command += ["-c", OWN_RUSAGE, *arguments]
    env = export_env(keys_url or url)
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = str(tree)  # the tree's own ``feedback`` package, not this checkout's
    result = measured(command, env, cwd=tree)
    # wait4's ru_maxrss is the larger of the export process and its XLSX worker; while both run
    # they add up, so each one's own peak is reported too (the worst case is their sum).
    own = [line for line in result["err"].splitlines() if line.startswith("RUSAGE ")]
    if own:
        result.update(json.loads(own[-1][len("RUSAGE "):]))
    return result


#: ``flask`` run in a process that reports, as it exits, its own peak RSS and that of the worker
#: processes it started (the XLSX worker), which ``wait4`` alone cannot tell apart. The worker's is
#: its own high-water mark (``VmHWM``, read every 0.25 s while it runs), not ``RUSAGE_CHILDREN``'s
#: ``ru_maxrss``: Linux carries the parent's high-water mark into a child across fork and exec, so
#: that figure was the main process's RSS when the worker was started, not the worker's (it is
#: still printed, as "worker's ru_maxrss", to compare with earlier rounds).
OWN_RUSAGE = """
import atexit, json, os, resource, sys, threading, time
own_marks = {}  # child pid -> its own resident high-water mark (VmHWM), MB
def high_water(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
def watch_children():
    me = str(os.getpid())
    while True:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        parent = stat.read().rsplit(")", 1)[1].split()[1]
                except OSError:
                    continue
                if parent == me:
                    mark = high_water(entry)
                    if mark is not None:
                        own_marks[entry] = max(own_marks.get(entry, 0.0), mark)
        time.sleep(0.25)
threading.Thread(target=watch_children, daemon=True).start()
def report():
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write("RUSAGE " + json.dumps({"main_mb": own.ru_maxrss / 1024, "worker_maxrss_mb": workers.ru_maxrss / 1024,
                     "worker_mb": max(own_marks.values(), default=0.0),
                     "main_cpu": own.ru_utime + own.ru_stime, "worker_cpu": workers.ru_utime + workers.ru_stime}) + "\\n")
    sys.stderr.flush()
atexit.register(report)
sys.argv[0] = "flask"
from flask.cli import main
main()
"""


def peaks(export: dict) -> str:
    """Peak memory as measured: the whole (wait4) and, when reported, main and worker apart."""
    text = f"peak {export['peak_mb']:.0f} MB"
    if "main_mb" in export:
        text += (f" (main {export['main_mb']:.0f} MB, worker {export['worker_mb']:.0f} MB, sum "
                 f"{export['main_mb'] + export['worker_mb']:.0f}; CPU main {export['main_cpu']:.1f} s, "
                 f"worker {export['worker_cpu']:.1f} s")
        if "worker_maxrss_mb" in export:
            text += f"; worker's ru_maxrss {export['worker_maxrss_mb']:.0f} MB, inherited at its start"
        text += ")"
    return text


def clone(template: str, prefix: str = "h_exp") -> str:
    """A throwaway copy of a seeded database (``CREATE DATABASE ... TEMPLATE``): its name. PostgreSQL
    refuses while anyone is connected to the template, so it is tried again for a while."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(3)}"
    for attempt in range(60):
        try:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return name
        except psycopg.errors.ObjectInUse:
            time.sleep(5)
    raise SystemExit(f"{template} stayed in use: could not clone it")


def cohort(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as connection:
        families, members, completed, answers = connection.execute(
            "select (select count(*) from families), (select count(*) from members), "
            "(select count(*) from responses where status = 'completed'), (select count(*) from answers)").fetchone()
    return f"{families:,} families, {members:,} members, {completed:,} completed responses, {answers:,} answers"


def measure_floor(kind: str, url: str, tmp: Path) -> dict:
    floor = measured([sys.executable, "-c", FLOORS[kind], url, str(tmp / "answers.csv")], dict(os.environ))
    if floor["rc"]:
        raise SystemExit(f"floor failed: {floor['err'][-2000:]}")
    size = (tmp / "answers.csv").stat().st_size / 1e6
    (tmp / "answers.csv").unlink()
    print(f"floor {kind} (pd.read_sql answers → one CSV, {int(floor['out']):,} rows, {size:.0f} MB): "
          f"{floor['seconds']:.1f} s, CPU {floor['cpu']:.1f} s, peak {floor['peak_mb']:.0f} MB", flush=True)
    return floor


def compare_trees(url: str, keys_url: str, trees: list[Path], rounds: int, floor_kind: str) -> None:
    """Each tree's export and the floor, alternately, ``rounds`` times; medians at the end."""
    import statistics

    results: dict[str, list[dict]] = {str(tree): [] for tree in trees}
    floors = []
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        tmp = Path(tmp)
        for round_ in range(rounds):
            for n, tree in enumerate(trees if round_ % 2 == 0 else list(reversed(trees))):
                out = tmp / f"out-{round_}-{n}"
                export = run_export(url, PROFILE, out, keys_url=keys_url, tree=tree)
                shutil.rmtree(out, ignore_errors=True)
                if export["rc"]:
                    print(f"export of {tree} FAILED (exit {export['rc']}): {export['err'].strip()[-1500:]}")
                    continue
                results[str(tree)].append(export)
                print(f"round {round_ + 1}, {tree}: {export['seconds']:.1f} s, CPU {export['cpu']:.1f} s, "
                      f"{peaks(export)}", flush=True)
            floors.append(measure_floor(floor_kind, url, tmp))  # after the exports: theirs are the figures wanted first
    floor_s = statistics.median(f["seconds"] for f in floors)
    print(f"medians over {rounds} round(s): floor {floor_kind} {floor_s:.1f} s, "
          f"peak {statistics.median(f['peak_mb'] for f in floors):.0f} MB")
    for tree, runs in results.items():
        if runs:
            seconds = statistics.median(r["seconds"] for r in runs)
            print(f"  {tree}: {seconds:.1f} s, CPU {statistics.median(r['cpu'] for r in runs):.1f} s, peak "
                  f"{statistics.median(r['peak_mb'] for r in runs):.0f} MB, {seconds / floor_s:.2f}× the floor")


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--answer-sets", type=int, default=50, help="precomputed answer sets per instrument")
    parser.add_argument("--profile", action="store_true", help="also run the export once under cProfile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--floor", choices=("chunked", "whole", "both"), default="chunked")
    parser.add_argument("--template", help="export a clone of this seeded database instead of seeding")
    parser.add_argument("--database", help="export this existing database as it is instead of seeding")
    parser.add_argument("--keys-of", help="the database whose url made --database's keys (default: itself)")
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="also time this copy of the code (with --template or --database)")
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    os.chdir(ROOT)
    if options.template or options.database:
        name = options.database or clone(options.template)
        keys_url = database_url(options.keys_of or options.template or options.database)
        try:
            print(f"exporting {name} (keys of {keys_url.rsplit('/', 1)[1]}): {cohort(database_url(name))}", flush=True)
            kind = "chunked" if options.floor == "both" else options.floor
            compare_trees(database_url(name), keys_url, [ROOT, *[t.resolve() for t in options.tree]],
                          options.rounds, kind)
        finally:
            if not options.database:
                with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return

    name = f"feedback_export_{secrets.token_hex(4)}"
    url = database_url(name)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        counts = seed(url, options.families, options.answer_sets)
        print(f"seeded {counts['families']:,} families, {counts['members']:,} members, {counts['responses']:,} "
              f"completed responses, {counts['answers']:,} answers, {counts['scores']:,} scores in "
              f"{counts['seconds']:.0f} s")
        print("responses by instrument: " + ", ".join(f"{k} {v:,}" for k, v in counts["by_instrument"].items()))
        with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
            tmp = Path(tmp)
            kinds = ("chunked", "whole") if options.floor == "both" else (options.floor,)
            floor = [measure_floor(kind, url, tmp) for kind in kinds][0]
            # The profile as shipped, then (only if it fails) copies with the smallest changes that
            # get past each failure, so the export can still be timed; every failure is printed.
            text = PROFILE.read_text()
            no_pa = text.replace("instruments: all", "instruments: [" + ", ".join(
                i for i in INSTRUMENTS if i != "practitioner-assessment") + "]")
            variants = [("as shipped", text), ("k = 2", text.replace("k: 5", "k: 2")),
                        ("without practitioner-assessment", no_pa),
                        ("without practitioner-assessment, formats without dta",
                         no_pa.replace("formats: [csv, xlsx, sav, dta, parquet]", "formats: [csv, xlsx, sav, parquet]"))]
            profiles = []
            for n, (label, content) in enumerate(variants):
                profile = PROFILE if n == 0 else tmp / f"variant{n}" / "evaluation.yaml"
                if n:
                    profile.parent.mkdir()
                    profile.write_text(content)
                profiles.append(profile)
                bundle = tmp / f"out{n}"
                export = run_export(url, profile, bundle)
                if not export["rc"]:
                    print(f"export ({label}): {export['out'].strip()}")
                    break
                print(f"export ({label}) FAILED after {export['seconds']:.1f} s (exit {export['rc']}): "
                      f"{export['err'].strip().splitlines()[-1][:1500]}")
            else:
                raise SystemExit("no variant of the profile could be exported")
            bundles = [bundle]
            manifest = json.loads(next(bundles[-1].glob("*/manifest.json")).read_text())
            print(f"  disclosure: {manifest.get('disclosure')}")
            print(f"export (flask export run, every format, bundle {folder_size(bundles[-1]):.0f} MB with zip): "
                  f"{export['seconds']:.1f} s, CPU {export['cpu']:.1f} s, {peaks(export)}")
            ratio = export["seconds"] / floor["seconds"]
            print(f"export / floor: {ratio:.1f}× (target ≤ 3×: {'met' if ratio <= 3 else 'NOT met'}); "
                  f"peak {export['peak_mb']:.0f} MB (target < 2 GB: "
                  f"{'met' if export['peak_mb'] < 2048 else 'NOT met'})")
            if options.profile:
                stats_file = tmp / "export.prof"
                profiled = run_export(url, profiles[-1], tmp / "out-profiled", stats_file)
                print(f"under cProfile: {profiled['seconds']:.1f} s")
                stream = io.StringIO()
                stats = pstats.Stats(str(stats_file), stream=stream)
                stats.sort_stats("cumulative").print_stats(options.top)
                stats.sort_stats("tottime").print_stats(options.top)
                print(stream.getvalue())
    finally:
        if options.keep_database:
            print(f"kept the database {name}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
