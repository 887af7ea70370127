"""Ruleset pages: the list, the create / edit form, delete, and a dry run over recent events."""

import time
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView
from rest_framework.exceptions import PermissionDenied

from accounts.models import Team
from pinghome.api import Conflict
from pinghome.pages import OrganizationPageMixin
from rulesets import services
from rulesets.evaluation import decide, evaluation_budget, event_view
from rulesets.forms import RulesetForm
from rulesets.models import Level, Ruleset
from webhooks.models import Webhook, WebhookEvent

DEFAULT_TEST_EVENTS, MAX_TEST_EVENTS = 20, 200
# The test page stops deciding after this long (each event also within the evaluation limits):
# the events left are shown untested, and no web process is held for long.
TEST_PAGE_SECONDS = 5.0
NOT_TESTED = "not tested: the page's time limit was reached"
EXCERPT = 300
OUTCOME_LABELS = {
    "open": "matched",
    "resolve": "resolves",
    "none": "no match",
    "no-dedup-key": "no dedup key",
}


def default_team(user) -> Team | None:
    membership = user.memberships.select_related("team").order_by("created_at").first()
    return membership.team if membership else None


def can_manage(user, ruleset: Ruleset) -> str:
    """Why the user may not change the ruleset ('' when they may)."""
    try:
        services.ensure_can_manage(user, level=ruleset.level, team=ruleset.team)
    except PermissionDenied as exc:
        return str(exc.detail)
    return ""


class RulesetListView(OrganizationPageMixin, TemplateView):
    template_name = "rulesets/ruleset_list.html"

    def get_context_data(self, **kwargs):
        rulesets = (
            Ruleset.objects.filter(organization=self.organization)
            .select_related("team")
            .prefetch_related(Prefetch("webhooks", queryset=Webhook.objects.only("id", "name")))
            .order_by("team__name", "team_id", "name", "created_at")
        )
        organization_level, team_level = [], []
        for ruleset in rulesets:
            (organization_level if ruleset.level == Level.ORGANIZATION else team_level).append(
                ruleset
            )
        teams = [(team, list(items)) for team, items in groupby(team_level, lambda r: r.team)]
        organization_level.sort(key=lambda r: (r.name, r.created_at))
        return super().get_context_data(
            nav="rulesets", organization_level=organization_level, teams=teams, **kwargs
        )


class RulesetFormView(OrganizationPageMixin, View):
    """GET shows the form; POST validates it like the API does, then calls the services."""

    template_name = "rulesets/ruleset_form.html"

    def get_ruleset(self, ruleset_id) -> Ruleset | None:
        if ruleset_id is None:
            return None
        return self.get_in_organization(
            Ruleset.objects.select_related("team").prefetch_related("webhooks", "actions"),
            ruleset_id,
        )

    def get(self, request, ruleset_id=None):
        ruleset = self.get_ruleset(ruleset_id)
        if ruleset is None:
            form = RulesetForm(self.organization, default_team=default_team(request.user))
        else:
            form = RulesetForm(self.organization, ruleset=ruleset)
        return self.render(form, ruleset)

    def post(self, request, ruleset_id=None):
        ruleset = self.get_ruleset(ruleset_id)
        form = RulesetForm(self.organization, data=request.POST)
        if not form.is_valid():
            return self.render(form, ruleset)
        try:
            with transaction.atomic():
                if ruleset is None:
                    ruleset = services.create_ruleset(
                        self.organization, by=request.user, data=form.validated
                    )
                else:
                    services.update_ruleset(ruleset, by=request.user, data=form.validated)
                services.replace_actions(ruleset, by=request.user, actions=form.validated_actions)
        except PermissionDenied as exc:
            messages.error(request, str(exc.detail))
            return self.render(form, None if ruleset_id is None else ruleset, status=403)
        except DjangoValidationError as exc:  # an action id that is not the ruleset's
            form.add_errors(exc.message_dict)
            return self.render(form, None if ruleset_id is None else ruleset)
        messages.success(request, f"Ruleset {ruleset.name} saved.")
        return redirect("ruleset-edit", ruleset_id=ruleset.pk)

    def render(self, form: RulesetForm, ruleset: Ruleset | None, status: int = 200):
        context = {
            "nav": "rulesets",
            "form": form,
            "body": form.body,
            "ruleset": ruleset,
            "field_errors": form.field_errors(),
            "condition_lists": form.condition_lists(),
            "action_list": form.action_list(),
            "choices": form.choices(),
            "denied": can_manage(self.request.user, ruleset) if ruleset else "",
        }
        return render(self.request, self.template_name, context, status=status)


