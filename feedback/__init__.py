"""feedback: versioned instruments by web link, SMS and interview; scored, de-identified data."""
from __future__ import annotations

import logging
from inspect import CO_COROUTINE
from pathlib import Path
from types import FunctionType, MethodType
from typing import Callable, Mapping

from flask import Flask, render_template
from werkzeug.middleware.proxy_fix import ProxyFix

from . import crypto
from .config import Settings, settings_from_environment
from .cookie_session import CookieSessionInterface
from .delivery import init_delivery
from .error_pages import register_error_pages
from .extensions import babel, csrf, db, limiter, login_manager, migrate, without_jit
from .languages import init_languages, select_locale
from .security import init_security_headers

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger(__name__)


class FeedbackFlask(Flask):
    """Flask, with a quicker answer to "is this hook an ``async def``?".

    Flask asks ``inspect.iscoroutinefunction`` of every hook, context processor and view on every
    request (about 35 times for an answered survey page, 8-9 Python calls each: issue 24). For a
    plain function, or a method bound to one, the answer is read here from the same code flag and
    the same marker ``inspect`` reads; anything else (a partial, a callable object, a coroutine
    function) goes to Flask's own ``ensure_sync``, so async hooks are still wrapped.
    """

    def ensure_sync(self, func: Callable) -> Callable:
        plain = func.__func__ if type(func) is MethodType else func
        if (type(plain) is FunctionType and not plain.__code__.co_flags & CO_COROUTINE
                and "_is_coroutine_marker" not in plain.__dict__):  # inspect.markcoroutinefunction
            return func
        return super().ensure_sync(func)


def create_app(overrides: Mapping[str, str] | None = None) -> Flask:
    """Build the app from environment variables (``overrides`` win, as tests use)."""
    app = FeedbackFlask(__name__, instance_relative_config=True)
    app.session_interface = CookieSessionInterface()  # no signer built for a request without a cookie
    settings: Settings = settings_from_environment(Path(app.instance_path), overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.flask_config())
    app.config["FEEDBACK_SETTINGS"] = settings
    crypto.configure(settings.data_key)
    if settings.trusted_proxies:
        # Only the entries the configured proxies added are believed: a client's own X-Forwarded-For
        # stays in front of them and is ignored. X-Forwarded-Host is never taken (links use the
        # configured base URL).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            without_jit(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps loaded catalogues on its one module-level object, keyed by locale only: a
    # second app in the process (the tests make many, with other translation folders) would read
    # the first one's. Each app starts with none loaded.
    with app.app_context():
        babel.domain_instance.cache.clear()
    login_manager.init_app(app)
    limiter.init_app(app)
    if settings.production and settings.rate_limit_storage.startswith("memory://"):
        # A warning, not a refusal: one worker is a sound deployment and the app cannot see how many
        # run; and the per-account slowing is kept in the database, so it holds whatever this says.
        log.warning("FEEDBACK_RATE_LIMIT_STORAGE is memory://: each worker process counts sign-in attempts "
                    "per address on its own, so with several workers an address gets several times the "
                    "limit. Set it to the Redis every worker shares, e.g. redis://127.0.0.1:6379/0.")
    login_manager.login_view = "staff.login"
    login_manager.login_message = None
    # "basic", not "strong": strong mode rewrites the cookie of every anonymous respondent on every
    # page (it sees a session with no user id as stolen). Staff sessions are renewed at sign-in.
    login_manager.session_protection = "basic"
    init_security_headers(app, settings.production)
    init_languages(app)
    from .staff.words import init_words
    init_words(app)  # |state_label, |channel_label, … : words, not codes, on staff pages
    init_delivery(app)

    from . import models  # noqa: F401  (every table registered before migrations or create_all)
    from .cli import register_cli
    from .audit.views import bp as audit_bp
    from .families.views import bp as families_bp
    from .families.import_views import bp as family_imports_bp
    from .staff.views import bp as staff_bp
    from .survey.interviewer import bp as interviews_bp
    from .survey.views import bp as survey_bp
    from .exports.views import bp as exports_bp
    from .reports.views import bp as reports_bp
    from .imports.views import bp as imports_bp
    from .sms.views import bp as sms_bp
    from .waves.views import bp as waves_bp
    from .mail.views import bp as mail_bp
    from .partners.views import bp as partners_bp
    from .translation.views import bp as translation_bp

    app.register_blueprint(survey_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(interviews_bp)
    app.register_blueprint(families_bp)
    app.register_blueprint(family_imports_bp)
    app.register_blueprint(waves_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(translation_bp)
    register_error_pages(app)
    from .api import init_api
    init_api(app)  # after the error pages: API errors become RFC 9457 problems
    register_cli(app)  # last: every command, the API's and flask-smorest's too, gets a whole short help

    @app.get("/")
    def index():
        return render_template("index.html")

    from .publishing.startup import load_and_verify_catalogue
    catalogue = load_and_verify_catalogue(app)
    from .waves.startup import load_schedules_into
    load_schedules_into(app, catalogue)
    from .waves.startup import check_text_templates
    check_text_templates(app)
    return app
