import django_filters

from accounts.models import Team
from incidents.models import Incident, IncidentStatus, Urgency


def _teams(request):
    if request is None or not getattr(request.user, "organization_id", None):
        return Team.objects.none()
    return Team.objects.filter(organization_id=request.user.organization_id)


class IncidentFilterSet(django_filters.FilterSet):
    """Shared by the API and the pages."""

    team = django_filters.ModelChoiceFilter(queryset=_teams, empty_label="All teams")
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    urgency = django_filters.MultipleChoiceFilter(choices=Urgency.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ruleset_id = django_filters.UUIDFilter(field_name="ruleset_id")

    class Meta:
        model = Incident
        fields = ["team", "status", "urgency", "created_after", "created_before", "ruleset_id"]
