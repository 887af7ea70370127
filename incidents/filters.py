import django_filters

from incidents.models import Incident, IncidentStatus, Urgency


class IncidentFilterSet(django_filters.FilterSet):
    """Shared by the API and the pages."""

    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ruleset_id = django_filters.UUIDFilter(field_name="ruleset_id")

    class Meta:
        model = Incident
        fields = ["status", "urgency", "created_after", "created_before", "ruleset_id"]
