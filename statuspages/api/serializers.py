from rest_framework import serializers

from statuspages.models import Component, StatusPage


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's ``CharField`` would turn ``42`` or ``4.2`` into text.

    Shared by the incidents and rulesets serializers (it belongs in ``pinghome/`` with the other
    shared API helpers).
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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
