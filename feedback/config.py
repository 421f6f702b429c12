"""Typed configuration read from environment variables and checked once, at start-up.

A bad setting stops the app with a message saying which variable and what to do, rather than
surfacing later as a confusing error in front of a family.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from .rate_limit_storage import storage_uri

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test", "password"}
MIN_SECRET_LENGTH = 32
ERASURE_POLICIES = ("deidentify", "delete")
#: Where Flask-Limiter may count: in each process's memory, or in Redis (the client ships with the app).
RATE_LIMIT_STORAGES = ("memory://", "redis://", "rediss://", "redis+unix://", "redis+sentinel://")
CHANNEL_BACKENDS = ("outbox", "twilio")
#: What may follow FEEDBACK_ORGANISATION_ or FEEDBACK_CONTACT_: a language code, e.g. CY or PT_BR.
#: The language the app's own wording is written in: it needs no catalogue.
SOURCE_LANGUAGE = "en"
LANGUAGE_SUFFIX = re.compile(r"[A-Z]{2,3}(?:_[A-Z0-9]{2,4})?")


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message names the variable and the fix."""


def compiled_languages(translations: Path) -> tuple[str, ...]:
    """The codes with a compiled catalogue (``<code>/LC_MESSAGES/messages.mo``) under ``translations``."""
    if not translations.is_dir():
        return ()
    return tuple(sorted(folder.name for folder in translations.iterdir()
                        if (folder / "LC_MESSAGES" / "messages.mo").is_file() and folder.name != SOURCE_LANGUAGE))


def staff_languages(translations: Path) -> tuple[str, ...]:
    """English, then the codes whose staff pages are translated (``<code>/LC_MESSAGES/staff.mo``)."""
    if not translations.is_dir():
        return (SOURCE_LANGUAGE,)
    return (SOURCE_LANGUAGE,) + tuple(sorted(folder.name for folder in translations.iterdir()
                                             if (folder / "LC_MESSAGES" / "staff.mo").is_file()
                                             and folder.name != SOURCE_LANGUAGE))


def _ui_languages(environ: Mapping[str, str], translations: Path) -> tuple[str, ...]:
    """English plus every compiled catalogue, or those FEEDBACK_LANGUAGES names (in its order).

    A named code with no compiled catalogue is refused: its pages would silently be in English.
    """
    found = compiled_languages(translations)
    raw = environ.get("FEEDBACK_LANGUAGES", "").strip()
    if not raw:
        return (SOURCE_LANGUAGE,) + found
    chosen = list(dict.fromkeys(code.strip() for code in raw.split(",") if code.strip()))
    missing = [code for code in chosen if code != SOURCE_LANGUAGE and code not in found]
    if missing:
        raise ConfigurationError(
            f"FEEDBACK_LANGUAGES names {', '.join(missing)}, which has no compiled catalogue in {translations} "
            f"(looked for <code>/LC_MESSAGES/messages.mo). Languages available: "
            f"{', '.join((SOURCE_LANGUAGE,) + found)}. Compile the catalogue (pybabel compile) or remove the code.")
    # English is always offered: it is the wording every catalogue falls back to.
    return (SOURCE_LANGUAGE,) + tuple(code for code in chosen if code != SOURCE_LANGUAGE)


