from rest_framework import serializers

from accounts.models import Team
from escalation.models import EscalationPolicy
from incidents.api.serializers import ActionsField, AssigneesField
from incidents.models import Urgency
from pinghome.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from rulesets.conditions import KeyPathError, parse_key_path, validate_conditions
from rulesets.models import (
    AUTO_RESOLVE_MAX_SECONDS,
    AUTO_RESOLVE_MIN_SECONDS,
    Level,
    Ruleset,
    RulesetAction,
    RuleType,
)
from webhooks.models import Webhook

CONDITION_KEYS = ("type", "key", "operator")


class ConditionsField(serializers.JSONField):
    """A list of conditions, validated by the condition engine itself.

    Stored in their documented shape only: unknown keys are dropped, absent ``values`` is ``[]``.
    """

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        errors = validate_conditions(data, field="conditions")
        if errors:
            # Errors come keyed "conditions.0.operator"; nest them under this field's name.
            raise serializers.ValidationError(
                {key.partition(".")[2] or "": value for key, value in errors.items()}
                if any("." in key for key in errors)
                else next(iter(errors.values()))
            )
        return [
            {**{key: item[key] for key in CONDITION_KEYS}, "values": item.get("values", [])}
            for item in data
        ]


class RulesetWriteSerializer(serializers.Serializer):
    rule_type = serializers.ChoiceField(choices=RuleType.choices)
    conditions = ConditionsField()
    level = serializers.ChoiceField(choices=Level.choices)
    team_id = serializers.UUIDField()
    name = StrictCharField(max_length=200)
    description = StrictCharField(allow_blank=True, max_length=20000)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    assignees = AssigneesField(required=False)
    # Extensions
    webhook_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=100,
        help_text="Extension: webhooks listened to; empty: all of the organization's.",
    )
    dedup_key = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Extension: key path grouping events into one incident (default: the webhook).",
    )
    resolve_conditions = ConditionsField(
        required=False,
        allow_null=True,
        help_text="Extension: conditions of an event that resolves the open incident.",
    )
    enabled = StrictBooleanField(required=False, help_text="Extension; default true.")
    incident_name = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Extension: incident name template with {{ key.path }} placeholders.",
    )
    escalation_policy_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Extension: the escalation policy its incidents follow, one of its team's; "
        "null: the team's default.",
    )
    auto_resolve_after_seconds = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=AUTO_RESOLVE_MIN_SECONDS,
        max_value=AUTO_RESOLVE_MAX_SECONDS,
        help_text="Extension: its incidents that no event joins for this many seconds resolve "
        "themselves (checked every CHECK_INTERVAL_SECONDS); null: never. Not for heartbeats.",
    )

    def validate_team_id(self, value):
        team = Team.objects.filter(organization=self.context["organization"], pk=value).first()
        if team is None:
            raise serializers.ValidationError("no such team in your organization")
        return team

    def validate_webhook_ids(self, value):
        found = set(
            Webhook.objects.live()
            .filter(organization=self.context["organization"], pk__in=value)
            .values_list("pk", flat=True)
        )
        errors = [[] if pk in found else ["no such webhook in your organization"] for pk in value]
        if any(errors):
            raise serializers.ValidationError({i: e for i, e in enumerate(errors) if e})
        return list(dict.fromkeys(value))

    def validate_dedup_key(self, value):
        if value:
            try:
                parse_key_path(value)
            except KeyPathError as exc:
                raise serializers.ValidationError(f"invalid key path: {exc}") from None
        return value

    def validate(self, attrs):
        attrs["team"] = attrs.pop("team_id")
        if "escalation_policy_id" in attrs:
            policy_id = attrs.pop("escalation_policy_id")
            policy = (
                EscalationPolicy.objects.filter(team=attrs["team"], pk=policy_id).first()
                if policy_id
                else None
            )
            if policy_id and policy is None:
                raise serializers.ValidationError(
                    {"escalation_policy_id": [f"no such escalation policy in team {attrs['team']}"]}
                )
            attrs["escalation_policy"] = policy
        return attrs


class RulesetActionsWriteSerializer(serializers.Serializer):
    actions = ActionsField()


class RulesetActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RulesetAction
        fields = ["id", "type", "settings"]
        read_only_fields = fields


class RulesetSerializer(serializers.ModelSerializer):
    team_id = serializers.UUIDField(read_only=True)
    escalation_policy_id = serializers.UUIDField(read_only=True, allow_null=True)
    webhook_ids = serializers.SerializerMethodField()

    class Meta:
        model = Ruleset
        fields = [
            "id",
            "rule_type",
            "conditions",
            "level",
            "team_id",
            "name",
            "description",
            "urgency",
            "assignees",
            "webhook_ids",
            "dedup_key",
            "resolve_conditions",
            "enabled",
            "incident_name",
            "escalation_policy_id",
            "auto_resolve_after_seconds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_webhook_ids(self, ruleset) -> list[str]:
        return [str(webhook.pk) for webhook in ruleset.webhooks.all()]


class RulesetDetailSerializer(RulesetSerializer):
    actions = RulesetActionSerializer(many=True, read_only=True)

    class Meta(RulesetSerializer.Meta):
        fields = [*RulesetSerializer.Meta.fields, "actions"]
        read_only_fields = fields


class RulesetGroupsSerializer(serializers.Serializer):
    team = RulesetSerializer(many=True)
    organization = RulesetSerializer(many=True)
