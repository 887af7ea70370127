import django_filters
from django import forms

from accounts.models import Team
from incidents import listing
from incidents.models import Incident, IncidentStatus, Urgency


def _teams(request):
    if request is None or not getattr(request.user, "organization_id", None):
        return Team.objects.none()
    return Team.objects.filter(organization_id=request.user.organization_id)


class IncidentFilterSet(django_filters.FilterSet):
    """Shared by the API and the pages."""

    team = django_filters.ModelChoiceFilter(queryset=_teams, empty_label="All teams")
    # Check boxes on the page: three and four of them fit a phone's width, a list box does not.
    status = django_filters.MultipleChoiceFilter(
        choices=IncidentStatus.choices, widget=forms.CheckboxSelectMultiple
    )
    urgency = django_filters.MultipleChoiceFilter(
        choices=Urgency.choices, widget=forms.CheckboxSelectMultiple
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ruleset_id = django_filters.UUIDFilter(field_name="ruleset_id")
    q = django_filters.CharFilter(
        method="search", max_length=200, label="Search name, dedup key, assignee"
    )
    mine = django_filters.BooleanFilter(method="assigned_to_me", label="Assigned to me")

    class Meta:
        model = Incident
        fields = [
            "team",
            "status",
            "urgency",
            "created_after",
            "created_before",
            "ruleset_id",
            "q",
            "mine",
        ]

    def search(self, queryset, name, value):
        return listing.search(queryset, value, self.request.user.organization_id)

    def assigned_to_me(self, queryset, name, value):
        return listing.mine(queryset, self.request.user) if value else queryset
