"""How pages travel to a phone on a slow, metered connection: compressed, with the stylesheet
fetched once a year rather than once a page, and no byte a browser will not use.

Pages are compressed by Flask-Compress: HTML, CSS, SVG and JSON, Brotli first (its built-in
dictionary of web words suits pages of a few kilobytes best), gzip for browsers without it.
Files sent whole (downloads) are left as they are.

Static files get names that carry a hash of their content: ``url_for('static',
filename='feedback.css')`` gives ``/static/feedback.<hash>.css``. A changed file gets a new name,
so a name can be cached as immutable for a year and a phone fetches the stylesheet once, not on
every page. The plain name still answers (a page cached before a release may ask for it) but
must be checked each time. Files are read once at start-up (in development, again whenever one
changes), stylesheets without their comments, and compressed then at the highest settings
(Brotli 11, gzip 9), which would be too slow for every page but costs nothing once. Anything
else under /static/ is a 404.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request
from flask_compress import Compress

YEAR = 365 * 24 * 3600
REDIRECTS = (301, 302, 303, 307, 308)
#: A stylesheet's comments are for whoever edits it, not for the phone. (No rule in ours holds
#: "/*" inside a string, which this would cut.)
CSS_COMMENT = re.compile(r"/\*.*?\*/\s*", re.S)
#: Encodings offered for static files, best first.
STATIC_ENCODINGS = ("br", "gzip")

compress = Compress()
COMPRESSION = {
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/plain", "image/svg+xml", "application/json"],
    "COMPRESS_ALGORITHM": ["br", "zstd", "gzip", "deflate"],
    "COMPRESS_BR_LEVEL": 5,  # as small as 6–9 for pages of a few kilobytes, in a tenth of a millisecond
    "COMPRESS_STREAMS": False,
}


@dataclass(frozen=True)
class StaticFile:
    data: bytes
    digest: str
    mimetype: str
    hashed_name: str
    #: The data compressed, by content coding ("br", "gzip"), for types worth compressing.
    encoded: dict[str, bytes] = field(default_factory=dict)


def read_static_file(folder: Path, path: Path) -> StaticFile:
    name = path.relative_to(folder).as_posix()
    data = path.read_bytes()
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mimetype == "text/css":
        data = CSS_COMMENT.sub("", data.decode()).encode()
    digest = hashlib.sha256(data).hexdigest()[:16]
    stem, dot, suffix = name.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"
    worth_compressing = mimetype.startswith("text/") or mimetype in ("image/svg+xml", "application/json")
    return StaticFile(data, digest, mimetype, hashed, dict(compressed(data)) if worth_compressing else {})


@functools.lru_cache(maxsize=32)
def compressed(data: bytes) -> tuple[tuple[str, bytes], ...]:
    """``data`` in each static encoding; kept, since every app a process makes serves the same files."""
    return ("br", brotli.compress(data, quality=11)), ("gzip", gzip.compress(data, 9, mtime=0))


class StaticFiles:
    """Every file of one folder, by its plain name and by its hashed name."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.by_name: dict[str, StaticFile] = {}
        self.by_hashed_name: dict[str, StaticFile] = {}
        self._stamp: tuple = ()
        self.load()

    def _current_stamp(self) -> tuple:
        return tuple((path, path.stat().st_mtime_ns) for path in sorted(self.folder.rglob("*")) if path.is_file())

    def load(self) -> None:
        self.by_name = {path.relative_to(self.folder).as_posix(): read_static_file(self.folder, path)
                        for path in sorted(self.folder.rglob("*")) if path.is_file()}
        self.by_hashed_name = {file.hashed_name: file for file in self.by_name.values()}
        self._stamp = self._current_stamp()

    def reload_if_changed(self) -> None:
        if self._current_stamp() != self._stamp:
            self.load()


def init_delivery(app: Flask) -> None:
    for key, value in COMPRESSION.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
    init_static_files(app)

    @app.after_request
    def redirects_carry_no_body(response: Response) -> Response:
        # Werkzeug writes a "You should be redirected" page into every redirect; browsers never
        # show it, and a survey sends a redirect after every page answered.
        if response.status_code in REDIRECTS and not response.is_streamed:
            response.set_data(b"")
            del response.headers["Content-Type"]
        return response


def init_static_files(app: Flask) -> StaticFiles:
    files = StaticFiles(Path(app.static_folder))
    watch = app.debug

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in files.by_name:
            if watch:
                files.reload_if_changed()
            values["filename"] = files.by_name[values["filename"]].hashed_name

    def serve(filename: str):
        if watch:
            files.reload_if_changed()
        file = files.by_hashed_name.get(filename)
        immutable = file is not None
        file = file or files.by_name.get(filename)
        if file is None:
            abort(404)
        encoding = request.accept_encodings.best_match([e for e in STATIC_ENCODINGS if e in file.encoded])
        response = app.response_class(file.encoded[encoding] if encoding else file.data, mimetype=file.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if file.encoded:
            response.vary.add("Accept-Encoding")
        response.set_etag(f"{file.digest}-{encoding or 'identity'}")
        if immutable:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
        return response.make_conditional(request)

    app.view_functions["static"] = serve
    return files
