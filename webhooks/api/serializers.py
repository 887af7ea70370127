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
        return event.parsed_body()