@dataclass(frozen=True)
class SmsSettings:
    """How texts are worded and rationed, whatever the backend."""

    #: Put before every text, e.g. "Valley Early Help: ". Empty by default: a neutral text tells
    #: nobody who glances at a parent's phone which service the family is involved with.
    sender_wording: str = ""
    #: How the HELP reply tells people to reach the service, e.g. "call 01234 567890".
    help_contact: str = ""
    #: A text whose template needs more segments than this is refused (each segment is billed).
    segment_budget: int = 3
    #: At most this many texts the app starts (invitations, reminders) to one number in one day.
    #: Replies within a conversation the member is having are not counted: they answer the member.
    daily_cap: int = 4
    #: At most this many texts the app starts to one member for one wave.
    wave_cap: int = 8
    #: True when the Twilio Messaging Service answers STOP/START/HELP itself (its default): the app
    #: still acts on them but does not send a second reply.
    provider_answers_keywords: bool = True
    #: Extra keywords, "WORD=kind" comma-separated (kind: opt_out, opt_in or help).
    extra_keywords: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "SmsSettings":
        numbers = {}
        for name, variable, default in (("segment_budget", "FEEDBACK_SMS_SEGMENT_BUDGET", 3),
                                        ("daily_cap", "FEEDBACK_SMS_DAILY_CAP", 4),
                                        ("wave_cap", "FEEDBACK_SMS_WAVE_CAP", 8)):
            raw = environ.get(variable, str(default)).strip()
            if not raw.isdigit() or int(raw) < 1:
                raise ConfigurationError(f"{variable} must be a whole number, at least 1.")
            numbers[name] = int(raw)
        answers = environ.get("FEEDBACK_SMS_PROVIDER_ANSWERS_KEYWORDS", "true").strip().lower()
        if answers not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigurationError("FEEDBACK_SMS_PROVIDER_ANSWERS_KEYWORDS must be true or false.")
        extra = []
        for pair in filter(None, (part.strip() for part in environ.get("FEEDBACK_SMS_KEYWORDS", "").split(","))):
            word, _, kind = pair.partition("=")
            if kind.strip() not in ("opt_out", "opt_in", "help") or not word.strip():
                raise ConfigurationError(f"FEEDBACK_SMS_KEYWORDS: {pair!r} is not WORD=opt_out, WORD=opt_in or WORD=help.")
            extra.append((word.strip().upper(), kind.strip()))
        return cls(sender_wording=environ.get("FEEDBACK_SMS_SENDER_WORDING", ""),
                   help_contact=environ.get("FEEDBACK_SMS_HELP_CONTACT", "").strip(),
                   provider_answers_keywords=answers in ("true", "1", "yes"), extra_keywords=tuple(extra), **numbers)


MAIL_BACKENDS = ("outbox", "smtp")
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class MailSettings:
    """How email leaves the app (``feedback.mail``): kept in the database (the outbox, by default),
    or handed to an SMTP server."""

    #: "outbox" (nothing leaves the app; admins read the messages) or "smtp".
    backend: str = "outbox"
    #: The From address, e.g. "Valley Family Support <surveys@valley.example.org>".
    sender: str = "Family Support Service <surveys@localhost>"
    #: Replies go here when set (a monitored mailbox); otherwise to the From address.
    reply_to: str = ""
    host: str = ""
    port: int = 587
    #: Upgrade the connection with STARTTLS before sending credentials (port 587). Off only for a
    #: relay on the same machine or network that offers no TLS.
    starttls: bool = True
    #: Implicit TLS from the first byte (port 465) instead of STARTTLS.
    ssl: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    #: Seconds to wait for the server before the send counts as failed (or, mid-message, unknown).
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str], production: bool) -> "MailSettings":
        backend = environ.get("FEEDBACK_MAIL_BACKEND", "outbox").strip().lower()
        if backend not in MAIL_BACKENDS:
            raise ConfigurationError(f"FEEDBACK_MAIL_BACKEND={backend!r}: use one of {', '.join(MAIL_BACKENDS)}.")
        flags = {}
        for name, variable, default in (("starttls", "FEEDBACK_SMTP_STARTTLS", "true"),
                                        ("ssl", "FEEDBACK_SMTP_SSL", "false")):
            raw = environ.get(variable, default).strip().lower()
            if raw not in TRUE_WORDS + FALSE_WORDS:
                raise ConfigurationError(f"{variable} must be true or false, not {raw!r}.")
            flags[name] = raw in TRUE_WORDS
        if flags["ssl"] and flags["starttls"]:
            raise ConfigurationError("FEEDBACK_SMTP_SSL and FEEDBACK_SMTP_STARTTLS are both on: use SSL for port 465 "
                                     "(set FEEDBACK_SMTP_STARTTLS=false) or STARTTLS for port 587, not both.")
        port = environ.get("FEEDBACK_SMTP_PORT", "465" if flags["ssl"] else "587").strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(f"FEEDBACK_SMTP_PORT={port!r} is not a port number.")
        timeout = environ.get("FEEDBACK_SMTP_TIMEOUT", "30").strip()
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = 0
        if seconds <= 0:
            raise ConfigurationError(f"FEEDBACK_SMTP_TIMEOUT={timeout!r}: give the seconds to wait, e.g. 30.")
        sender = environ.get("FEEDBACK_MAIL_FROM", "").strip()
        host = environ.get("FEEDBACK_SMTP_HOST", "").strip()
        if backend == "smtp":
            if not host:
                raise ConfigurationError("FEEDBACK_MAIL_BACKEND=smtp needs FEEDBACK_SMTP_HOST (the mail server's name).")
            if not sender:
                raise ConfigurationError("FEEDBACK_MAIL_BACKEND=smtp needs FEEDBACK_MAIL_FROM, the address emails come "
                                         "from, e.g. 'Valley Family Support <surveys@valley.example.org>'.")
            if production and not (flags["starttls"] or flags["ssl"]) and environ.get("FEEDBACK_SMTP_PLAIN_OK") != "1":
                raise ConfigurationError("FEEDBACK_SMTP_STARTTLS is off in production: survey links would cross the "
                                         "network in clear. Turn it on, use FEEDBACK_SMTP_SSL, or (for a relay on "
                                         "this machine) set FEEDBACK_SMTP_PLAIN_OK=1.")
        username = environ.get("FEEDBACK_SMTP_USERNAME", "").strip()
        password = environ.get("FEEDBACK_SMTP_PASSWORD", "")
        if bool(username) != bool(password):
            raise ConfigurationError("Set both FEEDBACK_SMTP_USERNAME and FEEDBACK_SMTP_PASSWORD, or neither.")
        return cls(backend=backend, sender=sender or cls.sender, reply_to=environ.get("FEEDBACK_MAIL_REPLY_TO", "").strip(),
                   host=host, port=int(port), username=username, password=password, timeout=seconds, **flags)


