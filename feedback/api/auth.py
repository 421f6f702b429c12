"""Bearer-token authentication, scopes, per-client rate limits and the audit of every call.

``protect(blueprint)`` is applied to every API blueprint: CSRF does not apply (no cookie is
trusted: a browser's staff session never acts for an API call), the client is found from
``Authorization: Bearer …`` or the call is refused with 401, each client is counted against its
own rate limit (429 with Retry-After), and every call a client makes is audited.
"""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, g, request
from flask_limiter.util import get_remote_address

from ..extensions import csrf, db, limiter, login_manager
from ..timeutil import utcnow
from .clients import DEFAULT_RATE_LIMIT, ApiClient, audit, client_for_token
from .problems import ApiProblem

REALM = 'Bearer realm="feedback"'
_NOT_LOOKED_UP = object()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_client() -> ApiClient | None:
    """The request's client, looked up once (the rate limiter asks before the views do)."""
    client = g.get("api_client", _NOT_LOOKED_UP)
    if client is _NOT_LOOKED_UP:
        client = g.api_client = client_for_token(bearer_token())
    return client


def rate_limit_key() -> str:
    client = current_client()
    # Requests with no usable token share their address's count, so guessing tokens is slowed too.
    return f"api-client:{client.id}" if client is not None else f"api-anonymous:{get_remote_address()}"


def rate_limit_value() -> str:
    client = current_client()
    return client.rate_limit if client is not None and client.rate_limit else DEFAULT_RATE_LIMIT


def authenticate() -> None:
    # Flask-Login would otherwise load a staff user from a session cookie sent along, and the audit
    # would name them: an API call acts only as its client.
    g._login_user = login_manager.anonymous_user()
    if request.endpoint is None:
        return
    if current_client() is None:
        given = bearer_token() is not None
        raise ApiProblem(401, "Send a valid API token: Authorization: Bearer <token>. A revoked or expired token "
                              "needs a new client from an administrator." if given else
                         "Send the client's API token: Authorization: Bearer <token>.",
                         headers={"WWW-Authenticate": REALM + (', error="invalid_token"' if given else "")})


def audit_call(response):
    client = g.get("api_client")
    if isinstance(client, ApiClient):
        now = utcnow()
        try:
            audit("api.called", client, method=request.method, endpoint=request.url_rule.rule if request.url_rule
                  else request.path, status=response.status_code, **g.get("api_audit_detail", {}))
            if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
                client.last_used_at = now
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return response


def protect(blueprint: Blueprint) -> Blueprint:
    csrf.exempt(blueprint)
    blueprint.before_request(authenticate)
    blueprint.after_request(audit_call)
    limiter.limit(rate_limit_value, key_func=rate_limit_key)(blueprint)
    return blueprint


def requires(scope: str):
    """Decorate an API view: a client without ``scope`` is refused with 403."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            client = current_client()
            if client is None or scope not in client.scope_set:
                raise ApiProblem(403, f"This client does not have the {scope} scope. An administrator can make a "
                                      f"client that has it.")
            return view(*args, **kwargs)
        guarded._api_scope = scope
        return guarded
    return decorate


def security(*scopes: str) -> dict:
    """The OpenAPI security requirement of an operation that needs ``scopes``."""
    return {"security": [{"bearerAuth": list(scopes)}]}
