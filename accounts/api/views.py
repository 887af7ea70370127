from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    MemberRoleSerializer,
    MemberWriteSerializer,
    TeamCreateSerializer,
    TeamMemberSerializer,
    TeamSerializer,
    TeamSettingsSerializer,
    TokenSerializer,
    TokenWriteSerializer,
    UserRoleSerializer,
    UserSerializer,
)
from accounts.models import Team, TeamMember, User
from accounts.permissions import ensure_org_admin
from escalation.services import with_default_policy
from pinghome import monitoring
from pinghome.api import OrganizationAPIView, created, keyset_page, ok, parse_uuid
from pinghome.openapi import CONFLICT, CREATED, ERRORS, FORBIDDEN, KEYSET_PARAMETERS, MESSAGE


class HealthCheckView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Service health",
        description="Whether the database and the broker are reachable (extension): 503 when "
        "the database is not. An unreachable broker delays evaluation but loses nothing (stored "
        "events are re-driven): still 200. `broker` is `none` when tasks run in-process.",
        auth=[],
        responses={
            (code, "application/json"): inline_serializer(
                f"Health{code}",
                {
                    "message": serializers.CharField(),
                    "database": serializers.ChoiceField(["ok", "unreachable"]),
                    "broker": serializers.ChoiceField(["ok", "unreachable", "none"]),
                },
            )
            for code in (200, 503)
        },
    )
    def get(self, request):
        database = monitoring.database_reachable()
        answer = {
            "message": "Service is operational." if database else "The database cannot be reached.",
            "database": "ok" if database else "unreachable",
            "broker": monitoring.broker_state(),
        }
        return Response(answer, status=status.HTTP_200_OK if database else 503)


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


class TeamCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Create a team (extension)",
        description="Organization admins only. A name another team of the organization has "
        "(ignoring case) is a 422.",
        request=TeamCreateSerializer,
        responses={201: CREATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request):
        body = TeamCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = services.create_team(self.organization, by=request.user, **body.validated_data)
        return created(team.id)


class TeamView(OrganizationAPIView):
    @extend_schema(summary="One team (extension)", responses={200: TeamSerializer, **ERRORS})
    def get(self, request, team_id):
        team = self.get_in_organization(with_default_policy(Team.objects), team_id)
        return Response(TeamSerializer(team).data)

    @extend_schema(
        summary="Rename a team or change its on-call settings (extension)",
        description="The team's managers and organization admins. Omitted fields keep their value.",
        request=TeamSettingsSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def put(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = TeamSettingsSerializer(data=request.data, context={"team": team})
        body.is_valid(raise_exception=True)
        services.update_team_settings(team, by=request.user, **body.validated_data)
        return ok("Team updated.")

    @extend_schema(
        summary="Delete a team (extension)",
        description="Organization admins only. While unresolved incidents or rulesets (or "
        "escalation policies) need the team it is a 409 naming them by kind in `errors`. Its "
        "members, schedule and resolved incidents go with it.",
        responses={200: MESSAGE, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def delete(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        services.delete_team(team, by=request.user)
        return ok("Team deleted.")


class TeamMemberCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Add a member to a team, or invite them (extension)",
        description="The team's managers and organization admins. A user of the organization "
        "is added at once; a new address gets an e-mailed link, valid 7 days, to set their name "
        "and password, and is a (pending) member from now on. `role` defaults to `responder`. "
        "An address of another organization is a 422; a member already in the team, a 409.",
        request=MemberWriteSerializer,
        responses={201: CREATED, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = MemberWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = services.add_member(team, by=request.user, **body.validated_data)
        return created(member.id)


class TeamMemberView(OrganizationAPIView):
    def get_member(self, team_id, member_id) -> TeamMember:
        team = self.get_in_organization(Team.objects, team_id)
        pk = parse_uuid(member_id)
        member = (
            TeamMember.objects.select_related("team", "user").filter(team=team, pk=pk).first()
            if pk
            else None
        )
        if member is None:
            raise NotFound("Not found.")
        return member

    @extend_schema(
        summary="Change a member's role in the team (extension)",
        description="The team's managers and organization admins.",
        request=MemberRoleSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def put(self, request, team_id, team_member_id):
        member = self.get_member(team_id, team_member_id)
        body = MemberRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.change_member_role(member, by=request.user, role=body.validated_data["role"])
        return ok("Member updated.")

    @extend_schema(
        summary="Remove a member from a team (extension)",
        description="The team's managers and organization admins. Their schedule entries, "
        "overrides and calendar feeds of the team go with them: their future shifts become "
        "gaps. The removal is in the audit log (and on the team's page).",
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def delete(self, request, team_id, team_member_id):
        member = self.get_member(team_id, team_member_id)
        services.remove_member(member, by=request.user)
        return ok("Member removed.")


class UserListView(OrganizationAPIView):
    @extend_schema(
        summary="Users of the organization (extension)",
        description="Organization admins only: each user's organization role and teams, by "
        "e-mail address.",
        responses={200: UserSerializer(many=True), **FORBIDDEN, **ERRORS},
    )
    def get(self, request):
        ensure_org_admin(request.user)
        users = list(services.organization_users(self.organization))
        context = {"lockouts": services.lockouts(users)}
        return Response(UserSerializer(users, many=True, context=context).data)


class UserView(OrganizationAPIView):
    @extend_schema(
        summary="Change a user's organization role (extension)",
        description="Organization admins only. The organization keeps at least one active "
        "admin (else 409).",
        request=UserRoleSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def put(self, request, user_id):
        user = self.get_in_organization(User.objects, user_id)
        body = UserRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.change_user_role(user, by=request.user, role=body.validated_data["role"])
        return ok("User updated.")


class UserLockoutView(OrganizationAPIView):
    @extend_schema(
        summary="Clear a user's sign-in lockout (extension)",
        description="Organization admins only: the failed password sign-ins counted against "
        "the user's account are forgotten, so a lockout ends now (audited). A lockout of an "
        "address is cleared in the Django admin.",
        request=None,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def delete(self, request, user_id):
        user = self.get_in_organization(User.objects, user_id)
        until = services.clear_lockout(user, by=request.user)
        return ok("Lockout cleared." if until else "The account was not locked.")


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
