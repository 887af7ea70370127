"""GET /v1/schema (generated OpenAPI 3) and GET /v1/docs (Swagger UI)."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import URLPattern
from drf_spectacular.validation import validate_schema
from rest_framework.permissions import IsAuthenticated

from pinghome import urls

pytestmark = pytest.mark.django_db

NOT_DESCRIBED = {"schema", "docs"}  # the schema's own routes


def api_path(pattern: URLPattern) -> str:
    """A route of pinghome/urls.py's API list as an OpenAPI path, parameters unnamed."""
    return unnamed("/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)))


def api_routes() -> set[str]:
    routes = set()
    for pattern in urls.api:
        assert isinstance(pattern, URLPattern)
        if str(pattern.pattern) not in NOT_DESCRIBED:
            routes.add(api_path(pattern))
    return routes


def unnamed(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


@pytest.fixture
def schema(anonymous) -> dict:
    response = anonymous.get("/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_served_without_a_token_as_yaml_by_default(anonymous):
    response = anonymous.get("/v1/schema")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.0.3\n")


def test_schema_is_a_valid_openapi_3_document(schema):
    validate_schema(schema)

    assert schema["openapi"] == "3.0.3"
    assert schema["info"]["title"] == "pinghome API"


def test_every_api_route_is_in_the_schema(schema):
    documented = {unnamed(path) for path in schema["paths"]}

    missing = api_routes() - documented
    assert missing == set()
    assert documented == api_routes()


def test_the_ingest_route_is_added_by_the_postprocessing_hook(schema):
    ingest = schema["paths"]["/v1/incident/webhook/{id}"]["post"]

    assert ingest["security"] == []
    assert ingest["parameters"][0]["name"] == "id"
    assert set(ingest["responses"]) == {"202", "404", "413", "429"}
    accepted = ingest["responses"]["202"]["content"]["application/json"]["schema"]
    assert set(accepted["properties"]) == {"message", "event_id", "ip", "content_type"}
    # The error shape it points at exists.
    assert "Error" in schema["components"]["schemas"]


def test_every_documented_path_parameter_is_declared(schema):
    for path, operations in schema["paths"].items():
        names = set(re.findall(r"\{(\w+)\}", path))
        for method, operation in operations.items():
            if method == "parameters":
                continue
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)


def requires_token(pattern: URLPattern) -> bool:
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is None:  # plain Django view (ingest): its URL is the secret
        return False
    return any(
        isinstance(permission, type) and issubclass(permission, IsAuthenticated)
        for permission in view_class.permission_classes
    )


def test_operations_declare_the_bearer_token_exactly_when_the_view_requires_one(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (ph_...).",
    }
    patterns = {api_path(pattern): pattern for pattern in urls.api}
    checked = 0
    for path, operations in schema["paths"].items():
        needs_token = requires_token(patterns[unnamed(path)])
        for method, operation in operations.items():
            security = operation.get("security") or [{}]
            assert ({"bearerAuth": []} in security) is needs_token, (path, method)
            if not needs_token:
                assert {} in security or security == [], (path, method)
            checked += 1
    assert not requires_token(patterns["/v1/incident/webhook/{}"])
    assert not requires_token(patterns["/v1/health-check"])
    assert requires_token(patterns["/v1/webhooks"])
    assert checked > len(patterns)


def test_errors_are_documented_with_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"message", "errors"}
    create = schema["paths"]["/v1/webhook"]["post"]["responses"]
    assert set(create) >= {"201", "401", "404", "422"}


def test_webhook_events_document_their_paging_parameters(schema):
    operation = schema["paths"]["/v1/webhook/{webhook_id}/events"]["get"]

    names = {p["name"] for p in operation["parameters"]}
    assert {"limit", "last_received_at", "last_id"} <= names


def test_schema_generation_has_no_warnings():
    out, err = StringIO(), StringIO()

    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert out.getvalue().startswith("openapi: 3.0.3")


def test_docs_are_an_html_page_whose_script_points_at_the_schema(anonymous):
    response = anonymous.get("/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<title>pinghome API</title>" in html
    assert '<script src="/v1/docs?script="></script>' in html  # no inline script
    script = anonymous.get("/v1/docs?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/v1/schema" in script.content.decode()
