import codecs

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from pinghome.fields import StrictBooleanField, StrictCharField, StrictIntegerField, StrictUUIDField
from webhooks.models import (
    DEFAULT_EVENTS_PER_MINUTE,
    MAX_EVENTS_PER_MINUTE,
    MAX_HEARTBEAT_SECONDS,
    MIN_HEARTBEAT_SECONDS,
    Webhook,
    WebhookEvent,
    body_document,
)
from webhooks.services import DEFAULT_ROTATION_GRACE, MAX_ROTATION_GRACE


class WebhookWriteSerializer(serializers.Serializer):
    name = StrictCharField(required=False, allow_blank=True, max_length=200)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000)
    team_id = StrictUUIDField(
        required=False, allow_null=True, help_text="Extension: the team that owns the webhook."
    )
    expect_every_seconds = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=MIN_HEARTBEAT_SECONDS,
        max_value=MAX_HEARTBEAT_SECONDS,
        help_text=(
            "Extension: heartbeat. When no event arrives for this long plus `grace_seconds`, "
            "an incident opens for the webhook's team (which it then needs) through the "
            "webhook's heartbeat ruleset; the next event resolves it. `null`: no heartbeat "
            "(switching it off resolves its open incident)."
        ),
    )
    grace_seconds = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_HEARTBEAT_SECONDS,
        help_text="Extension: heartbeat's extra wait; default 0.",
    )
    heartbeat_paused = StrictBooleanField(
        required=False,
        help_text="Extension: a paused heartbeat opens nothing; resuming restarts its clock.",
    )
    max_events_per_minute = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_EVENTS_PER_MINUTE,
        help_text=f"Extension: events accepted per minute (default {DEFAULT_EVENTS_PER_MINUTE}); "
        "beyond, ingest answers 429 with Retry-After and stores nothing.",
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


class RotateSerializer(serializers.Serializer):
    grace_seconds = StrictIntegerField(
        required=False,
        default=int(DEFAULT_ROTATION_GRACE.total_seconds()),
        min_value=0,
        max_value=int(MAX_ROTATION_GRACE.total_seconds()),
        help_text="How long the current URL keeps working; default 24 hours.",
    )


class WebhookSerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True, allow_null=True)
    url = StrictCharField(source="ingest_url", read_only=True)
    heartbeat_state = serializers.ChoiceField(
        choices=["off", "paused", "ok", "overdue"],
        source="heartbeat_status",
        read_only=True,
        help_text="Extension: `overdue` while its incident is open, until an event arrives.",
    )
    heartbeat_ruleset_id = StrictUUIDField(
        read_only=True,
        allow_null=True,
        help_text="Extension: the ruleset whose urgency, assignees and actions the heartbeat's "
        "incident takes.",
    )

    class Meta:
        model = Webhook
        fields = [
            "id",
            "name",
            "description",
            "url",
            "team_id",
            "created_at",
            "expect_every_seconds",
            "grace_seconds",
            "heartbeat_paused",
            "heartbeat_state",
            "heartbeat_ruleset_id",
            "max_events_per_minute",
            "rejected_events",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rejected_events": {
                "help_text": "Extension: events refused for being over max_events_per_minute "
                "(written within a second)."
            }
        }


# In lists each body is cut at this many bytes; one event is returned whole.
LIST_BODY_BYTES = 64 * 1024


class WebhookEventSerializer(serializers.ModelSerializer):
    """One event, whole."""

    body = serializers.SerializerMethodField(
        help_text=(
            "The parsed JSON document when the body is JSON, else its text. In lists, a body "
            f"over {LIST_BODY_BYTES // 1024} KB is cut: its first {LIST_BODY_BYTES // 1024} KB "
            "as text."
        )
    )
    body_truncated = serializers.SerializerMethodField(
        help_text=(
            "Extension: true when `body` is the cut start of a larger body (lists only); "
            "`GET /v1/webhook/{id}/event/{event_id}` returns it whole."
        )
    )

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "content_type",
            "body",
            "body_truncated",
            "headers",
            "ip",
            "received_at",
            "evaluated_at",
            "evaluation",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.ANY)
    def get_body(self, event):
        return event.parsed_body()

    def get_body_truncated(self, event) -> bool:
        return False


class WebhookEventListSerializer(WebhookEventSerializer):
    """Events of a list, loaded with ``body_preview`` and ``body_size`` instead of their body
    (``webhooks.pages.with_body_preview``): a page costs at most 64 KB per event."""

    @extend_schema_field(OpenApiTypes.ANY)
    def get_body(self, event):
        preview = bytes(event.body_preview or b"")
        if self.get_body_truncated(event):
            # A character cut in two at the end is left out, not shown as U+FFFD.
            return codecs.getincrementaldecoder("utf-8")("replace").decode(preview, final=False)
        return body_document(preview)

    def get_body_truncated(self, event) -> bool:
        return (event.body_size or 0) > len(event.body_preview or b"")
