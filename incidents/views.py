"""Responder pages: the incident list and an incident's detail, with acknowledge and resolve."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team, TeamMember
from escalation import services as escalation
from incidents import services
from incidents.filters import IncidentFilterSet
from incidents.forms import IncidentEditForm, assignee_value
from incidents.models import (
    AssigneeType,
    Incident,
    IncidentAction,
    IncidentEvent,
    IncidentStatus,
    TimelineEntry,
)
from pinghome.api import parse_uuid
from pinghome.pages import OrganizationPageMixin
from statuspages.models import Component, ComponentHold
from webhooks.models import WebhookEvent
from webhooks.pages import prepare_events, with_body_preview

PAGE_SIZE = 100
TIMELINE_CAP = 500
TIMELINE_PREVIEW_BYTES = 4 * 1024
EVENTS_SHOWN = 50


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
            .defer("description")
            .order_by("-created_at", "-id")
        )
        filterset = IncidentFilterSet(self.request.GET or None, queryset, request=self.request)
        # Unresolved first, then resolved, newest first in each: two short top-N queries rather
        # than one sort of every incident of the organization by a computed key.
        incidents = list(filterset.qs.exclude(status=IncidentStatus.RESOLVED)[:PAGE_SIZE])
        if len(incidents) < PAGE_SIZE:
            incidents += filterset.qs.filter(status=IncidentStatus.RESOLVED)[
                : PAGE_SIZE - len(incidents)
            ]
        return super().get_context_data(
            nav="incidents",
            filterset=filterset,
            incidents=with_assignee_names(incidents),
            page_size=PAGE_SIZE,
            **kwargs,
        )


class IncidentTransitionView(OrganizationPageMixin, View):
    """POST acknowledge / resolve / escalate (its next escalation step now), then back to where
    the responder was."""

    def post(self, request, incident_id, transition):
        incident = self.get_in_organization(Incident.objects, incident_id)
        action = {
            "acknowledge": services.acknowledge,
            "resolve": services.resolve,
            "escalate": escalation.escalate_now,
        }.get(transition)
        if action is None:
            return redirect("incident-list")
        try:
            moved = action(incident, by=request.user)
        except (services.TransitionError, escalation.CannotEscalate) as exc:
            messages.error(request, str(exc))
        else:
            if transition == "escalate":
                messages.success(request, f"{incident.name}: escalated.")
            elif moved:
                messages.success(request, f"{incident.name}: {incident.status}.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)


class IncidentDetailView(OrganizationPageMixin, TemplateView):
    """Everything about one incident, and the form that edits it: a bounded number of queries."""

    template_name = "incidents/incident_detail.html"

    def get_incident(self, incident_id) -> Incident:
        return self.get_in_organization(
            Incident.objects.select_related("team", "ruleset"), incident_id
        )

    def get(self, request, incident_id):
        incident = self.get_incident(incident_id)
        form = IncidentEditForm(organization=self.organization, incident=incident)
        return self.render_to_response(self.get_context_data(incident=incident, form=form))

    def post(self, request, incident_id):
        incident = self.get_incident(incident_id)
        form = IncidentEditForm(request.POST, organization=self.organization, incident=incident)
        if not form.is_valid():
            messages.error(request, "The incident was not saved: see the errors below.")
            return self.render_to_response(
                self.get_context_data(incident=incident, form=form), status=422
            )
        services.update_incident(incident, by=request.user, changes=form.changes)
        messages.success(request, "Incident saved.")
        return redirect("incident-detail", incident_id=incident.pk)

    def get_context_data(self, *, incident: Incident, form: IncidentEditForm, **kwargs):
        labels = form.assignee_labels()
        assignees = [
            labels.get(assignee_value(a), "unknown (no longer in the organization)")
            for a in incident.assignees
        ]
        timeline, timeline_capped = latest_timeline(incident)
        attached = prepare_events(
            list(
                with_body_preview(
                    # The latest links by id (attachment order) first: sorting every attached
                    # event by received_at would read them all on a long-lived incident.
                    WebhookEvent.objects.filter(
                        pk__in=IncidentEvent.objects.filter(incident=incident)
                        .order_by("-id")
                        .values("event_id")[:EVENTS_SHOWN]
                    )
                    .select_related("webhook")
                    .order_by("-received_at", "-id"),
                    fields=("received_at", "content_type", "ip", "webhook__name"),
                )[:EVENTS_SHOWN]
            )
        )
        actions = list(incident.actions.all())
        return super().get_context_data(
            nav="incidents",
            incident=incident,
            escalation=escalation.progress(incident),
            form=form,
            assignees=assignees,
            timeline=timeline,
            timeline_capped=timeline_capped,
            events=attached,
            actions=with_component_names(actions, incident.organization_id),
            holds=ComponentHold.objects.filter(incident=incident)
            .select_related("component__status_page")
            .order_by("component__status_page__name", "component__name"),
            **kwargs,
        )


def latest_timeline(incident: Incident) -> tuple[list[TimelineEntry], bool]:
    """The latest TIMELINE_CAP entries, newest first, with the events they reference folded in,
    and whether older entries were left out. Two queries whatever the length (no COUNT: on a
    long timeline it would cost more than the page).
    """
    entries = list(
        incident.timeline.select_related("actor_user").order_by("-created_at", "-id")[
            : TIMELINE_CAP + 1
        ]
    )
    capped, entries = len(entries) > TIMELINE_CAP, entries[:TIMELINE_CAP]
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        entry.referenced_event_id = (
            parse_uuid(data.get("event_id")) if data.get("event_id") else None
        )
    wanted = {entry.referenced_event_id for entry in entries} - {None}
    events = WebhookEvent.objects.filter(
        pk__in=wanted, webhook__organization_id=incident.organization_id
    )
    shown = {
        event.pk: event
        for event in prepare_events(
            list(
                with_body_preview(
                    events, TIMELINE_PREVIEW_BYTES, fields=("webhook_id", "content_type")
                )
            )
            if wanted
            else []
        )
    }
    for entry in entries:
        entry.event = shown.get(entry.referenced_event_id)
    return entries, capped


def with_component_names(actions: list[IncidentAction], organization_id) -> list[IncidentAction]:
    """``targets`` of each action: the components its settings name (one query for all)."""
    wanted = {
        parse_uuid(item.get("component_id"))
        for action in actions
        for item in action.settings or []
        if isinstance(item, dict)
    }
    wanted.discard(None)
    names = (
        {
            pk: f"{page} / {name}"
            for pk, name, page in Component.objects.filter(
                pk__in=wanted, status_page__organization_id=organization_id
            ).values_list("pk", "name", "status_page__name")
        }
        if wanted
        else {}
    )
    for action in actions:
        action.targets = [
            names.get(parse_uuid(item.get("component_id")), "a removed component")
            for item in action.settings or []
            if isinstance(item, dict) and item.get("component_id")
        ]
    return actions
