"""Extension objects, created here and bound to the app in ``create_app``."""
from functools import partial

import flask
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter as _Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as _LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Predictable constraint names, so migrations can alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()


class LoginManager(_LoginManager):
    """Flask-Login, minus the session-protection fingerprint on requests without a session.

    Flask-Login hashes the client's address and browser (SHA-512) on every request and only then
    sees that an empty session has nothing to protect. Twilio's webhooks, API calls and a first
    visit carry no session cookie, so the hash is skipped for them (about 0.02 ms, issue 24); a
    session with anything in it is checked exactly as before.
    """

    def _session_protection_failed(self) -> bool:
        if not flask.session:
            return False
        return super()._session_protection_failed()

    def _update_remember_cookie(self, response):
        """Flask-Login's after-request hook, minus its look at a session it would leave alone.

        The hook does something only when the session holds ``_remember`` (set by ``login_user``
        with ``remember`` or by ``logout_user``) or ``REMEMBER_COOKIE_REFRESH_EACH_REQUEST`` is
        on; otherwise its only effect was to mark the session read, which makes Flask write
        ``Vary: Cookie`` on the response and so run the session's save (issue 24: a survey link's
        pages, Twilio's webhooks and the API read no session). The session is looked at here
        without marking it read; whenever the hook has anything to do, Flask-Login's own runs.
        """
        raw = request_ctx._get_current_object()._session
        if (raw is not None and "_remember" not in raw
                and not flask.current_app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST")):
            return response
        return super()._update_remember_cookie(response)


login_manager = LoginManager()


class Limiter(_Limiter):
    """Flask-Limiter, minus its before-request work on requests it could not limit.

    Flask-Limiter evaluates every request before the view (about 0.1 ms of CPU each): it resolves
    the application, default and meta limits and the blueprint's limits. This app declares none
    of the first three, and only the API blueprint has limits of its own; a view's own
    ``@limiter.limit`` is checked by its decorator when the view runs, not by this hook (for a
    decorated view the hook leaves such limits out). So on a request outside a limited blueprint
    the hook would find nothing to check, and is skipped. Any application, default, meta or
    fallback limit, a storage found dead (the hook then checks for its recovery) or a limit on the
    request's blueprint or one of its parents makes it run as before.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and callable_name is None and self._nothing_to_check():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _nothing_to_check(self) -> bool:
        manager = self.limit_manager
        if (self._storage_dead or self._meta_limits or self._in_memory_fallback
                or manager.application_limits or manager.default_limits):
            return False
        blueprint = flask.request.blueprint
        # Looked up on each request (a dict lookup per blueprint level): a limit added to a
        # blueprint later still applies.
        return not blueprint or not any(part in manager._blueprint_limits for part in blueprint.split("."))

    #: Blueprints whose responses carry no rate-limit headers (X-RateLimit-*, Retry-After); their
    #: limits still count and refuse exactly as before. Twilio's webhooks: Twilio reads none of
    #: these headers, and writing them costs the storage two reads a text (the window's count and
    #: its expiry; with Redis two commands besides the one that counts the text, issue 24).
    headers_left_out = frozenset({"sms"})

    def init_app(self, app: flask.Flask) -> None:
        super().init_app(app)
        # Flask-Limiter registers its header hook as ``partial(Limiter.__inject_headers, self)``,
        # which a subclass cannot override by name: swap that one entry for ``_inject_headers``.
        hooks = app.after_request_funcs.get(None, [])
        for position, hook in enumerate(hooks):
            if (isinstance(hook, partial) and hook.func is _Limiter._Limiter__inject_headers
                    and hook.args == (self,)):
                hooks[position] = self._inject_headers

    def _limiter_context_made(self) -> bool:
        """Whether anything this request made the limiter's per-request context (a limit checked,
        by the before-request hook or a view's decorator). Looked at without making it."""
        contexts = getattr(request_ctx._get_current_object(), "_limiter_request_context", None)
        return contexts is not None and self in contexts

    def _inject_headers(self, response: flask.Response) -> flask.Response:
        # With no context made, Flask-Limiter's hook would make an empty one, find no conditional
        # deduction and no current limit, and write nothing: the same, without the work (a survey
        # page, which no limit covers, issue 24). Any limit checked runs the hook as before.
        if not self._limiter_context_made():
            return response
        return self._Limiter__inject_headers(response)

    def _Limiter__release_context(self, exc: BaseException | None = None) -> None:
        # Flask-Limiter's teardown resets the request's context; with none made it would make one
        # only to reset it.
        if self._limiter_context_made():
            super()._Limiter__release_context(exc)

    @property
    def current_limit(self):
        # Flask-Limiter writes its headers from this property (after each request); None writes none.
        if flask.has_request_context() and flask.request.blueprint in self.headers_left_out:
            return None
        return super().current_limit


# No default limits: each view that needs one (sign-in) states its own.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def conflict_insert(dialect_name: str):
    """The ``insert`` that takes ON CONFLICT clauses on this database (PostgreSQL or SQLite)."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def without_jit(engine: Engine) -> None:
    """Turn PostgreSQL's JIT compilation off on each new connection of ``engine``.

    JIT compiles a query's expressions once the planner thinks it costly, which takes a few
    hundred milliseconds: more than it saves on queries that run in a second or two, as the
    reports' do (measured: invitation counts for 20,000 families 0.86 s with it, 0.40 s without).
    Set per connection, not in the URL, so options a deployment puts there are kept.
    """
    @event.listens_for(engine, "connect")
    def _no_jit(dbapi_connection, _record):
        # Outside a transaction (autocommit), so the setting lasts for the connection's life.
        autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT current_setting('server_version_num')::int")
            if cursor.fetchone()[0] >= 110000:  # PostgreSQL 11 brought JIT
                cursor.execute("SET jit = off")
        finally:
            cursor.close()
            dbapi_connection.autocommit = autocommit
