from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import TeamMemberSerializer, TeamSerializer
from accounts.models import Team
from pinghome.api import OrganizationAPIView
from pinghome.openapi import ERRORS


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
