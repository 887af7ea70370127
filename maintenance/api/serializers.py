from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from incidents.api.serializers import ItemSerializer
from maintenance import windows
from maintenance.models import MaintenanceWindow
from pinghome.fields import StrictCharField, StrictIntegerField, StrictUUIDField
from rulesets.models import Ruleset
from schedules.recurrence import parse_time_of_day, validate_rule_fields
from webhooks.models import Webhook

MAX_SCOPE = 100


class RecurrenceSerializer(ItemSerializer):
    week_days = serializers.ListField(
        child=StrictIntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 (Sunday) .. 6 (Saturday), as in schedule entries.",
    )
    start_time = StrictCharField(max_length=8, help_text="HH:MM:SS or HH:MM")
    end_time = StrictCharField(
        max_length=8,
        help_text="HH:MM:SS or HH:MM; before start_time: overnight, owned by the start day.",
    )
    time_zone = StrictCharField(
        required=False, max_length=64, help_text="IANA time zone of the times; default UTC."
    )

    def validate(self, attrs):
        attrs = {**attrs, "time_zone": attrs.get("time_zone") or "UTC"}
        errors = validate_rule_fields(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return {
            "week_days": sorted(set(attrs["week_days"])),
            "start_time": _hms(attrs["start_time"]),
            "end_time": _hms(attrs["end_time"]),
            "time_zone": attrs["time_zone"],
        }


def _hms(value: str) -> str:
    seconds = parse_time_of_day(value)
    return f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"


class ScopeField(serializers.ListField):
    """Ids of objects of the caller's organization (``context["organization"]``)."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(child=StrictUUIDField(), required=False, max_length=MAX_SCOPE, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_SCOPE:  # before looking them up
            raise serializers.ValidationError(f"at most {MAX_SCOPE} ids")
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = {
            obj.pk: obj
            for obj in self.model.objects.filter(
                organization=self.context["organization"], pk__in=ids
            ).select_related(*(["team"] if self.model is not Team else []))
        }
        name = self.model._meta.verbose_name
        errors = {
            i: [f"no such {name} in your organization"]
            for i, pk in enumerate(ids)
            if pk not in found
        }
        if errors:
            raise serializers.ValidationError(errors)
        return [found[pk] for pk in ids]


class MaintenanceWindowWriteSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="After start; the window ends at this instant.")
    recurrence = RecurrenceSerializer(
        required=False,
        allow_null=True,
        help_text="null: active from start to end. Else only within this weekly time window, "
        "between start and end.",
    )
    webhook_ids = ScopeField(Webhook)
    ruleset_ids = ScopeField(Ruleset)
    team_ids = ScopeField(Team, help_text="All three empty: the whole organization.")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["must be after start"]})
        return {
            "reason": attrs["reason"],
            "start": attrs["start"],
            "end": attrs["end"],
            "recurrence": attrs.get("recurrence"),
            "webhooks": attrs.get("webhook_ids", []),
            "rulesets": attrs.get("ruleset_ids", []),
            "teams": attrs.get("team_ids", []),
        }


class OccurrenceSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    recurrence = RecurrenceSerializer(allow_null=True, read_only=True)
    webhook_ids = serializers.SerializerMethodField()
    ruleset_ids = serializers.SerializerMethodField()
    team_ids = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField(help_text="Whether it is active now.")
    next_occurrence = serializers.SerializerMethodField(
        help_text="The time it is active now or next, within 35 days; null if none."
    )

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "reason",
            "start",
            "end",
            "recurrence",
            "webhook_ids",
            "ruleset_ids",
            "team_ids",
            "active",
            "next_occurrence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_webhook_ids(self, window) -> list[str]:
        return [str(w.pk) for w in window.webhooks.all()]

    def get_ruleset_ids(self, window) -> list[str]:
        return [str(r.pk) for r in window.rulesets.all()]

    def get_team_ids(self, window) -> list[str]:
        return [str(t.pk) for t in window.teams.all()]

    def get_active(self, window) -> bool:
        return windows.window(window).active_at(timezone.now())

    @extend_schema_field(OccurrenceSerializer(allow_null=True))
    def get_next_occurrence(self, window):
        now = timezone.now()
        upcoming = [
            {"start": start, "end": end}
            for start, end in windows.window(window).occurrences(
                now - timedelta(days=1), now + timedelta(days=35)
            )
            if end > now
        ]
        return OccurrenceSerializer(upcoming[0]).data if upcoming else None
