from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import TeamMemberSerializer, TeamSerializer, TeamSettingsSerializer
from accounts.models import Team
from pinghome.api import OrganizationAPIView, ok
from pinghome.openapi import ERRORS, MESSAGE


class HealthCheckView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Service health",
        auth=[],
        responses={200: inline_serializer("Health", {"message": serializers.CharField()})},
    )
    def get(self, request):
        return Response({"message": "Service is operational."})


class TeamListView(OrganizationAPIView):
    @extend_schema(
        summary="Teams of the organization (extension)",
        responses={200: TeamSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return Response(TeamSerializer(self.organization.teams.all(), many=True).data)


class TeamMemberListView(OrganizationAPIView):
    @extend_schema(
        summary="Members of a team (extension)",
        responses={200: TeamMemberSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        members = team.members.select_related("user").order_by("created_at")
        return Response(TeamMemberSerializer(members, many=True).data)


class TeamView(OrganizationAPIView):
    @extend_schema(summary="One team (extension)", responses={200: TeamSerializer, **ERRORS})
    def get(self, request, team_id):
        return Response(TeamSerializer(self.get_in_organization(Team.objects, team_id)).data)

    @extend_schema(
        summary="Change a team's on-call settings (extension)",
        description="Organization admins only. Omitted fields keep their value.",
        request=TeamSettingsSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = TeamSettingsSerializer(data=request.data, context={"team": team})
        body.is_valid(raise_exception=True)
        services.update_team_settings(team, by=request.user, **body.validated_data)
        return ok("Team updated.")
