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
    # Built once: (lower-case name, name, value), set only where a view has not set its own.
    page = [*PAGE_HEADERS.items(), ("Referrer-Policy", "same-origin")]
    redirect = [("Referrer-Policy", "same-origin")]
    transport = [("Strict-Transport-Security", "max-age=63072000; includeSubDomains")] if production else []
    page, redirect, transport = ([(name.lower(), name, value) for name, value in group]
                                 for group in (page, redirect, transport))

    @app.after_request
    def add_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        drawn = not (300 <= response.status_code < 400 and "location" in present)
        headers.extend([(name, value) for lower, name, value in (page if drawn else redirect) if lower not in present])
        if not request.path.startswith("/static/"):
            # Answers on a shared phone must not come back from the browser cache.
            headers["Cache-Control"] = "no-store"
        if transport:
            headers.extend([(name, value) for lower, name, value in transport if lower not in present])
        return response
