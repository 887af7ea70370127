"""Escalation policies in the admin: steps checked as the API checks them; in use, kept."""

import json

import pytest
from django.urls import reverse

from accounts.tests.test_admin import change_url, staff_client
from escalation.models import EscalationPolicy
from escalation.tests.builders import create_policy
from notifications.tests.test_routing import open_incident

pytestmark = pytest.mark.django_db

ADD = reverse("admin:escalation_escalationpolicy_add")


def form_data(persona, *steps) -> dict:
    data = {
        "organization": persona.organization.pk,
        "team": persona.team.pk,
        "name": "Admin's chain",
        "repeat": "0",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
    }
    for n, (delay, targets) in enumerate(steps):
        data.update(
            {
                f"steps-{n}-position": str(n),
                f"steps-{n}-delay_minutes": str(delay),
                f"steps-{n}-targets": json.dumps(targets),
            }
        )
    return data


def test_a_staff_user_adds_a_policy_with_steps(owner):
    client = staff_client(owner.user)
    on_call = {"type": "oncall", "id": str(owner.team.id)}
    response = client.post(ADD, form_data(owner, (0, [on_call]), (5, [])))
    assert response.status_code == 302, response.context["errors"]
    policy = EscalationPolicy.objects.get(name="Admin's chain")
    assert [(s.delay_minutes, s.targets) for s in policy.steps.all()] == [(0, [on_call]), (5, [])]


def test_steps_naming_another_organization_or_nonsense_are_refused(owner, outsider):
    client = staff_client(owner.user)
    theirs = {"type": "team", "id": str(outsider.team.id)}
    response = client.post(ADD, form_data(owner, (0, [theirs]), (1, [{"type": "pager"}])))
    assert response.status_code == 200
    errors = [form.errors for form in response.context["inline_admin_formsets"][0].formset]
    assert errors[0]["targets"] == ["targets.0.id: no such team in your organization"]
    assert "targets.0.type" in errors[1]["targets"][0]
    assert not EscalationPolicy.objects.filter(name="Admin's chain").exists()


def test_a_second_default_for_a_team_is_refused(owner):
    client = staff_client(owner.user)
    response = client.post(ADD, {**form_data(owner), "is_team_default": "on"})
    assert response.status_code == 200
    assert "already has a default policy" in response.content.decode()


def test_a_policy_in_use_cannot_be_deleted(owner):
    client = staff_client(owner.user)
    default = EscalationPolicy.objects.get(team=owner.team)
    policy_id = create_policy(owner, (0, [("oncall", owner.team.id)]))
    open_incident(owner, escalation_policy_id=policy_id)
    for policy in (default, EscalationPolicy.objects.get(pk=policy_id)):
        url = change_url(policy).removesuffix("change/") + "delete/"
        response = client.post(url, {"post": "yes"})
        assert response.status_code == 200
        assert EscalationPolicy.objects.filter(pk=policy.pk).exists()
