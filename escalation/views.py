"""The Escalation page: a team's policies with their steps and warnings, the policy form, and
making a policy the team's default."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team
from accounts.permissions import is_team_manager
from escalation import services
from escalation.forms import Catalogue, PolicyPage
from escalation.models import EscalationPolicy, EscalationStep
from escalation.targets import warnings_of
from pinghome.pages import OrganizationPageMixin


def policies_url(team: Team) -> str:
    return f"{reverse('escalation')}?team={team.pk}"


class TeamPolicyMixin(OrganizationPageMixin):
    def get_team(self, team_id) -> Team:
        return self.get_in_organization(Team.objects, team_id)

    def get_policy(self, team: Team, policy_id) -> EscalationPolicy:
        return self.get_in_organization(EscalationPolicy.objects.filter(team=team), policy_id)


def described_policies(team: Team, user) -> dict:
    """A team's policies with their warnings and each step's targets named, and whether
    ``user`` may change them: for this page and the team's page."""
    policies = list(
        EscalationPolicy.objects.filter(team=team).prefetch_related(
            Prefetch("steps", queryset=EscalationStep.objects.order_by("position"))
        )
    )
    warnings = warnings_of(policies)
    catalogue = Catalogue(team.organization_id)
    for policy in policies:
        policy.warnings = warnings[policy.pk]
        for step in policy.steps.all():
            step.labels = [catalogue.label(target) for target in step.targets]
    return {
        "policies": policies,
        "can_manage_policies": is_team_manager(user, team),
        "default_warned": any(p.warnings for p in policies if p.is_team_default),
    }


class PoliciesView(OrganizationPageMixin, TemplateView):
    template_name = "escalation/policies.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(nav="escalation", **self.team_choice(), **kwargs)
        if context["team"] is not None:
            context.update(described_policies(context["team"], self.request.user))
        return context


class PolicyFormView(TeamPolicyMixin, View):
    """A new policy (no ``policy_id``) or an existing one's name, repeat and steps."""

    def get(self, request, team_id, policy_id=None):
        team = self.get_team(team_id)
        policy = self.get_policy(team, policy_id) if policy_id else None
        return self.render(team, policy, PolicyPage(self.organization, policy))

    def post(self, request, team_id, policy_id=None):
        team = self.get_team(team_id)
        policy = self.get_policy(team, policy_id) if policy_id else None
        page = PolicyPage(self.organization, policy, request.POST)
        data = page.validated()
        if data is None:
            return self.render(team, policy, page, status=422)
        if policy is None:
            services.create_policy(team, by=request.user, **data)
            messages.success(request, f"Escalation policy {data['name']} created.")
        else:
            services.update_policy(policy, by=request.user, **data)
            messages.success(request, f"Escalation policy {data['name']} saved.")
        return redirect(policies_url(team))

    def render(self, team, policy, page, status=200):
        context = {
            "nav": "escalation",
            "team": team,
            "policy": policy,
            "form": page.form,
            "steps": page.steps,
        }
        return render(self.request, "escalation/policy_form.html", context, status=status)


class PolicyDefaultView(TeamPolicyMixin, View):
    def post(self, request, team_id, policy_id):
        team = self.get_team(team_id)
        policy = self.get_policy(team, policy_id)
        services.make_default(policy, by=request.user)
        messages.success(request, f"{policy.name} is now the default policy of {team.name}.")
        return redirect(policies_url(team))


class PolicyDeleteView(TeamPolicyMixin, View):
    def post(self, request, team_id, policy_id):
        team = self.get_team(team_id)
        policy = self.get_policy(team, policy_id)
        try:
            services.delete_policy(policy, by=request.user)
        except services.PolicyInUse as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Escalation policy {policy.name} deleted.")
        return redirect(policies_url(team))
