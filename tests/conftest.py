"""Fixtures shared by the whole suite.

The suite runs against SQLite by default and against PostgreSQL when
``FEEDBACK_TEST_DATABASE_URL`` names a throwaway database (``.ci/run`` does both).  The schema
is built by the real migrations, once per run; each test starts from empty tables.
"""
from __future__ import annotations

import functools
import os
from contextlib import contextmanager
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

# .ci/run runs the SQLite and PostgreSQL suites side by side on two cores: a property test's
# speed there says nothing about its code, so no example fails for taking long.
hypothesis_settings.register_profile("feedback", deadline=None)
hypothesis_settings.load_profile("feedback")

from feedback import create_app
from feedback.extensions import db, limiter

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("FEEDBACK_TEST_DATABASE_URL")
    return url or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def questionnaires_dir(tmp_path_factory) -> Path:
    """The shipped instruments plus the test-only ``household`` instrument, in a folder of their own."""
    folder = tmp_path_factory.mktemp("questionnaires")
    for source in (ROOT / "questionnaires", FIXTURES / "questionnaires"):
        for sub in source.iterdir():
            if sub.is_dir():
                shutil.copytree(sub, folder / sub.name)
    return folder


def _catalogue_loaded_once_per_content():
    """Every test starts an app, and every app start loaded the questionnaires folder afresh (about
    0.2 s of CPU with libyaml; 1 s before it): nearly 2,900 loads of the same files a run. The
    app's start-up now takes the catalogue loaded before from a folder whose files hold exactly the
    same bytes (a copy of its tables, so a test changing one changes nothing for the next). A test
    that writes, renames or removes any file of the folder gets a fresh load, problems and all.
    Only the start-up path is wrapped: tests of ``load_catalogue`` itself call the real one."""
    import hashlib
    from collections import OrderedDict

    from feedback.instruments.catalogue import Catalogue
    from feedback.publishing import startup

    real = startup.load_catalogue
    # The last few folders' catalogues: tests that make folders of their own would otherwise keep
    # one each for the whole run; the session's shared folder is asked for most and stays.
    loaded: OrderedDict[str, Catalogue] = OrderedDict()

    def fingerprint(folder: Path) -> str:
        digest = hashlib.sha256(str(folder.resolve()).encode())
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def load_catalogue(folder):
        folder = Path(folder)
        if not folder.is_dir():
            return real(folder)
        key = fingerprint(folder)
        if key not in loaded:
            loaded[key] = real(folder)
            while len(loaded) > 8:
                loaded.popitem(last=False)
        loaded.move_to_end(key)
        kept = loaded[key]
        return Catalogue(dict(kept.instruments), list(kept.problems), dict(kept.translations),
                         {gap: dict(missing) for gap, missing in kept.language_gaps.items()})

    startup.load_catalogue = load_catalogue


_catalogue_loaded_once_per_content()


def make_app(database_url: str, questionnaires: Path, **extra):
    overrides = {
        "FEEDBACK_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "FEEDBACK_QUESTIONNAIRES": str(questionnaires),
        "FEEDBACK_ORGANISATION": "Northbridge Family Support",
        # Most tests sign in as an admin or a researcher with the password alone; the tests of
        # two-step sign-in (tests/staff/test_two_factor.py) turn it on for the roles they need.
        "FEEDBACK_TWO_FACTOR_ROLES": "",
    }
    overrides.update(extra)
    try:
        app = create_app(overrides)
    finally:
        # create_app may have opened connections before refusing to start: close them too.
        _dispose_engines()
    CREATED_APPS.append(app)
    return app


CREATED_APPS: list = []


def _dispose_engines() -> None:
    for engine in list(db._app_engines.values()) if hasattr(db, "_app_engines") else []:
        for bound in engine.values():
            bound.dispose()


def dispose_apps() -> None:
    """Close every pooled connection the test's apps opened (PostgreSQL warns otherwise)."""
    while CREATED_APPS:
        app = CREATED_APPS.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def schema(database_url, questionnaires_dir):
    from flask_migrate import downgrade, upgrade

    app = make_app(database_url, questionnaires_dir)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory)
    dispose_apps()
    yield  # no app context stays pushed while the tests run
    with app.app_context():
        downgrade(directory=directory, revision="base")
        db.engine.dispose()


