"""Sign-in guessing is slowed down, across every worker process, without locking out the owner.

Per address: Flask-Limiter's count, kept in Redis in production so that every worker shares it,
with the address taken from X-Forwarded-For only when proxies are configured. Per email address:
after 10 wrong passwords each further attempt waits twice as long as the last (1 s, 2 s, … at most
15 minutes), kept in the database; the right password signs in as soon as the wait is over. And the
password is checked as slowly for an email address with no account as for one with an account.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.config import ConfigurationError, Settings
from feedback.extensions import db
from feedback.staff import models as staff_models
from feedback.staff.models import LoginAttempt, StaffUser
from feedback.staff.views import next_attempt_at
from feedback.timeutil import utcnow
from tests.conftest import ROOT, TEST_SECRET, csrf_token, make_app

GUESSER = "198.51.100.7"
REDIS_URL = os.environ.get("FEEDBACK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
#: The Redis database the shared-count test uses alone, emptied before and after (.ci/run gives
#: its SQLite and PostgreSQL runs, which go side by side, one each).
REDIS_DB = int(os.environ.get("FEEDBACK_TEST_REDIS_DB", "11"))


def attempt(client, email: str, password: str, address: str = GUESSER, **headers):
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/staff/login", environ_base=environ).get_data(as_text=True))
    return client.post("/staff/login", environ_base=environ, headers=headers,
                       data={"csrf_token": token, "email": email, "password": password})


def address(n: int) -> str:
    """A different address for each guess, so that only the per-account waits are in play."""
    return f"203.0.113.{n + 1}"


class Clock:
    """The sign-in view's clock, moved on by the test instead of by sleeping."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def passes(self, **duration):
        self.now += timedelta(**duration)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("feedback.staff.views.utcnow", clock)
    return clock


def heard(monkeypatch, logger: str) -> None:
    # The migrations' logging.config.fileConfig disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger(logger), "disabled", False)


def wrong_passwords(client, email: str, count: int, first: int = 0) -> list[int]:
    return [attempt(client, email, f"guess {n}", address(n)).status_code for n in range(first, first + count)]


# --- per account: exponential waits, never a lock-out ---------------------------------------------

def test_after_ten_wrong_passwords_each_attempt_waits_and_then_the_right_password_signs_in(
        app, client, staff_user, clock):
    email, password = staff_user["email"], staff_user["password"]
    assert wrong_passwords(client, email, 10) == [401] * 10   # from ten addresses: no per-address limit

    refused = attempt(client, email, password, address(50))
    assert refused.status_code == 429 and "Try again in 1 second." in refused.get_data(as_text=True)

    clock.passes(seconds=1)
    assert attempt(client, email, "guess 11", address(11)).status_code == 401   # checked: now 11 failures
    clock.passes(seconds=1)
    still = attempt(client, email, password, address(51))
    assert still.status_code == 429 and "Try again in 1 second." in still.get_data(as_text=True)  # 2 s wait
    clock.passes(seconds=1)
    assert attempt(client, email, password, address(52)).status_code == 302


def test_attempts_during_a_wait_are_not_checked_recorded_or_counted(app, client, staff_user, clock, monkeypatch):
    """A guesser hammering during the wait learns nothing and cannot make the owner's wait longer."""
    email, password = staff_user["email"], staff_user["password"]
    wrong_passwords(client, email, 10)
    checked = count_password_checks(monkeypatch)
    for n in range(5):
        assert attempt(client, email, password if n == 4 else f"hammer {n}", address(60 + n)).status_code == 429
    assert checked == []   # not even the right password is looked at during the wait
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 10
    clock.passes(seconds=1)
    assert attempt(client, email, password, address(70)).status_code == 302


def test_the_wait_doubles_with_each_failure_up_to_fifteen_minutes():
    last = utcnow()
    waits = {failures: (next_attempt_at(failures, last) - last).total_seconds() for failures in (10, 11, 12, 15, 19)}
    assert waits == {10: 1, 11: 2, 12: 4, 15: 32, 19: 512}
    for failures in (20, 21, 40, 10_000):
        assert next_attempt_at(failures, last) - last == timedelta(minutes=15)
    assert all(next_attempt_at(failures, last) is None for failures in range(10))


