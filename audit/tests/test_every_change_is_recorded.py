"""One audit record for every kind of change of configuration this issue made possible."""

import pytest
from django.test import TestCase

from audit.models import AuditRecord
from rulesets.tests.builders import ruleset_body

pytestmark = pytest.mark.django_db


def ok(response) -> dict:
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_each_change_through_the_api_leaves_its_record(owner, teammate, mailoutbox):
    api = owner.api
    team = ok(api.post("/v1/team", {"name": "Payments"}))["id"]
    ok(api.put(f"/v1/team/{team}", {"name": "Billing"}))
    member = ok(api.post(f"/v1/team/{team}/member", {"email": "mate@acme.test"}))["id"]
    ok(api.put(f"/v1/team/{team}/member/{member}", {"role": "manager"}))
    ok(api.delete(f"/v1/team/{team}/member/{member}"))
    invited = ok(api.post(f"/v1/team/{owner.team.id}/member", {"email": "new@acme.test"}))["id"]
    ok(api.delete(f"/v1/team/{owner.team.id}/member/{invited}"))
    ok(api.put(f"/v1/user/{teammate.user.id}", {"role": "admin"}))
    ok(api.delete(f"/v1/team/{team}"))
    token = ok(api.post("/v1/token", {"name": "ci", "scopes": ["read"]}))["id"]
    ok(api.delete(f"/v1/token/{token}"))
    webhook = ok(api.post("/v1/webhook", {"name": "Grafana"}))["id"]
    ok(api.put(f"/v1/webhook/{webhook}", {"name": "Grafana prod"}))
    ok(api.post(f"/v1/webhook/{webhook}/rotate", {}))
    ok(api.delete(f"/v1/webhook/{webhook}"))
    page = ok(api.post("/v1/status-page", {"name": "Public"}))["id"]
    ok(api.put(f"/v1/status-page/{page}", {"name": "Status"}))
    component = ok(api.post(f"/v1/status-page/{page}/component", {"name": "API"}))["id"]
    ok(api.put(f"/v1/status-page/{page}/component/{component}", {"name": "Web"}))
    ok(api.delete(f"/v1/status-page/{page}/component/{component}"))
    ok(api.delete(f"/v1/status-page/{page}"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        method = ok(api.post("/v1/user/contact-method", {"type": "email", "target": "p@acme.test"}))
    ok(api.put(f"/v1/user/contact-method/{method['id']}", {"label": "Pager"}))
    ruleset = ok(api.post("/v1/ruleset", ruleset_body(owner.team)))["id"]
    ok(api.delete(f"/v1/ruleset/{ruleset}"))

    recorded = set(
        AuditRecord.objects.filter(organization=owner.organization).values_list(
            "object_type", "action"
        )
    )
    expected = {
        (kind, action)
        for kind, actions in {
            "team": "created updated deleted",
            "teammember": "created updated deleted",
            "invitation": "created",
            "user": "updated",
            "apitoken": "created updated",
            "webhook": "created updated deleted",
            "statuspage": "created updated deleted",
            "component": "created updated deleted",
            "contactmethod": "created updated",
            "ruleset": "created deleted",
        }.items()
        for action in actions.split()
    }
    assert expected <= recorded, expected - recorded
    assert not AuditRecord.objects.filter(organization=owner.organization, actor="system").exists()
