"""API clients: a named system with scopes, sites and a bearer token shown once and kept hashed.

The token is 32 random bytes (``secrets.token_urlsafe(32)``, 256 bits) behind a ``fbk_`` prefix.
Only its SHA-256 is stored. A slow, salted hash (as for staff passwords) protects secrets people
choose, which can be guessed; nothing can be guessed about 256 random bits, so a plain digest is as
safe here, lets a request find its client by an indexed lookup, and unlike a digest keyed with
SECRET_KEY keeps working when that key is rotated. A stolen database yields no usable token.

Refused at authentication (401, never saying which): an unknown token, a revoked client's, an
expired one. Every client belongs to the sites it was given; it sees nothing of any other.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit.models import AuditEvent
from ..audit.service import record
from ..extensions import db
from ..staff.models import Site, StaffUser
from ..timeutil import utcnow
from ..waves.models import Invitation

#: What a client may do. families:write also lets it read members' phone and email (see families.py).
SCOPES = ("families:write", "families:read", "invitations:read", "reports:read", "exports:run")
TOKEN_PREFIX = "fbk_"
DEFAULT_TOKEN_DAYS = 365
DEFAULT_RATE_LIMIT = "600 per minute"
#: Audit actions of the API (also in ``audit.models.ACTIONS``, with labels in ``staff/words.py``).
API_ACTIONS = ("api.called", "api_client.created", "api_client.revoked")

# The invitations feed reads "changed since" in (updated_at, id) order: without this index each
# page would sort the whole table. Declared here, beside its only reader, on the waves' table.
Index("ix_invitations_updated_at_id", Invitation.updated_at, Invitation.id)

api_client_sites = Table(
    "api_client_sites", db.metadata,
    Column("client_id", ForeignKey("api_clients.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class ApiClient(db.Model):
    """Another system allowed to call /api/v1 with its bearer token."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Space-separated, from ``SCOPES``.
    scopes: Mapped[str] = mapped_column(String(200))
    #: SHA-256 (hex) of the whole token; the token itself is never stored.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, so staff can tell which token a system holds.
    token_hint: Mapped[str] = mapped_column(String(16))
    #: Flask-Limiter's notation, e.g. "600 per minute", counted for this client alone.
    rate_limit: Mapped[str] = mapped_column(String(64), default=DEFAULT_RATE_LIMIT)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    sites: Mapped[list[Site]] = relationship(secondary=api_client_sites, order_by=Site.code)
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def site_ids(self) -> set[int]:
        return {site.id for site in self.sites}

    def usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or utcnow())

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.usable(now) else "expired"


class IdempotentResponse(db.Model):
    """The first response to a request sent with an ``Idempotency-Key``, replayed for a repeat."""

    __tablename__ = "api_idempotent_responses"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of method, path and body: the same key with another request is refused.
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ApiClientError(ValueError):
    """Bad input for a client: the message says what to change; nothing was saved."""


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    #: The bearer token, shown to the admin this once.
    token: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_days() -> int:
    """FEEDBACK_API_TOKEN_DAYS (app config first, then the environment): how long a new token lasts."""
    raw = current_app.config.get("FEEDBACK_API_TOKEN_DAYS") or os.environ.get("FEEDBACK_API_TOKEN_DAYS")
    return check_token_days(raw)


def check_token_days(raw) -> int:
    if raw in (None, ""):
        return DEFAULT_TOKEN_DAYS
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 3650:
        from ..config import ConfigurationError
        raise ConfigurationError(f"FEEDBACK_API_TOKEN_DAYS={raw!r}: give a whole number of days from 1 to 3650.")
    return days


def create_client(name: str, scopes, site_ids, actor_id: int | None, days: int | None = None,
                  rate_limit: str | None = None) -> NewClient:
    """Record a client and make its token. Refused: no name, an unknown scope, no scope, no site,
    a site that does not exist."""
    name = (name or "").strip()
    scopes = list(dict.fromkeys(scopes))
    if not name:
        raise ApiClientError("Enter a name for the client (the system that will call the API).")
    if len(name) > 120:
        raise ApiClientError("Use at most 120 characters for the name.")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ApiClientError(f"Choose scopes among {', '.join(SCOPES)}.")
    sites = db.session.scalars(sa.select(Site).where(Site.id.in_(list(site_ids)))).all()
    if not sites or len(sites) != len(set(site_ids)):
        raise ApiClientError("Choose at least one site the client works for.")
    if rate_limit:
        from limits import parse_many
        try:
            parse_many(rate_limit)
        except ValueError:
            raise ApiClientError(f"‘{rate_limit}’ is not a rate limit. Write it like 600 per minute.") from None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    client = ApiClient(name=name, scopes=" ".join(scopes), token_digest=token_digest(token),
                       token_hint=token[:len(TOKEN_PREFIX) + 4], rate_limit=rate_limit or DEFAULT_RATE_LIMIT,
                       created_at=now, created_by_id=actor_id, expires_at=now + timedelta(days=days or token_days()),
                       sites=list(sites))
    db.session.add(client)
    db.session.flush()
    audit("api_client.created", client, actor_id, name=name, scopes=scopes, sites=sorted(s.code for s in sites),
          expires_at=client.expires_at.isoformat(timespec="seconds"))
    return NewClient(client, token)


def revoke_client(client: ApiClient, actor_id: int | None) -> bool:
    """Stop the client's token working from now on; False if it was already revoked."""
    if client.revoked_at is not None:
        return False
    client.revoked_at = utcnow()
    client.revoked_by_id = actor_id
    audit("api_client.revoked", client, actor_id, name=client.name)
    return True


def client_for_token(token: str | None) -> ApiClient | None:
    """The usable client holding ``token``; None for no token, an unknown, revoked or expired one."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.token_digest == token_digest(token)))
    return client if client is not None and client.usable() else None


def audit(action: str, client: ApiClient, actor_id: int | None = None, site_id: int | None = None,
          **detail) -> AuditEvent:
    """An audit event about or by an API client: its subject is the client, whose id is in the detail too
    (so a call about a family still says which client made it)."""
    assert action in API_ACTIONS, action
    return record(action, client, site_id=site_id, actor_id=actor_id, api_client=client.id, **detail)
