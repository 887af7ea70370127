from rest_framework import serializers

from pinghome.fields import StrictCharField
from statuspages.models import (
    Component,
    ComponentStatus,
    Notice,
    NoticeStatus,
    NoticeUpdate,
    StatusPage,
)


class NameSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)


class ComponentCreateSerializer(NameSerializer):
    public_name = StrictCharField(
        max_length=200, required=False, help_text="Shown on the public page; default: name."
    )
    description = StrictCharField(
        max_length=1000, required=False, allow_blank=True, help_text="Shown on the public page."
    )


class ComponentUpdateSerializer(ComponentCreateSerializer):
    """Every field optional: only those given change."""

    name = StrictCharField(max_length=200, required=False)
    manual_status = serializers.ChoiceField(
        ComponentStatus.choices,
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text="Shown whatever the incidents say; null or empty: the status follows the "
        "incidents. "
        "Organization admins and team members; the other fields organization admins only.",
    )

    def validate(self, data):
        if not data:
            raise serializers.ValidationError("Give at least one field to change.")
        return data


class ComponentSerializer(serializers.ModelSerializer):
    manual_status = serializers.ChoiceField(
        ComponentStatus.choices,
        allow_blank=True,
        read_only=True,
        help_text="Set by hand; empty: the status follows the incidents.",
    )

    class Meta:
        model = Component
        fields = [
            "id",
            "name",
            "public_name",
            "description",
            "status",
            "manual_status",
            "updated_at",
        ]
        read_only_fields = fields


class StatusPageSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusPage
        fields = ["id", "name", "created_at"]
        read_only_fields = fields


class StatusPageDetailSerializer(StatusPageSerializer):
    components = ComponentSerializer(many=True, read_only=True)

    class Meta(StatusPageSerializer.Meta):
        fields = [*StatusPageSerializer.Meta.fields, "components"]
        read_only_fields = fields


class NoticeUpdateBodySerializer(serializers.Serializer):
    status = serializers.ChoiceField(NoticeStatus.choices)
    message = StrictCharField(max_length=5000)


class NoticeBodySerializer(NoticeUpdateBodySerializer):
    title = StrictCharField(max_length=200, help_text="Public: never the incident's own name.")
    component_ids = serializers.ListField(
        child=serializers.UUIDField(), max_length=100, required=False, default=list
    )
    incident_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="The incident it is about (not shown publicly)."
    )


class NoticeUpdateSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", default=None, read_only=True)

    class Meta:
        model = NoticeUpdate
        fields = ["id", "status", "message", "created_at", "created_by"]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    component_ids = serializers.PrimaryKeyRelatedField(
        source="components", many=True, read_only=True
    )
    updates = NoticeUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "title",
            "status",
            "component_ids",
            "incident_id",
            "created_at",
            "updated_at",
            "resolved_at",
            "updates",
        ]
        read_only_fields = fields
