from rest_framework import serializers

from pinghome.fields import StrictCharField
from statuspages.models import Component, StatusPage


class NameSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["id", "name", "status", "updated_at"]
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
