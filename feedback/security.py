"""Security headers on every response.

No page needs a script, a frame or anything from another origin, so the policy forbids them.
``Referrer-Policy: same-origin`` matters most here: a survey link's token must never leak to
another site through the Referer header. Same-origin rather than no-referrer, because over HTTPS
Flask-WTF checks that a form post's Referer is this site, and browsers send none under no-referrer.

A redirect is never drawn, so it carries only the headers that still act on one (referrer,
caching, HTTPS): a survey sends a redirect after every page answered, and on a phone paying for
each byte the rest would be a few hundred bytes of nothing, each time.
"""
from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: Headers that govern how a page is drawn, framed or sniffed: meaningless on a redirect.
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_security_headers(app: Flask, production: bool) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        if not (300 <= response.status_code < 400 and "Location" in headers):
            for name, value in PAGE_HEADERS.items():
                headers.setdefault(name, value)
        headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            # Answers on a shared phone must not come back from the browser cache.
            headers["Cache-Control"] = "no-store"
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
