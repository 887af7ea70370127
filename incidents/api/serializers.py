import uuid

from rest_framework import serializers

from incidents.actions import REGISTRY, action_type
from incidents.assignees import check_assignees
from incidents.models import (
    AssigneeType,
    Incident,
    IncidentAction,
    IncidentStatus,
    TimelineEntry,
    Urgency,
)

MAX_ITEMS = 50


def new_id() -> str:
    return str(uuid.uuid4())


class AssigneeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=AssigneeType.choices)
    id = serializers.UUIDField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {"type": value["type"], "id": str(value["id"])}


class AssigneesField(serializers.ListField):
    """Assignees whose ids must exist in the caller's organization (``context["organization"]``)."""

    def __init__(self, **kwargs):
        super().__init__(child=AssigneeSerializer(), max_length=MAX_ITEMS, **kwargs)

    def to_internal_value(self, data):
        assignees = super().to_internal_value(data)
        errors = check_assignees(assignees, self.context["organization"])
        if errors:
            raise serializers.ValidationError(
                [errors.get(index, {}) for index in range(len(assignees))]
            )
        return assignees


class ActionSerializer(serializers.Serializer):
    """One action: its ``settings`` are validated by the action type's own serializer."""

    id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    type = serializers.ChoiceField(choices=sorted(REGISTRY))
    settings = serializers.ListField(child=serializers.DictField(), max_length=MAX_ITEMS)

    def validate(self, attrs):
        kind = action_type(attrs["type"])
        items = kind.SettingSerializer(data=attrs["settings"], many=True)
        if not items.is_valid():
            raise serializers.ValidationError({"settings": items.errors})
        settings = [
            {**{key: str(value) for key, value in item.items()}, "id": item.get("id") or new_id()}
            for item in items.validated_data
        ]
        errors = kind.check_settings(items.validated_data, self.context["organization"])
        if errors:
            raise serializers.ValidationError(
                {"settings": [errors.get(i, {}) for i in range(len(settings))]}
            )
        attrs["settings"] = settings
        return attrs


class ActionsField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=ActionSerializer(), max_length=MAX_ITEMS, **kwargs)


class IncidentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500)
    description = serializers.CharField(allow_blank=True, max_length=20000)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    assignees = AssigneesField(required=False)
    actions = ActionsField(required=False)


class IncidentUpdateSerializer(IncidentWriteSerializer):
    status = serializers.ChoiceField(
        choices=[IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED],
        required=False,
        help_text="Extension: move the incident along its lifecycle.",
    )


class IncidentSerializer(serializers.ModelSerializer):
    team_id = serializers.UUIDField(read_only=True)
    ruleset_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "team_id",
            "name",
            "description",
            "urgency",
            "status",
            "assignees",
            "ruleset_id",
            "dedup_key",
            "event_count",
            "first_event_at",
            "last_event_at",
            "created_at",
            "updated_at",
            "acknowledged_at",
            "resolved_at",
        ]
        read_only_fields = fields


class IncidentActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentAction
        fields = [
            "id",
            "type",
            "settings",
            "state",
            "attempts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ["id", "created_at", "kind", "actor", "message", "data"]
        read_only_fields = fields
