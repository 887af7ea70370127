import uuid
from collections.abc import Mapping

from rest_framework import serializers

from incidents.actions import REGISTRY, action_type
from incidents.assignees import check_assignees
from incidents.models import (
    NOTE_MAX_LENGTH,
    SNOOZE_MAX_MINUTES,
    SNOOZE_MIN_MINUTES,
    AssigneeType,
    EscalationState,
    Incident,
    IncidentAction,
    IncidentStatus,
    TimelineEntry,
    Urgency,
)
from incidents.services import MERGE_MAX
from pinghome.fields import StrictCharField, StrictIntegerField, StrictUUIDField
from rulesets.incident_fields import SHOWN_CHARS, SHOWN_VALUES, Shown

MAX_ITEMS = 50


def new_id() -> str:
    return str(uuid.uuid4())


def canonical_id(value: str) -> str:
    """A UUID in its canonical spelling (ids compare as text); anything else unchanged."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


class ItemSerializer(serializers.Serializer):
    """An item of a list: when it is not an object the error is named ``list.N``.

    (``Serializer`` would report it under ``list.N.non_field_errors``.)
    """

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(["expected an object"])
        return super().to_internal_value(data)


class AssigneeSerializer(ItemSerializer):
    type = serializers.ChoiceField(choices=AssigneeType.choices)
    id = StrictUUIDField()

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


class ActionSerializer(ItemSerializer):
    """One action: its ``settings`` are validated by the action type's own serializer."""

    id = StrictCharField(required=False, allow_blank=True, max_length=64)
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
        if attrs.get("id"):
            attrs["id"] = canonical_id(attrs["id"])
        return attrs


class ActionsField(serializers.ListField):
    """Actions upserted by ``id``: an id may appear once."""

    def __init__(self, **kwargs):
        super().__init__(child=ActionSerializer(), max_length=MAX_ITEMS, **kwargs)

    def to_internal_value(self, data):
        actions = super().to_internal_value(data)
        seen: set[str] = set()
        duplicates = {}
        for index, action in enumerate(actions):
            if action.get("id") in seen:
                duplicates[index] = {"id": ["this action is already in the list"]}
            elif action.get("id"):
                seen.add(action["id"])
        if duplicates:
            raise serializers.ValidationError(duplicates)
        return actions


class EscalationPolicyIdField(StrictUUIDField):
    """An escalation policy of ``context["team"]`` (the incidents' team), given by id."""

    def to_internal_value(self, data):
        from escalation.models import EscalationPolicy

        policy = EscalationPolicy.objects.filter(
            team=self.context["team"], pk=super().to_internal_value(data)
        ).first()
        if policy is None:
            raise serializers.ValidationError(
                f"no such escalation policy in team {self.context['team'].name}"
            )
        return policy


class IncidentWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=500)
    description = StrictCharField(allow_blank=True, max_length=20000)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    assignees = AssigneesField(required=False)
    actions = ActionsField(required=False)
    escalation_policy_id = EscalationPolicyIdField(
        required=False,
        source="escalation_policy",
        help_text="Extension: the escalation policy it follows, one of its team's (default: "
        "its ruleset's, else the team's default). Changing it restarts the chain at step 1.",
    )


class IncidentUpdateSerializer(IncidentWriteSerializer):
    status = serializers.ChoiceField(
        choices=[IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED],
        required=False,
        help_text="Extension: move the incident along its lifecycle.",
    )


class SnoozeSerializer(serializers.Serializer):
    minutes = StrictIntegerField(
        min_value=SNOOZE_MIN_MINUTES,
        max_value=SNOOZE_MAX_MINUTES,
        help_text=f"How long, from {SNOOZE_MIN_MINUTES} to {SNOOZE_MAX_MINUTES} minutes (a week).",
    )


