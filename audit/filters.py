import django_filters
from django import forms

from audit.models import AuditAction, AuditRecord

# On the page, a date-time input (UTC); the API takes any RFC 3339 instant.
LOCAL_TIME = forms.DateTimeInput(attrs={"type": "datetime-local"})


class AuditRecordFilterSet(django_filters.FilterSet):
    """Shared by ``GET /v1/audit-log`` and the Audit log page (as NetBox shares its filtersets)."""

    object_type = django_filters.CharFilter(
        max_length=50, help_text="team, teammember, ruleset, webhook, apitoken..."
    )
    object_id = django_filters.CharFilter(max_length=100)
    actor_id = django_filters.UUIDFilter(help_text="The user who acted.")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, empty_label="Any change")
    # "from" is a Python keyword: declared through the class namespace.
    vars()["from"] = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="From", widget=LOCAL_TIME
    )
    to = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="To", widget=LOCAL_TIME
    )

    class Meta:
        model = AuditRecord
        fields = ["object_type", "object_id", "actor_id", "action", "from", "to"]
