import json

from django.conf import settings
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from escalation.models import EscalationPolicy
from incidents.api.serializers import ActionsField, AssigneesField
from incidents.models import Urgency
from pinghome.fields import (
    ClosedSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from rulesets import dry_run
from rulesets.conditions import (
    CONDITION_TYPES,
    MAX_CONDITIONS,
    MAX_KEY_LENGTH,
    MAX_VALUE_LENGTH,
    MAX_VALUES,
    OPERATORS,
    KeyPathError,
    parse_key_path,
    validate_conditions,
)
from rulesets.incident_fields import MAX_FIELDS, field_errors
from rulesets.models import (
    AUTO_RESOLVE_MAX_SECONDS,
    AUTO_RESOLVE_MIN_SECONDS,
    Level,
    Ruleset,
    RulesetAction,
    RuleType,
)
from rulesets.templating import template_errors
from webhooks.models import Webhook

CONDITION_KEYS = ("type", "key", "operator")


CONDITIONS_SCHEMA = {
    "type": "array",
    "maxItems": MAX_CONDITIONS,
    "items": {
        "type": "object",
        "required": ["type", "key", "operator"],
        "properties": {
            "type": {"type": "string", "enum": list(CONDITION_TYPES)},
            "key": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "operator": {"type": "string", "enum": list(OPERATORS)},
            "values": {
                "type": "array",
                "maxItems": MAX_VALUES,
                "items": {"type": "string", "maxLength": MAX_VALUE_LENGTH},
            },
        },
    },
}


@extend_schema_field(CONDITIONS_SCHEMA)
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


def _template(value: str) -> str:
    if errors := template_errors(value):
        raise serializers.ValidationError(errors)
    return value


class FieldPathsField(serializers.JSONField):
    """The key paths shown on the ruleset's incidents (``rulesets.incident_fields``)."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        errors = field_errors(data)
        if errors:
            raise serializers.ValidationError(
                {key.partition(".")[2]: value for key, value in errors.items()}
                if "fields" not in errors
                else errors["fields"]
            )
        return data


class RulesetWriteSerializer(serializers.Serializer):
    rule_type = serializers.ChoiceField(choices=RuleType.choices)
    conditions = ConditionsField()
    level = serializers.ChoiceField(choices=Level.choices)
    team_id = StrictUUIDField()
    name = StrictCharField(max_length=200)
    description = StrictCharField(allow_blank=True, max_length=20000)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    assignees = AssigneesField(required=False)
    # Extensions
    webhook_ids = serializers.ListField(
        child=StrictUUIDField(),
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
        help_text="Extension: incident name template with {{ key.path }} placeholders "
        '({{ key.path | default: "unknown" }} when it may be absent); blank: the ruleset\'s name.',
    )
    incident_description = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Extension: incident description template, as incident_name; blank: the "
        "alert's own description (Alertmanager's annotations, CloudWatch's AlarmDescription...).",
    )
    escalation_policy_id = StrictUUIDField(
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
    fields = FieldPathsField(
        required=False,
        help_text=f"Extension: key paths (at most {MAX_FIELDS}, e.g. commonLabels.severity, "
        "annotations.runbook_url) whose values the incident's page shows as labels, http(s) "
        "URLs as links, read from its latest event.",
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

    def validate_incident_name(self, value):
        return _template(value)

    def validate_incident_description(self, value):
        return _template(value)

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
    team_id = StrictUUIDField(read_only=True)
    escalation_policy_id = StrictUUIDField(read_only=True, allow_null=True)
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
            "incident_description",
            "fields",
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


MAX_TEST_HEADERS = 100
MAX_HEADER_NAME = 200
MAX_HEADER_VALUE = 8192


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": MAX_TEST_HEADERS,
        "additionalProperties": {"type": "string", "maxLength": MAX_HEADER_VALUE},
    }
)
class HeadersField(serializers.DictField):
    """HTTP headers by name: at most ``MAX_TEST_HEADERS``, each name not blank (which OpenAPI 3.0
    cannot say: it has no ``propertyNames``)."""

    child = StrictCharField(allow_blank=True, max_length=MAX_HEADER_VALUE)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > MAX_TEST_HEADERS:
            raise serializers.ValidationError(f"at most {MAX_TEST_HEADERS} headers are allowed")
        if any(not name.strip() or len(name) > MAX_HEADER_NAME for name in value):
            raise serializers.ValidationError(
                f"a header name is 1 to {MAX_HEADER_NAME} characters, not all blank"
            )
        return value


class PayloadSerializer(serializers.Serializer):
    """A body to test a ruleset on, as a sender would POST it; ``body`` its bytes."""

    payload = serializers.JSONField(
        allow_null=True,
        help_text="A body to test, as a sender would POST it: any JSON (a string is the raw "
        "text). Taken as received now by the ruleset's first webhook (else the organization's "
        "oldest).",
    )
    headers = HeadersField(
        required=False,
        help_text=f"The payload's HTTP headers, by name (at most {MAX_TEST_HEADERS}; names 1 to "
        f"{MAX_HEADER_NAME} characters, not blank).",
    )
    content_type = StrictCharField(required=False, max_length=255, default="application/json")

    def validate(self, attrs):
        if "payload" in attrs:
            payload = attrs["payload"]
            body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            attrs["body"] = body.encode("utf-8", "surrogatepass")
            if len(attrs["body"]) > settings.WEBHOOK_MAX_BODY_BYTES:
                raise serializers.ValidationError(
                    {"payload": [f"larger than {settings.WEBHOOK_MAX_BODY_BYTES} bytes"]}
                )
        return attrs


class RulesetTestSerializer(ClosedSerializer):
    """``POST /v1/ruleset/test``: a ruleset body and what to try it on, in one of two forms."""

    ruleset = RulesetWriteSerializer(help_text="The ruleset to test, as POST /v1/ruleset takes it.")


class RulesetTestOnPayloadSerializer(RulesetTestSerializer, PayloadSerializer):
    """A ruleset test on a payload, as a sender would POST it."""


class RulesetTestOnEventsSerializer(RulesetTestSerializer):
    """A ruleset test on stored events."""

    event_ids = serializers.ListField(
        child=StrictUUIDField(),
        min_length=1,
        max_length=dry_run.MAX_EVENT_IDS,
        help_text=f"Stored events to test (at most {dry_run.MAX_EVENT_IDS}), any webhook's of the "
        "organization; one that is not its: 404.",
    )


RULESET_TEST_REQUEST = PolymorphicProxySerializer(
    component_name="RulesetTest",
    serializers=[RulesetTestOnPayloadSerializer, RulesetTestOnEventsSerializer],
    resource_type_field_name=None,
)


def ruleset_test_body(data, context: dict) -> dict:
    """The validated body of a ruleset test, in the form it takes: with ``payload`` (and its
    headers) or with ``event_ids``, never both, nor any other field."""
    given = [name for name in ("payload", "event_ids") if isinstance(data, dict) and name in data]
    if len(given) != 1:
        either = "give either payload or event_ids"
        raise serializers.ValidationError(
            {name: [either] for name in given or ["payload", "event_ids"]}
        )
    form = (
        RulesetTestOnEventsSerializer if given == ["event_ids"] else RulesetTestOnPayloadSerializer
    )
    body = form(data=data, context=context)
    body.is_valid(raise_exception=True)
    return body.validated_data


class ConditionCheckSerializer(serializers.Serializer):
    type = serializers.CharField()
    key = serializers.CharField()
    operator = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField())
    held = serializers.BooleanField()
    found = serializers.ListField(
        child=serializers.CharField(),
        help_text=f"The first {dry_run.SHOWN_VALUES} values at the key path (or the header's), "
        f"each cut at {dry_run.SHOWN_CHARS} characters; [] when absent.",
    )
    found_count = serializers.IntegerField()


class RecordedSerializer(serializers.Serializer):
    outcome = serializers.CharField(
        help_text="Evaluation's outcome (opened, attached, resolved, suppressed, "
        "no-open-incident, no-match, no-dedup-key, stale, error), or not-applied: the ruleset "
        "did not evaluate it (disabled, not listening to its webhook, or created after it)."
    )
    detail = serializers.CharField(required=False)
    incident_id = serializers.UUIDField(required=False)
    maintenance_window_id = serializers.UUIDField(required=False)


class ExplanationSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(allow_null=True, help_text="null for the payload")
    webhook_id = serializers.UUIDField()
    received_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(
        choices=list(dry_run.OUTCOMES),
        help_text="What it would do now: open, attach (to the open incident of its dedup key), "
        "resolve, no-open-incident (would resolve; none is open), no-match, no-dedup-key, "
        "suppressed (would open or attach, but a maintenance window active now suppresses it: "
        "`maintenance_window_id`), disabled (the ruleset is disabled), not-listening (the "
        "ruleset does not listen to the event's webhook), error (detail says why), not-tested "
        "(the run's time limit was reached). For disabled and not-listening, `detail` says "
        "what it would do otherwise.",
    )
    maintenance_window_id = serializers.UUIDField(
        allow_null=True, help_text="The maintenance window that would suppress it."
    )
    when_received = RecordedSerializer(
        allow_null=True,
        help_text="A stored event tested by a saved ruleset: what that ruleset did when the "
        "event was evaluated (null while it is pending, for a payload, or a new ruleset).",
    )
    dedup_key = serializers.CharField(allow_null=True)
    incident_name = serializers.CharField(help_text="The name it renders (open and attach).")
    incident_description = serializers.CharField()
    incident_id = serializers.UUIDField(
        allow_null=True, help_text="The open incident it would attach to or resolve."
    )
    conditions = ConditionCheckSerializer(many=True)
    resolve_conditions = ConditionCheckSerializer(many=True, allow_null=True)
    detail = serializers.CharField(
        help_text="Why it is an error; else, for open and attach, a stored name or description "
        "template that no longer parses and what is used instead; else empty."
    )


class RulesetTestResultSerializer(serializers.Serializer):
    results = ExplanationSerializer(many=True)