@dataclass(frozen=True)
class Wording:
    """A setting families read, worded per language: ``FEEDBACK_X`` for every language and
    ``FEEDBACK_X_CY`` (any language code in capitals) for Welsh, and so on for others."""

    default: str
    by_language: tuple[tuple[str, str], ...] = ()

    def in_language(self, language: str) -> str:
        """The wording for ``language``, or the default when that language has none of its own."""
        return dict(self.by_language).get(language, self.default)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], variable: str, default: str = "") -> "Wording":
        """Refuses a suffix that is not a language code (``FEEDBACK_ORGANISATION_WELSH``), which
        would otherwise leave families reading the default without anyone noticing."""
        by_language = []
        for name, value in sorted(environ.items()):
            if not name.startswith(variable + "_") or not value.strip():
                continue
            suffix = name[len(variable) + 1:]
            if not LANGUAGE_SUFFIX.fullmatch(suffix):
                raise ConfigurationError(f"{name}: the part after {variable}_ must be a language code in capitals, "
                                         f"e.g. {variable}_CY for Welsh.")
            language, _, region = suffix.partition("_")
            by_language.append((f"{language.lower()}_{region}" if region else language.lower(), value.strip()))
        return cls(environ.get(variable, "").strip() or default, tuple(by_language))


@dataclass(frozen=True)
class Settings:
    environment: str
    secret_key: str
    database_url: str
    questionnaires_dir: Path
    #: Who is asking, in each language (FEEDBACK_ORGANISATION, FEEDBACK_ORGANISATION_CY, …).
    organisation: Wording
    link_valid_days: int
    public_base_url: str | None
    #: Where the per-address sign-in and webhook limits are counted: "memory://" counts in each
    #: worker process (so with N workers an address gets N times the limit); "redis://…" is shared.
    rate_limit_storage: str = "memory://"
    #: How many proxies in front of the app append to X-Forwarded-For (and set X-Forwarded-Proto).
    #: 0: the header is ignored, since any client can send it, and the connecting address is used.
    trusted_proxies: int = 0
    staff_idle_minutes: int = 30
    staff_session_hours: int = 10
    #: Fernet key (urlsafe base64, 32 bytes) that encrypts phone numbers and message texts at rest.
    data_key: str = ""
    #: What erasing a family does to its responses: "deidentify" keeps answers with no link to the
    #: family's identity; "delete" removes them too.
    erasure_responses: str = "deidentify"
    #: Message-sending backend for the dispatcher ("outbox" keeps messages in the database).
    channel_backend: str = "outbox"
    #: The ``TWILIO_*`` settings (a ``feedback.sms.twilio_backend.TwilioSettings``): set when the
    #: backend is "twilio", and then also what inbound webhooks are verified with.
    twilio: object | None = None
    sms: SmsSettings = field(default_factory=SmsSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    #: Counts below this (and percentages and means based on fewer) are hidden in manager reports.
    report_threshold: int = 10
    #: The disclosure audit's protection rule: whatever a report shows, every hidden count must still
    #: be one of values at least this far apart (the largest it could be minus the smallest).
    report_protection_width: int = 3
    #: Staff roles that must sign in with a second step (an authenticator code) after the password.
    two_factor_roles: tuple[str, ...] = ("admin", "researcher")
    #: Days a web export's bundle is kept for downloading again; then its files are deleted (audited).
    export_retention_days: int = 30

    #: How families can reach the service, in each language (FEEDBACK_CONTACT, FEEDBACK_CONTACT_CY,
    #: …), e.g. "call 01234 567890, Monday to Friday": shown at the foot of family pages when set.
    contact: Wording = Wording("")
    #: The folder of compiled catalogues (``<code>/LC_MESSAGES/messages.mo``), FEEDBACK_TRANSLATIONS.
    translations_dir: Path = PROJECT_ROOT / "translations"
    #: The languages families may read pages in: English (the source) first, then each language
    #: with a compiled catalogue, or those of them FEEDBACK_LANGUAGES names.
    languages: tuple[str, ...] = (SOURCE_LANGUAGE,)
    #: The languages staff pages are written in: English, and each with a compiled staff catalogue
    #: that is also one of ``languages``.
    staff_languages: tuple[str, ...] = (SOURCE_LANGUAGE,)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def organisation_name(self) -> str:
        """The organisation's default name (staff pages, authenticator apps)."""
        return self.organisation.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str], instance_path: Path) -> "Settings":
        environment = environ.get("FEEDBACK_ENV", "development").strip().lower()
        if environment not in ENVIRONMENTS:
            raise ConfigurationError(f"FEEDBACK_ENV={environment!r}: use one of {', '.join(ENVIRONMENTS)}.")
        production = environment == "production"

        secret_key = environ.get("SECRET_KEY", "").strip()
        if production:
            if not secret_key:
                raise ConfigurationError("SECRET_KEY is not set. Production needs a long random secret, e.g. "
                                         "python -c 'import secrets; print(secrets.token_urlsafe(48))'.")
            if len(secret_key) < MIN_SECRET_LENGTH or secret_key.lower() in WEAK_SECRETS:
                raise ConfigurationError(f"SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters.")
        elif not secret_key:
            secret_key = _local_secret(instance_path)

        database_url = environ.get("DATABASE_URL", "").strip()
        if not database_url:
            if production:
                raise ConfigurationError("DATABASE_URL is not set. Production runs on PostgreSQL, e.g. "
                                         "postgresql://user@host/feedback.")
            database_url = f"sqlite:///{instance_path / 'feedback.sqlite3'}"
        database_url = normalise_database_url(database_url)

        questionnaires = Path(environ.get("FEEDBACK_QUESTIONNAIRES", PROJECT_ROOT / "questionnaires"))
        try:
            link_days = int(environ.get("FEEDBACK_LINK_VALID_DAYS", "28"))
        except ValueError:
            raise ConfigurationError("FEEDBACK_LINK_VALID_DAYS must be a whole number of days.") from None
        if link_days < 1:
            raise ConfigurationError("FEEDBACK_LINK_VALID_DAYS must be at least 1.")
        base_url = environ.get("FEEDBACK_PUBLIC_BASE_URL", "").strip().rstrip("/") or None
        if production and base_url and not base_url.startswith("https://"):
            raise ConfigurationError("FEEDBACK_PUBLIC_BASE_URL must start with https:// in production.")
        limits = {}
        for name, variable, default in (("staff_idle_minutes", "FEEDBACK_STAFF_IDLE_MINUTES", 30),
                                        ("staff_session_hours", "FEEDBACK_STAFF_SESSION_HOURS", 10),
                                        ("report_threshold", "FEEDBACK_REPORT_THRESHOLD", 10),
                                        ("export_retention_days", "FEEDBACK_EXPORT_RETENTION_DAYS", 30)):
            try:
                limits[name] = int(environ.get(variable, default))
            except ValueError:
                raise ConfigurationError(f"{variable} must be a whole number.") from None
            if limits[name] < 1:
                raise ConfigurationError(f"{variable} must be at least 1.")
        limits["report_protection_width"] = _protection_width(environ, limits["report_threshold"])
        data_key = environ.get("FEEDBACK_DATA_KEY", "").strip()
        if not data_key:
            if production:
                raise ConfigurationError("FEEDBACK_DATA_KEY is not set. Production encrypts phone numbers with it: "
                                         "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'.")
            data_key = derived_data_key(secret_key)
        elif not valid_data_key(data_key):
            raise ConfigurationError("FEEDBACK_DATA_KEY is not a Fernet key (32 bytes, urlsafe base64). Generate one with "
                                     "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'.")
        erasure = environ.get("FEEDBACK_ERASURE_RESPONSES", "deidentify").strip().lower()
        if erasure not in ERASURE_POLICIES:
            raise ConfigurationError(f"FEEDBACK_ERASURE_RESPONSES={erasure!r}: use one of {', '.join(ERASURE_POLICIES)}.")
        backend = environ.get("FEEDBACK_CHANNEL_BACKEND", "outbox").strip().lower()
        if backend not in CHANNEL_BACKENDS:
            raise ConfigurationError(f"FEEDBACK_CHANNEL_BACKEND={backend!r}: use one of {', '.join(CHANNEL_BACKENDS)}.")
        twilio = None
        if backend == "twilio":
            from .sms.twilio_backend import TwilioSettings  # the library loads only when used

            twilio = TwilioSettings.from_env(environ, environment == "production")
            if not base_url:
                raise ConfigurationError("FEEDBACK_PUBLIC_BASE_URL is not set: texts carry links to it and Twilio "
                                         "reports deliveries and replies to it.")
        storage = environ.get("FEEDBACK_RATE_LIMIT_STORAGE", "memory://").strip()
        if not storage.startswith(RATE_LIMIT_STORAGES):
            raise ConfigurationError(f"FEEDBACK_RATE_LIMIT_STORAGE={storage!r}: use memory:// (one process) or a Redis "
                                     "address such as redis://127.0.0.1:6379/0, which every worker shares.")
        raw_proxies = environ.get("FEEDBACK_TRUSTED_PROXIES", "0").strip()
        if not raw_proxies.isdigit():
            raise ConfigurationError(f"FEEDBACK_TRUSTED_PROXIES={raw_proxies!r}: use the number of proxies in front of "
                                     "the app that add to X-Forwarded-For (0 when clients connect to it directly).")
        translations = Path(environ.get("FEEDBACK_TRANSLATIONS", "").strip() or PROJECT_ROOT / "translations")
        return cls(
            **limits,
            translations_dir=translations,
            languages=_ui_languages(environ, translations),
            staff_languages=tuple(code for code in staff_languages(translations)
                                  if code in _ui_languages(environ, translations)),
            two_factor_roles=_two_factor_roles(environ),
            twilio=twilio,
            sms=SmsSettings.from_env(environ),
            mail=MailSettings.from_env(environ, production),
            data_key=data_key,
            erasure_responses=erasure,
            channel_backend=backend,
            rate_limit_storage=storage,
            trusted_proxies=int(raw_proxies),
            environment=environment,
            secret_key=secret_key,
            database_url=database_url,
            questionnaires_dir=questionnaires,
            organisation=Wording.from_env(environ, "FEEDBACK_ORGANISATION", "Family Support Service"),
            contact=Wording.from_env(environ, "FEEDBACK_CONTACT"),
            link_valid_days=link_days,
            public_base_url=base_url,
        )

    def flask_config(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # Recycling old connections instead of pinging before each use saves a round trip per request.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800} if not self.database_url.startswith("sqlite") else {},
            "TESTING": self.environment == "testing",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": self.production,
            "PREFERRED_URL_SCHEME": "https" if self.production else "http",
            "WTF_CSRF_TIME_LIMIT": None,  # a parent may leave a page open for hours; the session still binds it
            "BABEL_DEFAULT_LOCALE": "en",
            # Two catalogues per language in one folder: ``staff`` (staff pages: English and the
            # languages with a staff.mo) and ``messages`` (what families read: every language).
            # Flask-Babel 4 keeps the plural rule of the catalogue it loads last, and a language
            # without staff pages has no staff.mo: ``messages`` goes last so families' plurals hold.
            "BABEL_TRANSLATION_DIRECTORIES": f"{self.translations_dir};{self.translations_dir}",
            "BABEL_DOMAIN": "staff;messages",
            "MAX_CONTENT_LENGTH": 1024 * 1024,
            # In memory by default (one process); set FEEDBACK_RATE_LIMIT_STORAGE=redis://… so that
            # every gunicorn worker counts the same sign-in attempts.
            # memory:// is counted by ``rate_limit_storage`` (no sweep thread per request).
            "RATELIMIT_STORAGE_URI": storage_uri(self.rate_limit_storage),
            # If Redis goes down, count in each worker's memory until it is back rather than answer
            # every sign-in and every Twilio webhook with an error (texts would be lost).
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_HEADERS_ENABLED": True,
        }