@contextmanager
def app_under_test(database_url, questionnaires_dir, **overrides):
    """An app for one test (settings ``overrides``), and after it empty tables and fresh limits."""
    app = make_app(database_url, questionnaires_dir, **overrides)
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        limiter.reset()  # the limiter is one object across apps: each test starts uncounted
    dispose_apps()


@pytest.fixture
def app(schema, database_url, questionnaires_dir):
    with app_under_test(database_url, questionnaires_dir) as app:
        yield app


def empty_tables() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Audit events refuse DELETE in the database (a trigger); the tests' superuser may
            # empty them between tests, which a deployment's app role cannot.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        # Deleting responses notes changes (triggers on SQLite; PostgreSQL's are off as a replica):
        # whatever was noted while emptying goes too, so each test starts with no notes.
        from feedback.reports.response_changes import ChangedFamily, ResponseChanges
        for model in (ChangedFamily, ResponseChanges):
            connection.execute(model.__table__.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def page_text(html: str) -> str:
    """What a reader sees: the page's text without its tags, attributes, scripts or styles.

    Checks that a case reference is absent must read this, not the raw page: a CSRF token or a
    nonce is random text and now and then holds "S-1" (CI met one, "...Ea1S-15q-...")."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style") and self.hidden > 0

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    reader = Text()
    reader.feed(html)
    reader.close()
    return " ".join(reader.parts)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def make_link(app):
    """Create a response for an instrument and return (response id, token)."""
    from feedback.publishing.startup import current_catalogue
    from feedback.survey.service import create_response

    def make(instrument_id: str = "household", version: int | None = None, days: int = 28, label=None):
        with app.app_context():
            catalogue = current_catalogue()
            instrument = catalogue.get(instrument_id, version) if version else catalogue.latest(instrument_id)
            response, token = create_response(instrument, days, label)
            db.session.commit()
            return response.id, token

    return make


@pytest.fixture
def staff_user(app):
    from feedback.staff.models import StaffUser

    with app.app_context():
        user = StaffUser(email="interviewer@example.org", name="Ida Interviewer", role="admin")
        user.set_password("correct horse battery staple")
        db.session.add(user)
        db.session.commit()
        return {"id": user.id, "email": user.email, "password": "correct horse battery staple"}


@pytest.fixture
def signed_in(client, staff_user):
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "email": staff_user["email"], "password": staff_user["password"],
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def table_count(model, **filters) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**filters))


PASSWORD = "correct horse battery staple"


@functools.cache
def world_password_hash() -> str:
    """One cheap hash for every ``world`` account: signing in six roles per test with the real
    (deliberately slow) scrypt would dominate the suite. ``staff_user`` keeps the real one."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def world(app):
    """Two sites and one member of staff per role: admin; and per site a practitioner, a manager and
    a researcher (plus ``kw_north``, a second practitioner at north). Returns ids by name."""
    from feedback.staff.models import Site, StaffUser

    with app.app_context():
        north, south = Site(code="north", name="North Family Support"), Site(code="south", name="South Family Support")
        db.session.add_all([north, south])
        people = {"admin": ("admin", [])}
        for site_name, site in (("north", north), ("south", south)):
            for role in ("practitioner", "manager", "researcher"):
                people[f"{role}_{site_name}"] = (role, [site])
        people["kw_north"] = ("practitioner", [north])
        ids = {}
        for name, (role, sites) in people.items():
            user = StaffUser(email=f"{name}@example.org", name=name.replace("_", " ").title(), role=role, sites=sites)
            user.password_hash = world_password_hash()
            db.session.add(user)
            db.session.flush()
            ids[name] = user.id
        db.session.commit()
        ids["north"], ids["south"] = north.id, south.id
        return ids


def sign_in(client, email: str, password: str = PASSWORD):
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": email, "password": password,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def pytest_terminal_summary(terminalreporter):
    """The probe's tally of attacks tried and refused (tests/test_probe.py), when it ran."""
    for attack, (tried, refused, note) in getattr(terminalreporter.config, "probe_tally", {}).items():
        terminalreporter.write_line(f"probe: {attack}: {tried} tried, {refused} refused{f' ({note})' if note else ''}")
