from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from pinghome.api import OrganizationAPIView, created, ok
from pinghome.openapi import CREATED, ERRORS, MESSAGE
from rulesets import services
from rulesets.api.serializers import (
    RulesetActionSerializer,
    RulesetActionsWriteSerializer,
    RulesetDetailSerializer,
    RulesetGroupsSerializer,
    RulesetSerializer,
    RulesetWriteSerializer,
)
from rulesets.models import Level, Ruleset
from webhooks.models import Webhook

RULESETS = Ruleset.objects.prefetch_related(
    Prefetch("webhooks", queryset=Webhook.objects.only("id"))
)


class RulesetListView(OrganizationAPIView):
    @extend_schema(
        summary="Rulesets of the organization, grouped by level",
        responses={200: RulesetGroupsSerializer, **ERRORS},
    )
    def get(self, request):
        rulesets = RulesetSerializer(
            RULESETS.filter(organization=self.organization), many=True
        ).data
        return Response(
            {
                level: [r for r in rulesets if r["level"] == level]
                for level in (Level.TEAM, Level.ORGANIZATION)
            }
        )


class RulesetCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Create a ruleset",
        request=RulesetWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request):
        body = RulesetWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        ruleset = services.create_ruleset(
            self.organization, by=request.user, data=body.validated_data
        )
        return created(ruleset.id)


class RulesetView(OrganizationAPIView):
    @extend_schema(
        summary="One ruleset with its actions (extension)",
        responses={200: RulesetDetailSerializer, **ERRORS},
    )
    def get(self, request, ruleset_id):
        ruleset = self.get_in_organization(RULESETS.prefetch_related("actions"), ruleset_id)
        return Response(RulesetDetailSerializer(ruleset).data)

    @extend_schema(
        summary="Update a ruleset",
        description="Replaces the documented fields; extensions left out keep their value.",
        request=RulesetWriteSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, ruleset_id):
        ruleset = self.get_in_organization(Ruleset.objects, ruleset_id)
        body = RulesetWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        services.update_ruleset(ruleset, by=request.user, data=body.validated_data)
        return ok("Ruleset updated.")

    @extend_schema(summary="Delete a ruleset", responses={200: MESSAGE, **ERRORS})
    def delete(self, request, ruleset_id):
        ruleset = self.get_in_organization(Ruleset.objects, ruleset_id)
        services.delete_ruleset(ruleset, by=request.user)
        return ok("Ruleset deleted.")


class RulesetActionsView(OrganizationAPIView):
    @extend_schema(
        summary="Actions of a ruleset",
        responses={200: RulesetActionSerializer(many=True), **ERRORS},
    )
    def get(self, request, ruleset_id):
        ruleset = self.get_in_organization(Ruleset.objects, ruleset_id)
        return Response(RulesetActionSerializer(ruleset.actions.all(), many=True).data)

    @extend_schema(
        summary="Replace the actions of a ruleset",
        description="The list replaces the ruleset's actions; an item with the `id` of an "
        "existing action updates it.",
        request=RulesetActionsWriteSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, ruleset_id):
        ruleset = self.get_in_organization(Ruleset.objects, ruleset_id)
        body = RulesetActionsWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        services.replace_actions(ruleset, by=request.user, actions=body.validated_data["actions"])
        return ok("Ruleset actions updated.")
