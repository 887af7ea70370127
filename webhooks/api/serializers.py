import math
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from webhooks.models import Webhook, WebhookEvent


class WebhookWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    team_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Extension: the team that owns the webhook."
    )

    def validate_team_id(self, value):
        if value is None:
            return None
        team = Team.objects.filter(organization=self.context["organization"], pk=value).first()
        if team is None:
            raise serializers.ValidationError("no such team in your organization")
        return team

    def validate(self, attrs):
        if "team_id" in attrs:
            attrs["team"] = attrs.pop("team_id")
        return attrs


class WebhookSerializer(serializers.ModelSerializer):
    team_id = serializers.UUIDField(read_only=True, allow_null=True)
    url = serializers.CharField(source="ingest_url", read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "name", "description", "url", "team_id", "created_at"]
        read_only_fields = fields


class WebhookEventSerializer(serializers.ModelSerializer):
    body = serializers.SerializerMethodField(
        help_text="The parsed JSON document when the body is JSON, else its text."
    )

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "content_type",
            "body",
            "headers",
            "ip",
            "received_at",
            "evaluated_at",
            "evaluation",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.ANY)
    def get_body(self, event):
        body = event.parsed_body()
        if isinstance(body, str) or _renderable(body):
            return body
        return event.text


# Deeper documents are shown as text: rendering them could exhaust the recursion limit.
MAX_RENDERED_DEPTH = 200


def _renderable(document: Any) -> bool:
    """Whether strict JSON rendering of a parsed body succeeds.

    Python's parser accepts what the renderer refuses: ``NaN``, ``Infinity`` and numbers beyond
    a double (``1e400`` parses as infinity), and ``"\\ud800"`` escapes (lone surrogates, which
    UTF-8 cannot encode). Those bodies are answered as their text, never as a 500.
    """
    stack = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_RENDERED_DEPTH:
            return False
        if isinstance(value, float):
            if not math.isfinite(value):
                return False
        elif isinstance(value, str):
            if not value.isascii() and not _encodable(value):
                return False
        elif isinstance(value, dict):
            for key, item in value.items():
                if not key.isascii() and not _encodable(key):
                    return False
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
