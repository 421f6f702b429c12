"""The REST API for other systems (/api/v1): families in, invitations out.

Built with flask-smorest: marshmallow schemas validate each request and are the source of the
OpenAPI 3.1 document served at /api/v1/openapi.json; /api/v1/docs lists its operations as a plain
server-drawn page (the libraries' own documentation pages load scripts from a CDN, which the app's
Content-Security-Policy forbids and which would leak staff's visits to a third party).
"""
from __future__ import annotations

import http

from flask import Blueprint, Flask, render_template
from flask_smorest import Api

from .problems import PROBLEM_JSON, ProblemSchema, init_problems

API_CONFIG = {
    "API_TITLE": "feedback API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


class FeedbackApi(Api):
    """flask-smorest's Api, with RFC 9457 problems (problems.py) for its errors and their documentation."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _register_error_handlers(self):
        pass  # init_problems answers every error under /api/, including the library's own 422

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "A problem (RFC 9457): 401 without a valid token, 403 without the scope, 404 for "
                           "another site's record, 422 listing each field refused, 429 with Retry-After.",
            "content": {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}}, lazy=True)


docs_page = Blueprint("api_docs_page", __name__, template_folder="templates")


@docs_page.get("/api/v1/docs")
def docs():
    from flask import current_app

    document = current_app.extensions["feedback_api"].spec.to_dict()
    operations = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                scopes = [scope for requirement in operation.get("security", []) for scope in
                          requirement.get("bearerAuth", [])]
                operations.append({"method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                                   "description": operation.get("description", ""), "scopes": scopes,
                                   "parameters": operation.get("parameters", []),
                                   "responses": sorted(operation.get("responses", {}))})
    return render_template("api/docs.html", document=document, operations=operations)


def init_api(app: Flask) -> None:
    """Register the API's blueprints, its documents, its problem answers and ``flask api-clients``."""
    for name, value in API_CONFIG.items():
        app.config.setdefault(name, value)
    from .clients import check_token_days

    check_token_days(app.config.get("FEEDBACK_API_TOKEN_DAYS"))  # a bad setting stops start-up
    api = FeedbackApi(app, spec_kwargs={"info": {"description": "Families in, invitations out. Every call is "
                                                                  "audited with its client."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                       "description": "The client's token, shown once when made."})
    from .families import blp as families_blp
    from .invitations import blp as invitations_blp

    api.register_blueprint(families_blp)
    api.register_blueprint(invitations_blp)
    from .exports import blp as exports_blp
    from .reports import blp as reports_blp

    api.register_blueprint(reports_blp)
    api.register_blueprint(exports_blp)
    app.extensions["feedback_api"] = api
    app.register_blueprint(docs_page)
    from .admin import bp as admin_bp

    app.register_blueprint(admin_bp)
    from .cli import api_clients

    app.cli.add_command(api_clients)
    init_problems(app)
