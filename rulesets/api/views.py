from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from pinghome.api import OrganizationAPIView, created, invalid, ok
from pinghome.openapi import CREATED, ERRORS, MESSAGE
from rulesets import dry_run, services
from rulesets.api.serializers import (
    RULESET_TEST_REQUEST,
    ExplanationSerializer,
    RulesetActionSerializer,
    RulesetActionsWriteSerializer,
    RulesetDetailSerializer,
    RulesetGroupsSerializer,
    RulesetSerializer,
    RulesetTestResultSerializer,
    RulesetWriteSerializer,
    ruleset_test_body,
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


TEST_DESCRIPTION = (
    "What the ruleset in the body would do with a payload (and its headers) or with stored "
    "events, explained per event: each condition and resolve condition, whether it held and "
    "the values found at its key path; the dedup key; the incident name and description it "
    "renders; and whether it would open, attach or resolve now, each event on its own against "
    "the incidents open now. Decided as evaluation decides (the same limits), within 5 s in "
    "all. Writes nothing, so a read-only token may call it. Extension."
)


class RulesetTestView(OrganizationAPIView):
    """``POST /v1/ruleset/test``: a ruleset not saved yet (it has no open incident)."""

    writes_nothing = True  # a read-only token may test

    @extend_schema(
        summary="Test a new ruleset on a payload or stored events",
        description=TEST_DESCRIPTION,
        request=RULESET_TEST_REQUEST,
        responses={200: RulesetTestResultSerializer, **ERRORS},
    )
    def post(self, request, ruleset_id=None):
        saved = None
        if ruleset_id is not None:
            saved = self.get_in_organization(Ruleset.objects, ruleset_id)
        data = ruleset_test_body(request.data, context={"organization": self.organization})
        ruleset = dry_run.draft(self.organization, data["ruleset"], saved=saved)
        if "event_ids" in data:
            events = dry_run.chosen_events(self.organization, data["event_ids"])
            if events is None:
                raise exceptions.NotFound("Not found.")
        else:
            pasted = dry_run.pasted_event(
                self.organization, data["ruleset"].get("webhook_ids") or [], data
            )
            if pasted is None:
                raise invalid({"payload": ["the organization has no webhook to receive it"]})
            events = [pasted]
        if "webhook_ids" in data["ruleset"]:
            listened = data["ruleset"]["webhook_ids"]
        else:  # an edit that keeps the saved ruleset's webhooks
            listened = saved.webhooks.values_list("pk", flat=True) if saved else []
        results = dry_run.run(ruleset, events, saved=saved is not None, webhook_ids=listened)
        return Response({"results": ExplanationSerializer(results, many=True).data})


class SavedRulesetTestView(RulesetTestView):
    """``POST /v1/ruleset/{id}/test``: an edit of that ruleset, against its open incidents."""

    @extend_schema(
        summary="Test an edit of a saved ruleset, against its open incidents",
        operation_id="ruleset_edit_test_create",
        description=TEST_DESCRIPTION,
        request=RULESET_TEST_REQUEST,
        responses={200: RulesetTestResultSerializer, **ERRORS},
    )
    def post(self, request, ruleset_id):
        return super().post(request, ruleset_id)