def _protection_width(environ: Mapping[str, str], threshold: int) -> int:
    """FEEDBACK_REPORT_PROTECTION_WIDTH; refused when it is not a whole number of at least 1, or when
    FEEDBACK_REPORT_THRESHOLD is too low for the width ever to be met."""
    variable = "FEEDBACK_REPORT_PROTECTION_WIDTH"
    raw = environ.get(variable, "3")
    try:
        width = int(raw)
    except ValueError:
        width = 0
    if width < 1:
        raise ConfigurationError(f"{variable}={raw!r}: use a whole number, at least 1 (the default is 3): how far "
                                 "apart the smallest and largest value a hidden count could have must be.")
    # A count below the threshold shows as "<t" and zeros are shown, so a reader knows it is 1 to t-1:
    # an interval only t-2 wide. Below width + 2 the threshold could never be honoured.
    if threshold < width + 2:
        if threshold == 1:
            problem = f"it hides no count at all, yet the protection width is {width} ({variable})"
        else:
            could_be = {2: "1", 3: "1 or 2"}.get(threshold, f"1 to {threshold - 1}")
            problem = (f"a count shown as '<{threshold}' can only be {could_be}, narrower than the protection "
                       f"width of {width} ({variable})")
        raise ConfigurationError(f"FEEDBACK_REPORT_THRESHOLD={threshold} cannot be honoured: {problem}. "
                                 f"Use a threshold of at least {width + 2}.")
    return width


