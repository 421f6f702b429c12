"""RFC 9457 problem details: every error under /api/ is ``application/problem+json``.

The app's error pages (feedback/error_pages.py) stay as they are for people; ``init_problems``
wraps each of them so that a request under /api/ gets a problem document instead, whether the
error came from a view, from the library's argument parsing (422), from routing (404, 405) or from
the rate limiter (429). Problem types are relative URIs naming a section of the API's docs page.
"""
from __future__ import annotations

import http
from typing import Callable

from flask import Flask, Response, json, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from ..extensions import db

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"
INVALID_FIELDS = "/api/v1/docs#problem-invalid-fields"
IDEMPOTENCY_KEY_REUSED = "/api/v1/docs#problem-idempotency-key-reused"

#: Endpoint → what else a field refused by the schema (a 422 from argument parsing) is named by,
#: from its pointer: a batch names each family's problems by its case reference too, as the
#: batch's own checks do (``families.batch_context``).
_FIELD_CONTEXT: dict[str, Callable[[str], dict]] = {}


def name_fields_by(endpoint: str, context: Callable[[str], dict]) -> None:
    """Have ``context(pointer)`` add to each schema-refused field of ``endpoint``'s requests."""
    _FIELD_CONTEXT[endpoint] = context


class FieldProblemSchema(Schema):
    detail = fields.String(required=True, metadata={"description": "What is wrong with the field, and what to do."})
    pointer = fields.String(metadata={"description": "JSON Pointer (RFC 6901) to the field in the request body."})
    parameter = fields.String(metadata={"description": "The query or path parameter concerned."})
    case_ref = fields.String(metadata={"description": "In a batch of families: the case reference of the family "
                                                      "concerned."})


class ProblemSchema(Schema):
    """RFC 9457 problem details, with ``errors`` listing each field refused."""

    type = fields.String(required=True, metadata={"description": "A URI reference naming the kind of problem."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldProblemSchema))


class ApiProblem(HTTPException):
    """Raised by API views: refused with this status, title, detail and field errors."""

    def __init__(self, status: int, detail: str | None = None, *, type_: str = "about:blank",
                 title: str | None = None, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.code = status
        self.problem = {"type": type_, "title": title or http.HTTPStatus(status).phrase, "status": status}
        if detail:
            self.problem["detail"] = detail
        if errors:
            self.problem["errors"] = errors
        self.extra_headers = headers or {}


def problem_response(status: int, body: dict, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_from(error: HTTPException) -> Response:
    if isinstance(error, ApiProblem):
        return problem_response(error.code, {**error.problem, "instance": request.path}, error.extra_headers)
    status = error.code or 500
    body = {"type": "about:blank", "title": http.HTTPStatus(status).phrase, "status": status,
            "instance": request.path}
    data = getattr(error, "data", None) or {}
    if status == 422 and data.get("messages"):
        # webargs (flask-smorest's argument parsing): {location: {field: [messages] | {…}}}
        body["type"], body["title"] = INVALID_FIELDS, "Some fields are not valid"
        body["detail"] = "Nothing was saved. Correct each field listed in errors and send the request again."
        body["errors"] = list(field_errors(data["messages"]))
        context = _FIELD_CONTEXT.get(request.endpoint or "")
        if context is not None:
            body["errors"] = [{**entry, **context(entry["pointer"])} if "pointer" in entry else entry
                              for entry in body["errors"]]
    elif status == 429:
        body["detail"] = "This client sent too many requests. Wait for the seconds in Retry-After, then try again."
    elif status == 405:
        body["detail"] = f"{request.method} is not allowed here."
    elif status == 404:
        body["detail"] = "Nothing is found at this address for this client."
    elif status >= 500:
        body["detail"] = "The request failed on the server. Nothing was saved; try again later."
    headers = {}
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem_response(status, body, headers)


def field_errors(messages: dict):
    """Flatten webargs/marshmallow messages into RFC 9457 ``errors`` entries with JSON pointers."""
    for location, tree in messages.items():
        for path, message in _leaves(tree, []):
            entry = {"detail": message}
            if location == "json":
                entry["pointer"] = "/" + "/".join(_escape(str(part)) for part in path) if path else ""
            else:
                entry["parameter"] = str(path[0]) if path else location
            yield entry


def _leaves(tree, path):
    if isinstance(tree, dict):
        for key, value in tree.items():
            part = [] if key == "_schema" else [key]
            yield from _leaves(value, path + part)
    elif isinstance(tree, list) and tree and all(isinstance(item, str) for item in tree):
        for message in tree:
            yield path, message
    elif isinstance(tree, list):
        for item in tree:
            yield from _leaves(item, path)
    else:
        yield path, str(tree)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def init_problems(app: Flask) -> None:
    """Answer errors under /api/ with problem documents; elsewhere keep the app's own pages."""

    def for_api(original):
        def handler(error):
            if is_api_request():
                db.session.rollback()  # a failed API request saves nothing
                if not isinstance(error, HTTPException):
                    from werkzeug.exceptions import InternalServerError
                    error = InternalServerError()
                return problem_from(error)
            return original(error)
        return handler

    handlers = app.error_handler_spec.setdefault(None, {})
    for code, by_class in list(handlers.items()):
        for exc_class, original in list(by_class.items()):
            by_class[exc_class] = for_api(original)

    @app.errorhandler(HTTPException)
    def any_http_error(error: HTTPException):
        # Codes with no page of their own (401, 409, 415, 422, …): a problem under /api/, else Flask's own.
        if is_api_request():
            db.session.rollback()
            return problem_from(error)
        return error
