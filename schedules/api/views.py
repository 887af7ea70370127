from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Team, TeamMember
from pinghome.api import Conflict, OrganizationAPIView, invalid, ok, parse_uuid
from pinghome.openapi import CONFLICT, ERRORS, MESSAGE
from schedules import services
from schedules.api.serializers import (
    ScheduleDeleteQuerySerializer,
    ScheduleEntrySerializer,
    ScheduleRuleSerializer,
    ScheduleUpdateSerializer,
)
from schedules.models import ScheduleEntry

ENTRY_CREATED = inline_serializer(
    "ScheduleEntryCreated",
    {"id": serializers.UUIDField(), "created_at": serializers.DateTimeField()},
)


class CustomerScheduleView(OrganizationAPIView):
    @extend_schema(
        summary="Schedule entries of every team of the organization (the customer)",
        responses={200: ScheduleEntrySerializer(many=True), **ERRORS},
    )
    def get(self, request, organization_id):
        if parse_uuid(organization_id) != self.organization.id:
            raise NotFound("Not found.")
        entries = ScheduleEntry.objects.filter(team__organization=self.organization).order_by(
            "team_id", "created_at"
        )
        return Response(ScheduleEntrySerializer(entries, many=True).data)


class TeamScheduleView(OrganizationAPIView):
    def _member(self, team: Team, member_id) -> TeamMember:
        member = team.members.filter(pk=member_id).first()
        if member is None:
            raise invalid({"team_member_id": ["no such member in this team"]})
        return member

    @extend_schema(
        summary="Create an on-call schedule entry",
        description="`created_at` is set by the server; with `team_member_id` it names the entry.",
        request=ScheduleRuleSerializer,
        responses={201: ENTRY_CREATED, **ERRORS, **CONFLICT},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = ScheduleRuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule = dict(body.validated_data)
        member = self._member(team, rule.pop("team_member_id"))
        try:
            entry = services.create_entry(team, member, rule, by=request.user)
        except services.DuplicateEntry as exc:
            raise Conflict(str(exc)) from None
        return Response(
            {"id": str(entry.id), "created_at": ScheduleEntrySerializer(entry).data["created_at"]},
            status=201,
        )

    @extend_schema(
        summary="Replace the rule of a schedule entry",
        description="Finds the entry by `team_member_id` + `created_at` (compared as instants); "
        "replaces every rule field.",
        request=ScheduleUpdateSerializer,
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def put(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = ScheduleUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule = dict(body.validated_data)
        entry = services.find_entry(team, rule.pop("team_member_id"), rule.pop("created_at"))
        if entry is None:
            raise NotFound("No schedule entry for this team member at this created_at.")
        try:
            services.replace_rule(entry, rule, by=request.user)
        except services.DuplicateEntry as exc:
            raise Conflict(str(exc)) from None
        return ok("Schedule updated.")

    @extend_schema(
        summary="Delete a schedule entry",
        parameters=[
            OpenApiParameter("team_member_id", OpenApiTypes.UUID, required=True),
            OpenApiParameter(
                "created_at", OpenApiTypes.DATETIME, required=True, description="RFC 3339"
            ),
        ],
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        query = ScheduleDeleteQuerySerializer(data=_plus_decoded(request.query_params))
        query.is_valid(raise_exception=True)
        entry = services.find_entry(
            team, query.validated_data["team_member_id"], query.validated_data["created_at"]
        )
        if entry is None:
            raise NotFound("No schedule entry for this team member at this created_at.")
        services.delete_entry(entry, by=request.user)
        return ok("Schedule deleted.")


def _plus_decoded(params) -> dict[str, str]:
    """A '+' of an offset arrives as a space when the client did not percent-encode it."""
    return {key: params[key].replace(" ", "+") for key in params}
