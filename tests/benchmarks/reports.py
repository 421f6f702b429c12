"""Benchmark: every manager report page for all sites, over the export benchmark's 20,000 families.

Run:  python tests/benchmarks/reports.py [--families 20000] [--answer-sets 50] [--database NAME]
                                         [--keep-database] [--repeat 2] [--changed 100]
      python tests/benchmarks/reports.py --template NAME [--template NAME ...] [--repeat 2] [--changed 0]
                                         [--only REPORT ...]

Seeds a throwaway PostgreSQL database with ``export.seed`` (the datasets benchmark's families,
members and completed responses with answers and scores), then adds what the response-rates
report reads: an invitation for each completed response (sent a minute to 20 days before,
"opened" once) and, for about half the carers, a 6-month follow-up invitation that expired
unanswered. With
``--database NAME`` an already seeded database (``--keep-database`` from an earlier run) is used.

Then, in this process, an admin signs in through the real sign-in form and each report page
(``/staff/reports/<name>``: the queries, the report, suppression, the SVG chart and the HTML) is
requested ``--repeat`` times; seconds per request are printed, first and best, with the seconds of
the best request spent in protection (``protect``: the disclosure audit, secondary suppression and
the text of every cell) and their share of the request. On a new database
the first request of the pairing reports (need-flow, risk-change, resilience, cost-benefit) also
pairs every family's entry and exit answers and keeps them (``reports/pair_store.py``), as the
first report after an upgrade does (or ``flask report-refresh``); later requests only ask the
database's change counter whether any family's responses changed (``reports/response_changes.py``). Then ``--changed`` families lose their exit assessments (as a correction
or erasure would) and every report is timed once more: those families are paired again.
Production settings, so the timings include what a deployment runs. Not a pytest test: nothing
is asserted.

Growth with the cohort: ``--template NAME`` (repeatable) takes databases seeded earlier
(``--keep-database``) as read-only templates. Each is cloned (``CREATE DATABASE ... TEMPLATE``), timed
on the clone with the template's keys (the seed's keys come from its url) and the clone dropped;
then one table gives each report's seconds (best request) at every size, smallest first, and how
many times slower it is at the largest size than at the smallest.
"""
from __future__ import annotations

import argparse
import re
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export as seeding  # noqa: E402  (the datasets benchmark: its seeding and settings)

TARGET_SECONDS = 2.0

INVITATIONS = """
INSERT INTO invitations (family_id, member_id, recipient_key, schedule_id, wave, instrument_id, channel, due_on,
                         opens_at, closes_at, state, reminders_sent, send_attempts, response_id, sent_at,
                         created_at, updated_at)
SELECT r.family_id, r.member_id,
       CASE WHEN r.member_id IS NULL THEN 'key_worker' ELSE 'm' || r.member_id END,
       'family-support', r.wave, r.instrument_id,
       CASE WHEN r.instrument_id IN ('practitioner-assessment', 'member-assessment', 'family-star') THEN 'staff_task'
            ELSE 'sms_link' END,
       s.sent::date, s.sent - interval '1 day', s.sent + interval '28 days', 'completed', 0, 0, r.id, s.sent,
       s.sent - interval '1 day', r.completed_at
FROM responses r
-- Answered from a minute to 20 days after the text, spread by the response's id (a median over
-- equal times would be no test of how medians are found).
CROSS JOIN LATERAL (SELECT r.completed_at - interval '1 second' * (60 + (r.id::bigint * 2654435761) % 1728000)
                    AS sent) s
WHERE r.status = 'completed'
ON CONFLICT DO NOTHING
"""
EXPIRED = """
INSERT INTO invitations (family_id, member_id, recipient_key, schedule_id, wave, instrument_id, channel, due_on,
                         opens_at, closes_at, state, reminders_sent, send_attempts, sent_at, created_at, updated_at)
SELECT m.family_id, m.id, 'm' || m.id, 'family-support', 'exit-6m', 'follow-up', 'sms_link',
       f.exit_date + 182, f.exit_date + 175, f.exit_date + 210, 'expired', 2, 0, f.exit_date + 175,
       f.exit_date + 175, f.exit_date + 210
FROM members m JOIN families f ON f.id = m.family_id
WHERE m.role IN ('mother', 'father', 'partner', 'other_carer') AND m.id % 2 = 0
ON CONFLICT DO NOTHING
"""
OPENED = """
INSERT INTO invitation_events (invitation_id, at, from_state, to_state, cause)
SELECT id, sent_at + interval '1 hour', 'sent', 'opened', 'benchmark' FROM invitations WHERE channel = 'sms_link'
"""


