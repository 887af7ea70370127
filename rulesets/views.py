"""Ruleset pages: the list, the create / edit form, delete, and dry runs (``dry_run``) of the
saved ruleset or of the form as it is, explained event by event."""

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView
from rest_framework.exceptions import PermissionDenied

from accounts.models import Team
from pinghome.api import Conflict
from pinghome.pages import OrganizationPageMixin
from rulesets import dry_run, services
from rulesets.forms import RulesetForm, TestInput
from rulesets.incident_fields import MAX_FIELDS
from rulesets.models import Level, Ruleset
from webhooks.models import Webhook


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
        trial = None
        if "event_id" in request.GET:  # from the test page of one event: test edits on it
            chosen = QueryDict(mutable=True)
            chosen.update({"test-source": "event", "test-event_id": request.GET["event_id"]})
            trial = TestInput(chosen)
        return self.render(form, ruleset, trial=trial)

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

    def render(
        self,
        form: RulesetForm,
        ruleset: Ruleset | None,
        status: int = 200,
        *,
        trial: TestInput | None = None,
        results: list[dry_run.Explanation] | None = None,
    ):
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
            "trial": trial,
            "results": results,
            "max_limit": dry_run.MAX_RECENT_EVENTS,
            "max_fields": MAX_FIELDS,
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


class RulesetFormTestView(RulesetFormView):
    """The form as it is, not saved, on recent events or a pasted payload: shown again with
    what each event would do. An edited ruleset is tested against its open incidents."""

    def post(self, request, ruleset_id=None):
        ruleset = self.get_ruleset(ruleset_id)
        form = RulesetForm(self.organization, data=request.POST)
        trial = TestInput(request.POST)
        valid = form.is_valid() & trial.is_valid()
        if not valid:
            return self.render(form, ruleset, trial=trial)
        draft = dry_run.draft(self.organization, form.validated, saved=ruleset)
        webhook_ids = form.validated.get("webhook_ids") or []
        if trial.source == "events":
            events = dry_run.recent_events(self.organization, webhook_ids, trial.limit)
        elif trial.source == "event":
            events = dry_run.chosen_event(self.organization, trial.event_id)
            if events is None:
                trial.errors["event_id"] = ["Event: no longer stored, or not one of yours"]
                return self.render(form, ruleset, trial=trial)
        elif pasted := dry_run.pasted_event(self.organization, webhook_ids, trial.validated):
            events = [pasted]
        else:
            trial.errors["payload"] = ["Payload: the organization has no webhook to receive it"]
            return self.render(form, ruleset, trial=trial)
        results = dry_run.run(draft, events, saved=ruleset is not None, webhook_ids=webhook_ids)
        return self.render(form, ruleset, trial=trial, results=results)


class RulesetTestView(RulesetFormTestView):
    """GET: the saved ruleset against the last N stored events of its webhooks, explained,
    without changing anything. POST: its form as edited (see ``RulesetFormTestView``)."""

    def get(self, request, ruleset_id):
        ruleset = self.get_in_organization(
            Ruleset.objects.select_related("team").prefetch_related("webhooks"), ruleset_id
        )
        limit = dry_run.recent_limit(request.GET.get("limit"))
        webhooks = list(ruleset.webhooks.all())
        event_id = request.GET.get("event_id")  # "Test on this event" on a webhook's page
        if event_id is not None:
            events = dry_run.chosen_event(self.organization, event_id)
            if events is None:
                raise Http404
        else:
            events = dry_run.recent_events(self.organization, webhooks, limit)
        context = {
            "nav": "rulesets",
            "ruleset": ruleset,
            "webhooks": webhooks,
            "event_id": event_id,
            "limit": limit,
            "max_limit": dry_run.MAX_RECENT_EVENTS,
            "results": dry_run.run(ruleset, events, saved=True, webhook_ids=webhooks),
        }
        return render(request, "rulesets/ruleset_test.html", context)
