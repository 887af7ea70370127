from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import Team
from escalation import services as escalation
from incidents import services
from incidents.api.serializers import (
    IncidentActionSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    IncidentWriteSerializer,
    MergeSerializer,
    NoteSerializer,
    SnoozeSerializer,
    TimelineEntrySerializer,
)
from incidents.filters import IncidentFilterSet
from incidents.models import Incident
from pinghome.api import (
    Conflict,
    OrganizationAPIView,
    created,
    filtered_keyset_page,
    ok,
)
from pinghome.openapi import CONFLICT, CREATED, ERRORS, KEYSET_PARAMETERS, MESSAGE
from rulesets.incident_fields import for_incident


class TeamIncidentsView(OrganizationAPIView):
    filterset_class = IncidentFilterSet

    @extend_schema(
        summary="Incidents of a team",
        description="Newest first. Filters and keyset paging are extensions: `q` searches the "
        "name, dedup key and assignees (a person's name or e-mail address, a team's name); "
        "`mine=true` keeps those assigned to the caller.",
        parameters=KEYSET_PARAMETERS("created_at"),
        responses={200: IncidentSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        filters = self.filterset_class(
            request.query_params, Incident.objects.filter(team=team), request=request
        )
        page = filtered_keyset_page(request, filters, "created_at")
        return Response(IncidentSerializer(page, many=True).data)


class TeamIncidentCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Open an incident by hand",
        request=IncidentWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = IncidentWriteSerializer(
            data=request.data, context={"organization": team.organization, "team": team}
        )
        body.is_valid(raise_exception=True)
        incident = services.create_incident(team, by=request.user, **body.validated_data)
        return created(incident.id)


class IncidentView(OrganizationAPIView):
    @extend_schema(
        summary="One incident (extension)",
        description="With `fields`: the key paths its ruleset names, and their values in the "
        "incident's latest event (what its page shows as labels and links).",
        responses={200: IncidentDetailSerializer, **ERRORS},
    )
    def get(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects.select_related("ruleset"), incident_id)
        incident.alert_fields, incident.alert_fields_note = for_incident(incident)
        return Response(IncidentDetailSerializer(incident).data)

    @extend_schema(
        summary="Update an incident",
        description=(
            "Edits name, description, urgency and assignees; `actions` are upserted by `id` "
            "(empty id: a new action). Extension: `status` acknowledges or resolves; a resolved "
            "incident answers 409 to any other status. Extension: `escalation_policy_id` "
            "(one of its team's) restarts its escalation from step 1 with that policy."
        ),
        request=IncidentUpdateSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects.select_related("team"), incident_id)
        body = IncidentUpdateSerializer(
            data=request.data, context={"organization": self.organization, "team": incident.team}
        )
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        actions, status = data.pop("actions", None), data.pop("status", None)
        try:
            services.update_incident(
                incident, by=request.user, changes=data, actions=actions, status=status
            )
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from None
        return ok("Incident updated.")


class IncidentEscalateView(OrganizationAPIView):
    @extend_schema(
        summary="Run the next escalation step now (extension)",
        description="Pages the targets of the incident's next step at once; the one after is "
        "due its delay later. 409 when the incident is not triggered or no step is left.",
        request=None,
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        try:
            escalation.escalate_now(incident, by=request.user)
        except escalation.CannotEscalate as exc:
            raise Conflict(str(exc)) from None
        return ok("Escalated.")


class IncidentSnoozeView(OrganizationAPIView):
    @extend_schema(
        summary="Snooze an incident (extension)",
        description="Acknowledged until `minutes` from now (a triggered incident is acknowledged "
        "now), then triggered again with its escalation from step 1; `snoozed_until` of the "
        "incident says when. Snoozing again sets a new time; resolving ends the snooze. 409 "
        "for a resolved incident.",
        request=SnoozeSerializer,
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        body = SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            incident = services.snooze_incident(
                incident, by=request.user, minutes=body.validated_data["minutes"]
            )
        except services.TransitionError as exc:
            raise Conflict(str(exc)) from None
        return ok(f"Snoozed until {incident.snoozed_until:%Y-%m-%dT%H:%M:%SZ}.")


class IncidentNoteView(OrganizationAPIView):
    @extend_schema(
        summary="Add a note to an incident's timeline (extension)",
        description="A responder's note, shown on the timeline with its author and time; "
        "audited. `text`: 1 to 10,000 characters of plain text.",
        request=NoteSerializer,
        responses={
            201: inline_serializer(
                "NoteCreated",
                {
                    "id": serializers.CharField(
                        help_text="The timeline entry's id (an integer, as text).",
                    )
                },
            ),
            **ERRORS,
        },
    )
    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.add_note(incident, by=request.user, text=body.validated_data["text"])
        return created(entry.pk)


class IncidentMergeView(OrganizationAPIView):
    @extend_schema(
        summary="Merge duplicates into an incident (extension)",
        description="The events and timeline entries of `incident_ids` move to this incident; "
        "each of them is resolved (its actions undone, its pages cancelled) with "
        "`merged_into_id` set to this one. A later event of a duplicate's dedup key opens a new "
        "incident. 409 when this incident, or one of them, is resolved meanwhile.",
        request=MergeSerializer,
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        if incident.is_resolved:
            raise Conflict("a resolved incident cannot take others in")
        body = MergeSerializer(
            data=request.data, context={"organization": self.organization, "target": incident}
        )
        body.is_valid(raise_exception=True)
        duplicates = body.validated_data["incident_ids"]
        try:
            services.merge_incidents(incident, duplicates, by=request.user)
        except services.MergeError as exc:
            raise Conflict(str(exc)) from None
        return ok(f"Merged {len(duplicates)} incident(s) into this one.")


class IncidentActionsView(OrganizationAPIView):
    @extend_schema(
        summary="Actions of an incident with their execution state",
        responses={200: IncidentActionSerializer(many=True), **ERRORS},
    )
    def get(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        return Response(IncidentActionSerializer(incident.actions.all(), many=True).data)


class IncidentTimelineView(OrganizationAPIView):
    @extend_schema(
        summary="Timeline of an incident (extension)",
        description="Every change of the incident, oldest first.",
        responses={200: TimelineEntrySerializer(many=True), **ERRORS},
    )
    def get(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        return Response(TimelineEntrySerializer(incident.timeline.all(), many=True).data)
