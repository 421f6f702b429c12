"""The forgery check on a survey link's forms, without a session.

A respondent's pages are reached by their link, ``/s/<token>``, and the token in the address is
the credential: nothing in the browser (no cookie) lets a page act on a response. So a form's
token here is bound to the link: ``link_form_token`` signs the link token's SHA-256 (the hash the
database keeps) and the time with the app's CSRF secret, under a salt of its own (itsdangerous'
``TimestampSigner``, HMAC), and sends only the time and the signature: the hash is taken from the
address again when the form comes back. ``check_link_form`` refuses a post to a link unless it
carries a signature made for that link. Flask-WTF's session-bound token did the same job by tying
the form to a session cookie; a link's pages then needed a cookie on every request for nothing
else (issue 24).

Why this is no weaker than the session token on these pages:

- A forged or altered token fails the signature; only the app's secret makes one.
- A token drawn on another link's page was signed over another hash, so it is refused here: one
  link's page cannot be replayed against another.
- Whoever can get a valid token for a link (by opening its page) already knows its address, which
  is the whole credential: they could post from their own browser, token or not.
- A cross-site post is refused as before. Over HTTPS the Referer must be this site, exactly as
  Flask-WTF checks it (``WTF_CSRF_SSL_STRICT``). The session cookie's ``SameSite=Lax`` kept it out
  of another site's posts; here the browser's ``Sec-Fetch-Site`` (or, from a browser that sends
  none, ``Origin``) says where a post came from, and one from any other site is refused.
- Age: ``WTF_CSRF_TIME_LIMIT`` when set, else the session's lifetime (31 days), the bound the
  session cookie put on the old token (Flask refuses a session cookie signed longer ago, and its
  token with it). The response's own closing date, and completion, close the link whatever the
  token says.

Staff pages (telephone interviews, assessments) keep Flask-WTF's session token: there a signed-in
session is what gives the right to act.
"""
from __future__ import annotations

import hmac
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError, same_origin
from itsdangerous import BadData, SignatureExpired, TimestampSigner

from .tokens import token_hash

#: Never the salt of Flask-WTF's tokens ("wtf-csrf-token"): neither kind passes for the other.
SALT = "survey-form"
#: The field the templates already post (``csrf_token()``), so a page changes only in its value.
FIELD = "csrf_token"
#: Where a request keeps the token drawn for it: a page's forms (answers, language) share one.
DRAWN = "_link_form_token"
#: ``Sec-Fetch-Site`` values of a post made by this site's own pages (or typed by the person).
OWN_SITE = frozenset({"same-origin", "none"})


@lru_cache(maxsize=8)
def _signer(secret_key) -> TimestampSigner:
    # Built once per secret: the tests make many apps, each with its own.
    return TimestampSigner(secret_key, salt=SALT)


def _secret_key():
    return current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key


def max_age() -> int:
    """Seconds a drawn token stays good (see the module's notes)."""
    configured = current_app.config.get("WTF_CSRF_TIME_LIMIT")
    if configured:
        return int(configured)
    return int(current_app.permanent_session_lifetime.total_seconds())


def link_form_token(link_token: str) -> str:
    """The token for a form on ``link_token``'s pages; one per request, however many forms."""
    drawn = g.get(DRAWN)
    if drawn is None:
        link_hash = token_hash(link_token)
        signed = _signer(_secret_key()).sign(link_hash).decode("ascii")
        # "<hash>.<time>.<signature>": the hash is left out of the page (the address has the link).
        drawn = signed[len(link_hash) + 1:]
        setattr(g, DRAWN, drawn)
    return drawn


def check_link_form(link_token: str) -> None:
    """Refuse (``CSRFError``, the "this page had expired" page) a post to ``link_token``'s pages
    that does not carry a token signed for that link, is too old, or came from another site.

    Does nothing when ``WTF_CSRF_ENABLED`` is off, as Flask-WTF does.
    """
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    posted = request.form.get(FIELD)
    if not posted:
        raise CSRFError("The CSRF token is missing.")
    link_hash = token_hash(link_token)
    try:
        # The signature covers this link's hash: one made for another link does not verify.
        signed = _signer(_secret_key()).unsign(f"{link_hash}.{posted}", max_age=max_age())
    except SignatureExpired:
        raise CSRFError("The CSRF token has expired.") from None
    except BadData:
        raise CSRFError("The CSRF token is invalid.") from None
    if not hmac.compare_digest(signed, link_hash.encode("ascii")):
        # Cannot happen without the secret (the signature covers all it signs); checked anyway.
        raise CSRFError("The CSRF token is for another link.")
    if request.is_secure and config.get("WTF_CSRF_SSL_STRICT", True):
        # Flask-WTF's own check, kept: behind TLS the post must say it came from this site.
        if not request.referrer:
            raise CSRFError("The referrer header is missing.")
        if not same_origin(request.referrer, f"https://{request.host}/"):
            raise CSRFError("The referrer does not match the host.")
    if _from_another_site():
        raise CSRFError("The form was posted from another site.")
    # Flask-WTF's mark that the request's token was checked: the page's FlaskForm then does not
    # look for a session token that these pages no longer have.
    g.csrf_valid = True


def _from_another_site() -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in OWN_SITE
    origin = request.headers.get("Origin")
    if origin is None:
        return False  # an old browser, or not a browser: the token and Referer checks stand alone
    # The host only: a proxy may change the scheme and port between the browser and the app.
    return urlsplit(origin).hostname != urlsplit(f"//{request.host}").hostname