def test_a_day_of_guessing_still_lets_the_owner_in_fifteen_minutes_after_the_last_guess(
        app, client, staff_user, clock):
    email, password = staff_user["email"], staff_user["password"]
    with app.app_context():
        db.session.add_all(LoginAttempt(email=email, remote_address=address(n), succeeded=False,
                                        attempted_at=clock.now - timedelta(minutes=40 - n)) for n in range(40))
        db.session.commit()
    refused = attempt(client, email, password)
    assert refused.status_code == 429
    assert 14 * 60 - 1 <= int(refused.headers["Retry-After"]) <= 14 * 60
    assert "Try again in 14 minutes." in refused.get_data(as_text=True)   # the last guess was a minute ago
    clock.passes(minutes=14)
    assert attempt(client, email, password).status_code == 302


def test_signing_in_clears_the_count(app, client, staff_user, clock):
    email, password = staff_user["email"], staff_user["password"]
    assert wrong_passwords(client, email, 9) == [401] * 9
    assert attempt(client, email, password, address(20)).status_code == 302
    clock.passes(seconds=1)
    other = app.test_client()
    assert wrong_passwords(other, email, 9, first=30) == [401] * 9
    assert attempt(other, email, password, address(40)).status_code == 302


def test_an_address_with_no_account_is_slowed_the_same_way(client, clock):
    """Otherwise being slowed down, or not, would tell a guesser which email addresses have accounts."""
    assert wrong_passwords(client, "nobody@example.org", 10) == [401] * 10
    refused = attempt(client, "nobody@example.org", "guess", address(50))
    assert refused.status_code == 429 and "Try again in 1 second." in refused.get_data(as_text=True)


def test_the_first_time_an_account_reaches_ten_failures_is_audited_and_logged(
        app, client, staff_user, clock, caplog, monkeypatch):
    email = staff_user["email"]
    heard(monkeypatch, "feedback.staff.views")
    def warnings():
        return [record.getMessage() for record in caplog.records if record.name == "feedback.staff.views"]

    with caplog.at_level(logging.WARNING, logger="feedback.staff.views"):
        wrong_passwords(client, email, 9)
        assert warnings() == []
        wrong_passwords(client, email, 1, first=9)
        for n in range(3):   # further failures, after their waits, are not reported again
            clock.passes(minutes=15)
            assert wrong_passwords(client, email, 1, first=20 + n) == [401]
    [warning] = warnings()
    assert f"staff account {staff_user['id']}" in warning
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).filter_by(action="staff.sign_in_slowed")).all()
        assert [(event.subject_type, event.subject_id, event.actor_id) for event in events] == [
            ("staff_users", staff_user["id"], None)]


# --- no timing difference between an account and no account ---------------------------------------

def count_password_checks(monkeypatch) -> list[str]:
    """Each password check the sign-in makes, as the hashing method of the hash it compared with."""
    checks: list[str] = []
    real = staff_models.check_password_hash

    def counted(pwhash: str, password: str) -> bool:
        checks.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(staff_models, "check_password_hash", counted)
    return checks


def test_the_password_is_checked_once_whether_or_not_the_email_address_has_an_account(
        app, client, staff_user, monkeypatch):
    with app.app_context():
        inactive = StaffUser(email="left@example.org", name="Former Colleague", active=False)
        inactive.set_password("an old but right password")
        db.session.add(inactive)
        db.session.commit()
        method = db.session.get(StaffUser, staff_user["id"]).password_hash.split("$", 1)[0]
    checks = count_password_checks(monkeypatch)
    for email, password in ((staff_user["email"], "wrong"), ("nobody@example.org", "wrong"),
                            ("left@example.org", "an old but right password")):
        checks.clear()
        assert attempt(client, email, password).status_code == 401
        # Exactly one check, against a hash made the same way (and so as slow) as an account's.
        assert checks == [method], email


# --- per address: one count for every worker, from the real client address -------------------------

def redis_database(number: int):
    """A client for one Redis database, emptied; skipped only outside CI when Redis is not running."""
    import redis   # the app's own dependency (limits[redis]): missing is a failure, not a skip

    client = redis.Redis.from_url(f"{REDIS_URL}/{number}")
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL} ({error}); .ci/run starts it")
        pytest.skip(f"Redis is not running at {REDIS_URL}: run redis-server (CI starts it) to test shared limits")
    client.flushdb()
    return client


