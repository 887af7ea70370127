from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from pinghome.fields import StrictCharField, StrictUUIDField
from schedules.models import ScheduleEntry
from schedules.recurrence import validate_rule_fields

LIST_HELP = "Array of integers; empty, null or omitted means any; repeated values count once."
# What schedules.recurrence.parse_time_of_day takes.
TIME_OF_DAY = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}


@extend_schema_field(TIME_OF_DAY)
class TimeOfDayField(StrictCharField):
    """``HH:MM`` or ``HH:MM:SS`` as written (no whitespace trimmed), checked by the recurrence
    engine; the schema gives its pattern."""

    def __init__(self, **kwargs):
        super().__init__(max_length=8, trim_whitespace=False, **kwargs)


@extend_schema_field(TIME_OF_DAY)
class TimeOfDayOutField(serializers.TimeField):
    """A time of day as answers give it, ``HH:MM:SS`` (OpenAPI's ``time`` format wants an
    offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M:%S", **kwargs)


def int_list_field(values: list[int], **schema) -> type[serializers.JSONField]:
    """A JSON field the schema says is a list of some of ``values`` (the recurrence engine checks
    it, naming the field)."""

    class IntListField(serializers.JSONField):
        pass

    items = {"type": "integer", "enum": values}
    return extend_schema_field({"type": "array", "items": items, **schema})(IntListField)


MonthsField = int_list_field(list(range(1, 13)), nullable=True)
WeeksField = int_list_field([*range(-5, 0), *range(1, 6)], nullable=True)
WeekDaysField = int_list_field(list(range(7)), minItems=1)


class ScheduleRuleSerializer(serializers.Serializer):
    """The rule fields of an entry; their invariants are the recurrence engine's own validation."""

    team_member_id = StrictUUIDField()
    start_date = serializers.DateTimeField(required=False, allow_null=True)
    end_date = serializers.DateTimeField(required=False, allow_null=True)
    months_of_year = MonthsField(required=False, allow_null=True, help_text=f"1-12. {LIST_HELP}")
    weeks_of_month = WeeksField(
        required=False,
        allow_null=True,
        help_text=f"1..5 or -1..-5 (from the end of the month). {LIST_HELP}",
    )
    week_days = WeekDaysField(help_text="0 (Sunday) .. 6 (Saturday); at least one.")
    start_time = TimeOfDayField(help_text="HH:MM:SS or HH:MM")
    end_time = TimeOfDayField(help_text="HH:MM:SS or HH:MM")
    time_zone = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Extension: IANA time zone of the times; default the team's.",
    )

    def validate(self, attrs):
        errors = _rule_errors(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict) or not isinstance(data, Mapping):
                raise
            # A field-level error (say team_member_id) would skip the rule checks of validate():
            # run them on the fields that did parse, so every invalid field is named at once.
            parsed = {}
            for name, field in self.fields.items():
                primitive = field.get_value(data)
                if name in exc.detail or field.read_only or primitive is empty:
                    continue
                try:
                    parsed[name] = field.run_validation(primitive)
                except serializers.ValidationError:
                    continue
            # Fields that failed (or are missing) are already named by their own error.
            extra = {
                name: messages for name, messages in _rule_errors(parsed).items() if name in parsed
            }
            raise serializers.ValidationError({**extra, **exc.detail}) from None


def _rule_errors(attrs: Mapping[str, Any]) -> dict[str, list[str]]:
    return validate_rule_fields({**attrs, "time_zone": attrs.get("time_zone") or None})


class ScheduleUpdateSerializer(ScheduleRuleSerializer):
    created_at = serializers.DateTimeField(help_text="Identifies the entry, with team_member_id.")


class ScheduleDeleteQuerySerializer(serializers.Serializer):
    team_member_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()


class ScheduleEntrySerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True)
    team_member_id = StrictUUIDField(read_only=True)
    start_time = TimeOfDayOutField(read_only=True)
    end_time = TimeOfDayOutField(read_only=True)

    class Meta:
        model = ScheduleEntry
        fields = [
            "id",
            "team_id",
            "team_member_id",
            "created_at",
            "start_date",
            "end_date",
            "months_of_year",
            "weeks_of_month",
            "week_days",
            "start_time",
            "end_time",
            "time_zone",
        ]
        read_only_fields = fields
