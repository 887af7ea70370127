from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.models import Team
from escalation import services
from escalation.api.serializers import PolicySerializer, PolicyWriteSerializer
from escalation.models import EscalationPolicy
from escalation.targets import warnings_of
from pinghome.api import Conflict, OrganizationAPIView, created, ok
from pinghome.openapi import CONFLICT, CREATED, ERRORS, MESSAGE

POLICIES = EscalationPolicy.objects.prefetch_related("steps")
WHO = "The team's managers and organization admins (403 for others)."


def policies_data(policies: list[EscalationPolicy]) -> list[dict]:
    return PolicySerializer(policies, many=True, context={"warnings": warnings_of(policies)}).data


class TeamPoliciesView(OrganizationAPIView):
    @extend_schema(
        summary="Escalation policies of a team (extension)",
        description="The team's default first, then by name.",
        responses={200: PolicySerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        return Response(policies_data(list(POLICIES.filter(team=team))))

    @extend_schema(
        summary="Create an escalation policy (extension)",
        description=WHO,
        request=PolicyWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = PolicyWriteSerializer(data=request.data, context={"organization": self.organization})
        body.is_valid(raise_exception=True)
        policy = services.create_policy(team, by=request.user, **body.validated_data)
        return created(policy.id)


class PolicyView(OrganizationAPIView):
    @extend_schema(
        summary="One escalation policy (extension)", responses={200: PolicySerializer, **ERRORS}
    )
    def get(self, request, policy_id):
        policy = self.get_in_organization(POLICIES, policy_id)
        return Response(policies_data([policy])[0])

    @extend_schema(
        summary="Update an escalation policy (extension)",
        description=WHO + " Name, repeat and steps are replaced; incidents that follow it take "
        "the new steps from their next one.",
        request=PolicyWriteSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, policy_id):
        policy = self.get_in_organization(EscalationPolicy.objects, policy_id)
        body = PolicyWriteSerializer(data=request.data, context={"organization": self.organization})
        body.is_valid(raise_exception=True)
        services.update_policy(policy, by=request.user, **body.validated_data)
        return ok("Escalation policy updated.")

    @extend_schema(
        summary="Delete an escalation policy (extension)",
        description=WHO + " 409 for a team's default policy, or one an open incident follows.",
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def delete(self, request, policy_id):
        policy = self.get_in_organization(EscalationPolicy.objects, policy_id)
        try:
            services.delete_policy(policy, by=request.user)
        except services.PolicyInUse as exc:
            raise Conflict(str(exc)) from None
        return ok("Escalation policy deleted.")