class IncidentEscalationSerializer(serializers.Serializer):
    policy_id = StrictUUIDField(source="escalation_policy_id", allow_null=True)
    state = serializers.ChoiceField(
        source="escalation_state",
        choices=EscalationState.choices,
        help_text="running: a next step is due; paused: acknowledged; finished: every step "
        "ran; stopped: resolved; none: no policy.",
    )
    cycle = StrictIntegerField(
        source="escalation_cycle",
        help_text="Passes through the chain so far (each repeat and each restart is one more).",
    )
    step = StrictIntegerField(
        source="escalation_step", help_text="The last step run in this cycle (0: none yet)."
    )
    repeats_left = StrictIntegerField(source="escalation_repeats_left")
    next_step_at = serializers.DateTimeField(
        source="next_escalation_at", allow_null=True, help_text="When the next step is due."
    )


class IncidentSerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True)
    ruleset_id = StrictUUIDField(read_only=True, allow_null=True)
    escalation_policy_id = StrictUUIDField(read_only=True, allow_null=True)
    escalation = IncidentEscalationSerializer(
        source="*", read_only=True, help_text="Extension: where the escalation chain is."
    )
    merged_into_id = StrictUUIDField(
        read_only=True,
        allow_null=True,
        help_text="Extension: the incident this one was merged into (it was resolved then).",
    )

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
            "escalation_policy_id",
            "escalation",
            "snoozed_until",
            "merged_into_id",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "snoozed_until": {
                "help_text": "Extension: when a snoozed incident is triggered again (null: not "
                "snoozed)."
            }
        }


class AlertFieldSerializer(serializers.Serializer):
    key = serializers.CharField(source="path", help_text="A key path of the ruleset's `fields`.")
    values = serializers.SerializerMethodField(
        help_text=f"Its values in the incident's latest event, as text: at most {SHOWN_VALUES}, "
        f"each cut to {SHOWN_CHARS} characters; empty when absent."
    )
    more = serializers.IntegerField(help_text="How many values there are beyond those listed.")

    def get_values(self, shown: Shown) -> list[str]:
        return [value.text for value in shown.values]


class IncidentDetailSerializer(IncidentSerializer):
    """One incident, with the alert fields its ruleset names (``for_incident``: one event read)."""

    fields = AlertFieldSerializer(
        source="alert_fields",
        many=True,
        read_only=True,
        help_text="Extension: the ruleset's `fields` (key paths), each with its values in the "
        "latest event, in the ruleset's order; empty without a ruleset or fields.",
    )
    fields_note = serializers.CharField(
        source="alert_fields_note",
        read_only=True,
        help_text='Extension: why not every field is given ("no event attached", an '
        "evaluation limit exceeded); empty when all are.",
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "fields", "fields_note"]
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


class NoteSerializer(serializers.Serializer):
    text = StrictCharField(max_length=NOTE_MAX_LENGTH, help_text="The note, plain text.")


class MergeSerializer(serializers.Serializer):
    """Incidents of the caller's organization (``context["organization"]``) to merge into
    ``context["target"]``: unresolved, other than it, each named once."""

    incident_ids = serializers.ListField(
        child=StrictUUIDField(),
        min_length=1,
        max_length=MERGE_MAX,
        help_text="The duplicates: their events and timelines move to this incident, and each "
        "is resolved with `merged_into_id` pointing at it.",
    )

    def validate_incident_ids(self, ids):
        target = self.context["target"]
        found = {
            incident.pk: incident
            for incident in Incident.objects.filter(
                organization=self.context["organization"], pk__in=ids
            )
        }
        errors, seen = {}, set()
        for index, pk in enumerate(ids):
            if pk == target.pk:
                errors[index] = ["the incident itself"]
            elif pk in seen:
                errors[index] = ["named twice"]
            elif pk not in found:
                errors[index] = ["no such incident in your organization"]
            elif found[pk].is_resolved:
                errors[index] = ["resolved already"]
            seen.add(pk)
        if errors:
            raise serializers.ValidationError(errors)
        return [found[pk] for pk in ids]
