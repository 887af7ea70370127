from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    TeamMemberSerializer,
    TeamSerializer,
    TeamSettingsSerializer,
    TokenSerializer,
    TokenWriteSerializer,
)
from accounts.models import Team
from escalation.services import with_default_policy
from pinghome.api import OrganizationAPIView, keyset_page, ok, parse_uuid
from pinghome.openapi import ERRORS, KEYSET_PARAMETERS, MESSAGE


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
        teams = with_default_policy(self.organization.teams.all())
        return Response(TeamSerializer(teams, many=True).data)


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
        team = self.get_in_organization(with_default_policy(Team.objects), team_id)
        return Response(TeamSerializer(team).data)

    @extend_schema(
        summary="Change a team's on-call settings (extension)",
        description="The team's managers and organization admins. Omitted fields keep their value.",
        request=TeamSettingsSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = TeamSettingsSerializer(data=request.data, context={"team": team})
        body.is_valid(raise_exception=True)
        services.update_team_settings(team, by=request.user, **body.validated_data)
        return ok("Team updated.")


class TokenListView(OrganizationAPIView):
    @extend_schema(
        summary="API tokens (extension)",
        description="Yours; an organization admin's: every token of the organization. Newest "
        "first, paged like the other lists; never the secret.",
        parameters=KEYSET_PARAMETERS("created_at"),
        responses={200: TokenSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        tokens = services.visible_tokens(request.user).select_related("user")
        return Response(TokenSerializer(keyset_page(request, tokens, "created_at"), many=True).data)


class TokenCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Create an API token of your own (extension)",
        description="The secret is in this answer only: it is stored hashed. Asking for a scope "
        "your role (or the token you call with) lacks is a 422 naming `scopes`.",
        request=TokenWriteSerializer,
        responses={
            201: inline_serializer(
                "TokenCreated", {"id": serializers.UUIDField(), "token": serializers.CharField()}
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        body = TokenWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = services.create_token(request.user, **body.validated_data)
        return Response({"id": str(token.id), "token": raw}, status=status.HTTP_201_CREATED)


class TokenView(OrganizationAPIView):
    @extend_schema(
        summary="Revoke an API token (extension)",
        description="At once: the next request with it is a 401. Yours; an organization admin "
        "revokes any of the organization's. Another's token is a 404.",
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, token_id):
        pk = parse_uuid(token_id)
        token = services.visible_tokens(request.user).filter(pk=pk).first() if pk else None
        if token is None:
            raise NotFound("Not found.")
        services.revoke_token(token, by=request.user)
        return ok("Token revoked.")
