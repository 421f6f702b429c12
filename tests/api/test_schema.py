"""The generated OpenAPI document, and Schemathesis exercising every operation against it.

Bounded (15 derandomised examples an operation): no answer is a server error, every status,
content type and body is the one the document declares, with a token of every scope and with none.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from schemathesis.checks import not_a_server_error

from tests.api.conftest import bearer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")
BOUNDED = settings(max_examples=15, derandomize=True, deadline=None,
                   suppress_health_check=list(HealthCheck))


def test_the_document_is_openapi_3_1_generated_from_the_code(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) >= {"/api/v1/families/{case_ref}", "/api/v1/invitations",
                                      "/api/v1/invitations/{invitation_id}", "/api/v1/reports",
                                      "/api/v1/reports/{name}", "/api/v1/exports", "/api/v1/exports/profiles",
                                      "/api/v1/exports/{run_id}", "/api/v1/exports/{run_id}/bundle"}
    put = document["paths"]["/api/v1/families/{case_ref}"]["put"]
    assert put["security"] == [{"bearerAuth": ["families:write"]}]
    assert "application/problem+json" in document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert "PUT /api/v1/families/{case_ref}" in page and "<script" not in page


@schema.parametrize()
@BOUNDED
def test_every_operation_answers_as_documented_with_a_token_of_every_scope(case, token):
    # identity: the WSGI client does not undo Flask-Compress's coding of a large JSON answer.
    case.call_and_validate(headers={**bearer(token), "Accept-Encoding": "identity"}, checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_every_operation_refuses_a_call_without_a_token_as_documented(case):
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code in (401, 404, 405)
