"""Benchmark: the bytes a phone receives to answer one whole survey, page by page.

Run:  python tests/benchmarks/survey_bytes.py [--instrument exit-interview] [--language en]
                                              [--accept-encoding "gzip, deflate, br, zstd"]

No server, no PostgreSQL: the Flask test client drives the app (production settings, over https)
on a throwaway SQLite database, as a browser with an empty cache would. It opens a new link,
fetches the stylesheet the first page names (once: its name carries its content's hash and it
is cached for a year), starts, and answers every page (the first answer offered, as
``survey_pages.py`` reads forms) until the thank-you page. Each response is counted as it
crosses the network, its body as sent (compressed when the app compresses it), its status and
headers, plus the Date and Server lines gunicorn adds, two ways:

- HTTP/1.1: every header in full text on every response;
- HTTP/2, what a phone speaks to any https proxy that offers it: headers packed by HPACK over
  one connection (a header repeated from an earlier response costs a byte or two), plus the
  9-byte frame headers.

What the phone sends (its requests) is not counted. Prints one line per response and the totals.
Not a pytest test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from survey_pages import read_form  # noqa: E402  (the same reading of a page as the load test)

BASE = "https://feedback.example"
#: What gunicorn adds to every response beyond the app's own headers.
SERVER_HEADERS = [("Date", "Thu, 03 Dec 2026 07:57:05 GMT"), ("Server", "gunicorn")]
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FRAME_HEADER = 9  # bytes before every HTTP/2 frame
MAX_FRAME = 16384


class Wire:
    """Counts what each response costs on the wire, over HTTP/1.1 and over one HTTP/2 connection."""

    def __init__(self):
        from hpack import Encoder

        self.hpack = Encoder()

    def count(self, response) -> tuple[int, int, int]:
        """(HTTP/1.1 header bytes, HTTP/2 header bytes, body bytes)."""
        headers = list(response.headers.items()) + SERVER_HEADERS
        http1 = len((f"HTTP/1.1 {response.status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)
                     + "\r\n").encode("latin-1"))
        block = self.hpack.encode([(":status", str(response.status_code))] +
                                  [(name.lower(), value) for name, value in headers])
        body = len(response.get_data())
        data_frames = -(-body // MAX_FRAME) or 1  # an empty body still ends its stream with one frame
        return http1, FRAME_HEADER + len(block) + FRAME_HEADER * data_frames, body


def walk(client, token: str, language: str, accept_encoding: str):
    """Yield (method, path, status, HTTP/1.1 headers, HTTP/2 headers, body) for every response."""
    headers = {"Accept-Encoding": accept_encoding, "Accept-Language": language, "Referer": f"{BASE}/"}
    wire = Wire()

    def fetch(method, path, data=None):
        response = client.open(path, method=method, base_url=BASE, headers=headers, data=data,
                               content_type="application/x-www-form-urlencoded" if data is not None else None)
        return response, (method, urlsplit(path).path, response.status_code, *wire.count(response))

    welcome, record = fetch("GET", f"/s/{token}")
    yield record
    stylesheet = STYLESHEET.search(decoded(welcome))
    if stylesheet:
        yield fetch("GET", stylesheet.group(1))[1]
    if language not in decoded(welcome).split('lang="', 1)[1][:3]:
        csrf = CSRF_TOKEN.search(decoded(welcome)).group(1)
        response, record = fetch("POST", f"/s/{token}/language", urlencode({"csrf_token": csrf, "language": language}))
        yield record
        response, record = fetch("GET", response.headers["Location"])
        yield record
    response, record = fetch("GET", f"/s/{token}/start")
    yield record
    path = response.headers.get("Location")
    for _ in range(100):
        if not path:
            raise RuntimeError("the survey stopped before its thank-you page")
        page, record = fetch("GET", path)
        yield record
        if "/done" in path:
            return
        response, record = fetch("POST", path, urlencode(read_form(decoded(page))))
        yield record
        if response.status_code != 302:
            raise RuntimeError(f"POST {path} answered {response.status_code}: an answer was refused")
        path = response.headers["Location"]
    raise RuntimeError("the survey never reached its thank-you page")


def decoded(response) -> str:
    """The page's text, undoing whatever compression the app applied."""
    from flask_compress.flask_compress import _uncompress_data

    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    return (_uncompress_data(data, encoding) if encoding else data).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instrument", default="exit-interview")
    parser.add_argument("--language", default="en", help="the phone's language (and the one chosen, if not the first)")
    parser.add_argument("--accept-encoding", default="gzip, deflate, br, zstd",
                        help="what the phone accepts; Chrome sends br and zstd over https only")
    options = parser.parse_args()

    os.environ.update({"FEEDBACK_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
                       "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/bytes.sqlite3",
                       "FEEDBACK_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()})
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.extensions import db
    from feedback.publishing.startup import current_catalogue
    from feedback.survey.service import create_response

    app = create_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        token = create_response(current_catalogue().latest(options.instrument), 28)[1]
        db.session.commit()
    client = app.test_client()
    print(f"{options.instrument} in {options.language!r}, Accept-Encoding: {options.accept_encoding}")
    print(f"{'response':44}{'status':>7}{'body':>7}{'HTTP/1.1 headers':>18}{'total':>7}{'HTTP/2 headers':>16}{'total':>7}")
    totals = [0, 0, 0]
    count = 0
    for method, path, status, http1, http2, body in walk(client, token, options.language, options.accept_encoding):
        print(f"{method + ' ' + path.replace(token, '<token>'):44}{status:>7}{body:>7}{http1:>18}{http1 + body:>7}"
              f"{http2:>16}{http2 + body:>7}")
        totals = [totals[0] + http1, totals[1] + http2, totals[2] + body]
        count += 1
    http1, http2, body = totals
    print(f"{f'whole survey: {count} responses':44}{'':>7}{body:>7}{http1:>18}{http1 + body:>7}{http2:>16}{http2 + body:>7}")
    print(f"transferred: {(http2 + body) / 1000:.1f} kB over HTTP/2, {(http1 + body) / 1000:.1f} kB over HTTP/1.1 "
          f"(target: under 25 kB)")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
