"""Shapes shared by the OpenAPI description of every view."""

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

CREATED = inline_serializer("Created", {"id": serializers.UUIDField()})
MESSAGE = inline_serializer("Message", {"message": serializers.CharField()})
ERROR = inline_serializer(
    "Error",
    {
        "message": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text='Invalid fields by dotted path, e.g. {"conditions.0.operator": ["..."]}.',
        ),
    },
)
ERRORS = {
    401: OpenApiResponse(ERROR, description="Missing, bad, expired or revoked token."),
    404: OpenApiResponse(ERROR, description="Unknown id, or another organization's object."),
    422: OpenApiResponse(ERROR, description="Invalid body or query; every invalid field named."),
}
CONFLICT = {409: OpenApiResponse(ERROR, description="Conflict.")}
FORBIDDEN = {
    403: OpenApiResponse(ERROR, description="Your role, or your token's scopes, may not do this.")
}


def KEYSET_PARAMETERS(time_field: str) -> list[OpenApiParameter]:  # noqa: N802 - reads as a constant
    return [
        OpenApiParameter(
            "limit", {"type": "integer", "minimum": 1, "maximum": 500}, description="Default 50."
        ),
        OpenApiParameter(
            f"last_{time_field}",
            OpenApiTypes.DATETIME,
            description=f"RFC 3339; return items with `{time_field}` before this (next page).",
        ),
        OpenApiParameter(
            "last_id",
            OpenApiTypes.UUID,
            description=(
                f"Extension: id of the last item of the previous page; with `last_{time_field}` "
                "it continues items that share that instant without gap or repeat."
            ),
        ),
    ]


class ClosedSerializerExtension(OpenApiSerializerExtension):
    """A ``pinghome.fields.ClosedSerializer`` takes no other property than its fields."""

    target_class = "pinghome.fields.ClosedSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        return {
            **auto_schema._map_basic_serializer(self.target, direction),
            "additionalProperties": False,
        }


class StrictCharFieldExtension(OpenApiSerializerFieldExtension):
    """A ``pinghome.fields.StrictCharField`` that may not be blank refuses whitespace alone too
    (DRF trims it first): a request's schema wants a character that is not whitespace."""

    target_class = "pinghome.fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if direction == "request" and not field.allow_blank and field.trim_whitespace:
            schema["pattern"] = r"\S"
        return schema


def ids_in_paths_are_uuids(result, generator, request, public):
    """Every ``..._id`` path parameter is a UUID (the routes take any string, and answer 404
    for one that is no id, as for an unknown id)."""
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                    parameter["schema"] = {"type": "string", "format": "uuid"}
    return result


def require_one_of_bodies(result, generator, request, public):
    """A request body that is one of several forms, each with a required field, is required
    (drf-spectacular leaves a ``PolymorphicProxySerializer`` body optional)."""
    components = result["components"]["schemas"]

    def named(schema: dict) -> dict:
        return components[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    for operations in result["paths"].values():
        for operation in operations.values():
            body = operation.get("requestBody", {})
            for media in body.get("content", {}).values():
                forms = named(media["schema"]).get("oneOf")
                if forms and all(named(form).get("required") for form in forms):
                    body["required"] = True
    return result


def add_ingest_route(result, generator, request, public):
    """The ingest view is plain Django (the hot path skips DRF); describe it here."""
    error = {"$ref": "#/components/schemas/Error"}
    result["paths"]["/v1/incident/webhook/{id}"] = {
        "post": {
            "operationId": "incident_webhook_ingest",
            "summary": "Submit an event to a webhook",
            "description": (
                "No token: the webhook id is the secret. Any content type and body (JSON, "
                "text/plain JSON as AWS SNS sends it, form data, text, empty, non-UTF-8 "
                "bytes) is stored as received, with headers, source IP and time, before "
                "the 202 answer; rulesets then evaluate it."
            ),
            "tags": ["incident"],
            "security": [],
            "parameters": [
                {
                    "in": "path",
                    "name": "id",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                }
            ],
            "requestBody": {
                "content": {"*/*": {"schema": {"type": "object", "additionalProperties": True}}}
            },
            "responses": {
                "202": {
                    "description": "Stored; evaluation follows.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "message": {"type": "string"},
                                    "event_id": {"type": "string", "format": "uuid"},
                                    "ip": {"type": "string", "nullable": True},
                                    "content_type": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "404": {
                    "description": "Unknown webhook.",
                    "content": {"application/json": {"schema": error}},
                },
                "413": {
                    "description": "Body over the size limit.",
                    "content": {"application/json": {"schema": error}},
                },
                "429": {
                    "description": "Over the webhook's max_events_per_minute: nothing stored; "
                    "send it again after Retry-After seconds.",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": error}},
                },
            },
        }
    }
    return result