def add_invitations(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for statement in (INVITATIONS, EXPIRED, OPENED):
            connection.execute(statement)
        connection.execute("ANALYZE")
        return connection.execute("select count(*) from invitations").fetchone()[0]


def signed_in_client(app):
    from feedback.extensions import db
    from feedback.staff.models import StaffUser

    password = secrets.token_urlsafe(16)
    with app.app_context():
        admin = StaffUser(email=f"bench-{secrets.token_hex(3)}@example.org", name="Benchmark", role="admin")
        admin.set_password(password)
        db.session.add(admin)
        db.session.commit()
        email = admin.email
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # production cookies are Secure
    page = client.get("/staff/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    # Over HTTPS Flask-WTF also checks the Referer, as a browser sends it.
    response = client.post("/staff/login", base_url="https://localhost", headers={"Referer": "https://localhost/staff/login"},
                           data={"csrf_token": token, "email": email, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in: {response.status_code}")
    return client


def time_reports(client, repeat: int, heading: str, seen: dict | None = None, only=()) -> tuple[float, float]:
    """Each report page (or those in ``only``) ``repeat`` times; prints first and best seconds;
    (slowest first, slowest best). ``seen`` (if given) gets report -> (first, best) seconds."""
    from feedback.reports.catalogue import REPORTS

    from feedback.reports import views

    protecting = []
    protect = views.protect

    def timed_protect(*args, **kwargs):
        began = time.perf_counter()
        try:
            return protect(*args, **kwargs)
        finally:
            protecting.append(time.perf_counter() - began)

    views.protect = timed_protect
    print(f"{heading}\n{'report':<20} {'first s':>8} {'best s':>8} {'audit s':>8} {'audit %':>8}  "
          f"target < {TARGET_SECONDS:.0f} s")
    worst, worst_best = 0.0, 0.0
    for report in REPORTS:
        if only and report not in only:
            continue
        times, audits = [], []
        for _ in range(repeat):
            protecting.clear()
            began = time.perf_counter()
            response = client.get(f"/staff/reports/{report}", base_url="https://localhost")
            times.append(time.perf_counter() - began)
            audits.append(sum(protecting))
            html = response.get_data(as_text=True)
            if response.status_code != 200:
                raise SystemExit(f"{report}: HTTP {response.status_code}")
        worst, worst_best = max(worst, times[0]), max(worst_best, min(times))
        note = "not enough data" if "Not enough data" in html else ("chart" if "<svg" in html else "no chart")
        best = times.index(min(times))
        if seen is not None:
            seen[report] = (times[0], times[best])
        print(f"{report:<20} {times[0]:>8.2f} {times[best]:>8.2f} {audits[best]:>8.3f} "
              f"{100 * audits[best] / times[best]:>7.1f}%  {note}")
    views.protect = protect
    return worst, worst_best


def drop_exit_assessments(url: str, families: int) -> int:
    """Remove the exit assessments (family and member) of that many families, as an erasure or a
    correction would: their kept pairs no longer match and the next report pairs them again."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("""DELETE FROM responses WHERE wave = 'exit'
                              AND instrument_id IN ('practitioner-assessment', 'member-assessment')
                              AND family_id IN (SELECT id FROM families ORDER BY id LIMIT %s)""", (families,))
    return families


def clone(template: str) -> str:
    """A throwaway copy of a seeded database (the datasets benchmark's ``clone``)."""
    return seeding.clone(template, "h_rep")


def families_in(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute("select count(*) from families").fetchone()[0]


def time_database(url: str, keys_url: str, options, heading: str = "") -> dict:
    """Every report on one seeded database (``keys_url``: the url the seed's keys come from):
    report -> (first, best) seconds; then, with ``--changed``, once more after that many families
    changed. Prints as it goes."""
    from feedback import create_app

    # The report pages are measured, not signing in: the admin signs in with the password alone.
    app = create_app({**seeding.settings(keys_url), "DATABASE_URL": url, "FEEDBACK_TWO_FACTOR_ROLES": ""})
    client = signed_in_client(app)
    seen: dict = {}
    first, best = time_reports(client, options.repeat, f"{heading}each report, first request then again", seen,
                               options.only)
    verdicts = [("first request", first), ("again", best)]
    if options.changed:
        drop_exit_assessments(url, options.changed)
        changed, _ = time_reports(client, 1, f"after {options.changed:,} families' exit assessments were removed",
                                  only=options.only)
        verdicts.append((f"after {options.changed:,} families changed", changed))
    for label, seconds in verdicts:
        print(f"slowest report, {label}: {seconds:.2f} s (target < {TARGET_SECONDS:.0f} s: "
              f"{'met' if seconds < TARGET_SECONDS else 'NOT met'})")
    return seen


def growth_table(sizes: dict[int, dict]) -> str:
    """Each report's best seconds at every size (families), and largest / smallest."""
    ordered = sorted(sizes)
    head = f"{'report':<20} " + " ".join(f"{f'{n:,} fam. s':>13}" for n in ordered) + f" {'growth':>7}"
    lines = [head]
    for report in sizes[ordered[0]]:
        best = [sizes[n].get(report, (None, None))[1] for n in ordered]
        ratio = (f"{best[-1] / best[0]:>6.1f}x" if len(ordered) > 1 and best[0] and best[-1] is not None else f"{'':>7}")
        lines.append(f"{report:<20} " + " ".join(f"{b:>13.2f}" if b is not None else f"{'-':>13}" for b in best)
                     + f" {ratio}")
    return "\n".join(lines)


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--answer-sets", type=int, default=50)
    parser.add_argument("--database", help="an already seeded database to use")
    parser.add_argument("--template", action="append", default=[],
                        help="a seeded database to clone and time (repeatable: one size each); the clone is dropped")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--changed", type=int, default=100,
                        help="then remove this many families' exit assessments and time every report again")
    parser.add_argument("--analyze", action="store_true",
                        help="ANALYZE each clone before timing it: a template seeded here holds the kept answers "
                             "with the statistics of their empty tables (this server runs with autovacuum off), "
                             "which plans the reports' counts by nested loops; a deployment's autovacuum, or the "
                             "ANALYZE after a whole cohort is kept (pair_store.analyse), brings them up to date")
    parser.add_argument("--only", action="append", default=[], metavar="REPORT",
                        help="time only this report (repeatable), e.g. to compare one change before and after")
    options = parser.parse_args()

    if options.template:
        sizes = {}
        for template in options.template:
            name = clone(template)
            try:
                if options.analyze:
                    with psycopg.connect(seeding.database_url(name), autocommit=True) as connection:
                        connection.execute("ANALYZE")
                families = families_in(seeding.database_url(name))
                sizes[families] = time_database(seeding.database_url(name), seeding.database_url(template), options,
                                                f"{families:,} families ({template}): ")
            finally:
                with psycopg.connect(seeding.ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print("\nbest request, seconds, by families in the cohort\n" + growth_table(sizes))
        return

    name = options.database or f"feedback_reports_{secrets.token_hex(4)}"
    url = seeding.database_url(name)
    if not options.database:
        with psycopg.connect(seeding.ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        if not options.database:
            counts = seeding.seed(url, options.families, options.answer_sets)
            print(f"seeded {counts['families']:,} families, {counts['members']:,} members, "
                  f"{counts['responses']:,} responses, {counts['answers']:,} answers in {counts['seconds']:.0f} s")
            print(f"invitations: {add_invitations(url):,}")
        time_database(url, url, options)
    finally:
        if options.keep_database or options.database:
            print(f"kept the database {name}")
        else:
            with psycopg.connect(seeding.ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