@pytest.fixture
def second_worker(database_url, questionnaires_dir):
    """Starts a second app process with the given overrides; yields a function making one attempt there."""
    processes = []

    def start(**overrides):
        settings = {"FEEDBACK_ENV": "testing", "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
                    "FEEDBACK_QUESTIONNAIRES": str(questionnaires_dir), **overrides}
        process = subprocess.Popen([sys.executable, "-m", "tests.staff.second_worker", json.dumps(settings)],
                                   cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        processes.append(process)
        assert process.stdout.readline().strip() == "ready", "the second worker did not start"

        def attempt_there(email: str, password: str, remote_address: str) -> int:
            process.stdin.write(f"{email} {password} {remote_address}\n")
            process.stdin.flush()
            return int(process.stdout.readline())

        return attempt_there

    yield start
    for process in processes:
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


def test_two_workers_sharing_redis_count_one_addresses_attempts_together(app, database_url, questionnaires_dir,
                                                                          second_worker):
    storage = f"{REDIS_URL}/{REDIS_DB}"
    counts = redis_database(REDIS_DB)
    try:
        first = make_app(database_url, questionnaires_dir, FEEDBACK_RATE_LIMIT_STORAGE=storage).test_client()
        in_second = second_worker(FEEDBACK_RATE_LIMIT_STORAGE=storage)
        statuses = []
        for n in range(11):   # a different email each time: only the per-address limit (10 a minute) is in play
            email, password = f"guess{n}@example.org", f"guess-{n}"
            statuses.append(attempt(first, email, password).status_code if n % 2 == 0
                            else in_second(email, password, GUESSER))
        assert statuses == [401] * 10 + [429]
        assert in_second("guess11@example.org", "guess", GUESSER) == 429
    finally:
        counts.flushdb()
        counts.close()


def test_a_forged_x_forwarded_for_does_not_change_the_address_without_trusted_proxies(app, client):
    forged = [{"X-Forwarded-For": address(n)} for n in range(11)]
    statuses = [attempt(client, f"guess{n}@example.org", "guess", GUESSER, **headers).status_code
                for n, headers in enumerate(forged)]
    assert statuses == [401] * 10 + [429]
    with app.app_context():
        assert set(db.session.scalars(sa.select(LoginAttempt.remote_address))) == {GUESSER}


def test_behind_one_trusted_proxy_the_address_it_adds_is_the_clients(app, database_url, questionnaires_dir):
    proxied = make_app(database_url, questionnaires_dir, FEEDBACK_TRUSTED_PROXIES="1").test_client()
    proxy = "10.0.0.2"

    def through_proxy(n: int, client_address: str):
        # The client forged a header of its own; the proxy appended the address it saw.
        return attempt(proxied, f"guess{n}@example.org", "guess", proxy,
                       **{"X-Forwarded-For": f"192.0.2.66, {client_address}"}).status_code

    assert [through_proxy(n, address(1)) for n in range(11)] == [401] * 10 + [429]
    assert through_proxy(11, address(2)) == 401   # another client behind the same proxy is not limited
    with app.app_context():
        assert set(db.session.scalars(sa.select(LoginAttempt.remote_address))) == {address(1), address(2)}


# --- settings ---------------------------------------------------------------------------------------

def test_production_warns_when_limits_are_counted_in_each_workers_memory(
        database_url, questionnaires_dir, caplog, monkeypatch):
    heard(monkeypatch, "feedback")
    with caplog.at_level(logging.WARNING, logger="feedback"):
        make_app(database_url, questionnaires_dir, FEEDBACK_ENV="production", FEEDBACK_DATA_KEY="0" * 43 + "=")
    assert any("FEEDBACK_RATE_LIMIT_STORAGE is memory://" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("variable, value, message", [
    ("FEEDBACK_RATE_LIMIT_STORAGE", "memcached://127.0.0.1:11211", "redis://127.0.0.1:6379/0"),
    ("FEEDBACK_TRUSTED_PROXIES", "yes", "number of proxies"),
    ("FEEDBACK_TRUSTED_PROXIES", "-1", "number of proxies"),
])
def test_a_bad_limit_or_proxy_setting_stops_the_app_with_what_to_set(tmp_path, variable, value, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({variable: value}, tmp_path)


def test_by_default_limits_are_counted_in_memory_and_no_proxy_is_trusted(tmp_path):
    settings = Settings.from_env({}, tmp_path)
    assert settings.rate_limit_storage == "memory://" and settings.trusted_proxies == 0
    # Counted by the app's own in-memory storage (``feedback.rate_limit_storage``).
    assert settings.flask_config()["RATELIMIT_STORAGE_URI"] == "feedback+memory://"
