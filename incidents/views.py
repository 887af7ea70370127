"""Responder pages: the incident list and an incident's detail, with acknowledge and resolve."""

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team, TeamMember
from incidents import services
from incidents.filters import IncidentFilterSet
from incidents.models import AssigneeType, Incident, IncidentStatus
from pinghome.pages import OrganizationPageMixin

PAGE_SIZE = 100


def assignee_labels(incidents: list[Incident]) -> dict[str, str]:
    """Display names of every assignee of these incidents, in two queries."""
    ids = {kind: set() for kind in AssigneeType.values}
    for incident in incidents:
        for assignee in incident.assignees:
            ids.get(assignee.get("type"), set()).add(assignee.get("id"))
    labels = {
        str(pk): name
        for pk, name in Team.objects.filter(pk__in=ids[AssigneeType.TEAM]).values_list("pk", "name")
    }
    for pk, email, name in TeamMember.objects.filter(
        pk__in=ids[AssigneeType.TEAM_MEMBER]
    ).values_list("pk", "user__email", "user__name"):
        labels[str(pk)] = name or email
    return labels


def with_assignee_names(incidents: list[Incident]) -> list[Incident]:
    labels = assignee_labels(incidents)
    for incident in incidents:
        incident.assignee_names = [labels.get(a.get("id"), "unknown") for a in incident.assignees]
    return incidents


class IncidentListView(OrganizationPageMixin, TemplateView):
    template_name = "incidents/incident_list.html"

    def get_context_data(self, **kwargs):
        queryset = (
            Incident.objects.filter(organization=self.organization)
            .select_related("team")
            .annotate(
                resolved_last=Case(
                    When(status=IncidentStatus.RESOLVED, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            .order_by("resolved_last", "-created_at", "-id")
        )
        filterset = IncidentFilterSet(self.request.GET or None, queryset, request=self.request)
        incidents = with_assignee_names(list(filterset.qs[:PAGE_SIZE]))
        return super().get_context_data(
            nav="incidents", filterset=filterset, incidents=incidents, page_size=PAGE_SIZE, **kwargs
        )


class IncidentTransitionView(OrganizationPageMixin, View):
    """POST acknowledge / resolve, then back to where the responder was."""

    def post(self, request, incident_id, transition):
        incident = self.get_in_organization(Incident.objects, incident_id)
        action = {"acknowledge": services.acknowledge, "resolve": services.resolve}.get(transition)
        if action is None:
            return redirect("incident-list")
        try:
            moved = action(incident, by=request.user)
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            if moved:
                messages.success(request, f"{incident.name}: {incident.status}.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)


class IncidentDetailView(OrganizationPageMixin, TemplateView):
    template_name = "incidents/incident_detail.html"

    def get_context_data(self, incident_id, **kwargs):
        incident = self.get_in_organization(Incident.objects.select_related("team"), incident_id)
        return super().get_context_data(nav="incidents", incident=incident, **kwargs)