def _two_factor_roles(environ: Mapping[str, str]) -> tuple[str, ...]:
    """FEEDBACK_TWO_FACTOR_ROLES: comma-separated staff roles; empty for none. A name that is not a
    role is refused, since a misspelt "admin" would silently leave admins with a password alone."""
    from .staff.models import ROLES  # the roles are the staff package's; it loads no settings

    raw = environ.get("FEEDBACK_TWO_FACTOR_ROLES", "admin,researcher")
    roles = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ConfigurationError(f"FEEDBACK_TWO_FACTOR_ROLES names {', '.join(map(repr, unknown))}, which is not a "
                                 f"staff role: use a comma-separated list of {', '.join(ROLES)} (or leave it empty "
                                 "for none).")
    return roles


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the host gave (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def derived_data_key(secret_key: str) -> str:
    """Outside production, a data key derived from the secret key, so nothing more needs setting up."""
    digest = hashlib.sha256(b"feedback data key\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def valid_data_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, binascii.Error):
        return False


def _local_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive restarts."""
    return local_secret(instance_path, "secret_key", lambda: secrets.token_urlsafe(48))[0]


def local_secret(instance_path: Path, name: str, make: Callable[[], str]) -> tuple[str, bool]:
    """A random secret kept in the instance folder under ``name`` (only its owner may read it),
    made by ``make`` on first use; and whether it was made just now. Two processes starting at
    once agree on one: the file is created exclusively, and the loser reads the winner's."""
    path = instance_path / name
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value, False
            time.sleep(0.01)   # the other process is still writing it
        raise ConfigurationError(f"{path} is empty: delete it, or put a key in it") from None
    value = make()
    with os.fdopen(descriptor, "w") as file:
        file.write(value)
    return value, True


def settings_from_environment(instance_path: Path, overrides: Mapping[str, str] | None = None) -> Settings:
    environ = dict(os.environ)
    environ.update(overrides or {})
    return Settings.from_env(environ, instance_path)
