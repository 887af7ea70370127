from rest_framework import serializers

from escalation.models import MAX_DELAY_MINUTES, MAX_REPEAT, EscalationPolicy, TargetType
from escalation.targets import check_steps
from incidents.api.serializers import ItemSerializer
from pinghome.fields import StrictCharField, StrictIntegerField, StrictUUIDField

MAX_STEPS = 20
MAX_TARGETS = 20


class TargetSerializer(ItemSerializer):
    type = serializers.ChoiceField(
        choices=TargetType.choices,
        help_text="oncall: whoever is on call for the team `id` at that instant; user: the user "
        "`id`; team: every member of the team `id`; channel: the team chat channel `id`.",
    )
    id = StrictUUIDField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {"type": value["type"], "id": str(value["id"])}


class StepSerializer(ItemSerializer):
    delay_minutes = StrictIntegerField(
        min_value=0,
        max_value=MAX_DELAY_MINUTES,
        help_text="After the previous step (the first: after the incident opened; when the "
        "chain repeats, step 1's delay counts from the last step).",
    )
    targets = serializers.ListField(child=TargetSerializer(), max_length=MAX_TARGETS)


class PolicyWriteSerializer(serializers.Serializer):
    """A policy's name, repeat and steps; target ids are checked against the organization
    (``context["organization"]``)."""

    name = StrictCharField(max_length=200)
    repeat = StrictIntegerField(
        min_value=0,
        max_value=MAX_REPEAT,
        default=0,
        help_text="How many times the whole chain runs again while nobody acknowledges.",
    )
    steps = serializers.ListField(child=StepSerializer(), max_length=MAX_STEPS)

    def validate(self, attrs):
        errors = check_steps(attrs["steps"], self.context["organization"].pk)
        if attrs["repeat"] and not any(step["delay_minutes"] for step in attrs["steps"]):
            errors["repeat"] = ["a chain that repeats needs a step with a delay"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class StepReadSerializer(serializers.Serializer):
    delay_minutes = StrictIntegerField()
    targets = serializers.ListField(child=TargetSerializer())


class PolicySerializer(serializers.ModelSerializer):
    """``context["warnings"]``: the warnings of each policy by id (``targets.warnings_of``)."""

    team_id = StrictUUIDField(read_only=True)
    steps = StepReadSerializer(many=True, read_only=True)
    warnings = serializers.SerializerMethodField(
        help_text="What keeps it from reaching people: not empty when no step reaches a person."
    )

    class Meta:
        model = EscalationPolicy
        fields = [
            "id",
            "team_id",
            "name",
            "repeat",
            "is_team_default",
            "steps",
            "warnings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_warnings(self, policy) -> list[str]:
        return self.context["warnings"][policy.pk]
