from __future__ import annotations

import functools
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..crypto import Encrypted
from ..extensions import db
from ..timeutil import utcnow

IDENTIFYING = {"identifying": True}

#: admin: everything; researcher: instruments, schedules, waves and exports for granted sites;
#: manager: granted sites' summaries and status; practitioner: their sites' families.
ROLES = ("admin", "researcher", "manager", "practitioner")


class Site(db.Model):
    """A service or local authority: the unit every family, and every staff grant, belongs to."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


staff_sites = Table(
    "staff_sites", db.metadata,
    Column("staff_id", ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info=IDENTIFYING)
    name: Mapped[str] = mapped_column(String(200), info=IDENTIFYING)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    role: Mapped[str] = mapped_column(String(16), default="practitioner")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Part of what the session cookie holds (``get_id``): raised at sign-out, a password change and
    #: "sign out everywhere", so a copy of a cookie taken before stops working at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    #: Two-step sign-in (feedback/staff/two_factor.py). The TOTP secret is encrypted at rest: with the
    #: database alone it cannot make codes. Set when enrolment starts; the second step is asked for
    #: only once ``two_factor_enabled_at`` is set, when the person has typed a code it made.
    totp_secret: Mapped[str | None] = mapped_column(Encrypted)
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The last 30-second time step whose code was accepted: no code of it or before works again.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    sites: Mapped[list[Site]] = relationship(secondary=staff_sites, order_by=Site.code)

    @property
    def site_ids(self) -> set[int]:
        return {site.id for site in self.sites}

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None

    def get_id(self) -> str:
        # Flask-Login's "alternative token": the session names the account and its session version.
        return f"{self.id}.{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every session signed in before now stops working (sign-out, "sign out everywhere")."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt with a random salt. A new password ends every session.
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def password_signs_in(user: StaffUser | None, password: str) -> bool:
    """True only for an active account's right password. With no account, or an inactive one, the
    password is still checked, against a hash made like every account's, so that the answer takes
    as long as for a real account and its timing does not tell whether the email address has one."""
    if user is None or not user.active:
        check_password_hash(_hash_of_no_account(), password)
        return False
    return user.check_password(password)


@functools.cache
def _hash_of_no_account() -> str:
    # Made once per process, with the same method and cost as ``set_password``.
    return generate_password_hash(secrets.token_urlsafe(32))


class LoginAttempt(db.Model):
    """Every sign-in attempt, kept so that guessing can be seen and investigated."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True, info=IDENTIFYING)
    remote_address: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A one-time code that stands in for an authenticator code (a lost or broken phone). Shown once
    at enrolment and kept only as a password hash; ``used_at`` is set when it is spent."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