class RulesetDeleteView(OrganizationPageMixin, View):
    """GET asks for confirmation, POST deletes."""

    def get(self, request, ruleset_id):
        ruleset = self.get_in_organization(Ruleset.objects.select_related("team"), ruleset_id)
        context = {
            "nav": "rulesets",
            "ruleset": ruleset,
            "denied": can_manage(request.user, ruleset),
        }
        return render(request, "rulesets/ruleset_confirm_delete.html", context)

    def post(self, request, ruleset_id):
        ruleset = self.get_in_organization(Ruleset.objects.select_related("team"), ruleset_id)
        try:
            services.delete_ruleset(ruleset, by=request.user)
        except (PermissionDenied, Conflict) as exc:
            messages.error(request, str(exc.detail))
            context = {"nav": "rulesets", "ruleset": ruleset, "denied": str(exc.detail)}
            return render(
                request, "rulesets/ruleset_confirm_delete.html", context, status=exc.status_code
            )
        messages.success(request, f"Ruleset {ruleset.name} deleted.")
        return redirect("ruleset-list")


@dataclass(frozen=True)
class DryRun:
    """What an event would do to the ruleset's incidents (nothing is written)."""

    event_id: str
    webhook: str
    received_at: datetime
    excerpt: str
    outcome: str
    dedup_key: str | None


def dry_run(ruleset: Ruleset, event: WebhookEvent, *, deadline: float) -> DryRun:
    """What ``event`` would do, decided as evaluation decides (within the same limits), and not
    after ``deadline`` (``time.monotonic()``): then it is not tested."""
    text = event.text
    excerpt = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
    outcome, key = NOT_TESTED, None
    if time.monotonic() < deadline:
        budget = evaluation_budget()
        budget.deadline = min(budget.deadline, deadline)
        try:
            decision = decide(ruleset, event, event_view(event), budget)
            outcome, key = OUTCOME_LABELS[decision.intent], decision.dedup_key
        except Exception as exc:  # noqa: BLE001 - shown like evaluation records it, never a 500
            outcome = f"error: {exc}"[:200]
    return DryRun(str(event.pk), str(event.webhook), event.received_at, excerpt, outcome, key)


def event_limit(raw: str | None) -> int:
    try:
        value = int(raw or DEFAULT_TEST_EVENTS)
    except ValueError:
        value = DEFAULT_TEST_EVENTS
    return max(1, min(MAX_TEST_EVENTS, value))


class RulesetTestView(OrganizationPageMixin, View):
    """The ruleset against the last N stored events of its webhooks, without changing anything."""

    def get(self, request, ruleset_id):
        ruleset = self.get_in_organization(
            Ruleset.objects.select_related("team").prefetch_related("webhooks"), ruleset_id
        )
        limit = event_limit(request.POST.get("limit") or request.GET.get("limit"))
        webhooks = list(ruleset.webhooks.all())
        events = WebhookEvent.objects.select_related("webhook")
        if webhooks:
            events = events.filter(webhook__in=webhooks)
        else:
            events = events.filter(webhook__organization=self.organization)
        events = events.order_by("-received_at", "-id")[:limit]
        deadline = time.monotonic() + TEST_PAGE_SECONDS
        # Ten rows at a time: 200 events of 1 MB are never all in memory at once.
        results = [
            dry_run(ruleset, event, deadline=deadline) for event in events.iterator(chunk_size=10)
        ]
        context = {
            "nav": "rulesets",
            "ruleset": ruleset,
            "webhooks": webhooks,
            "limit": limit,
            "max_limit": MAX_TEST_EVENTS,
            "results": results,
        }
        return render(request, "rulesets/ruleset_test.html", context)

    post = get
