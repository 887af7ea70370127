"""The README's demo, as ``scripts/run`` sets it up, on whatever database the suite runs on:
``scripts/test`` runs this module on PostgreSQL and again on SQLite, the embedded default
(marker ``sqlite``), so that every step of the demo keeps working without a database server."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from escalation.tests.builders import create_policy, install_clock, tick
from maintenance.tasks import open_still_failing
from notifications.tests.test_routing import on_call_always
from pinghome.testing import Persona
from rulesets.tasks import check_heartbeats
from rulesets.tests.pipeline import incidents, send

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

FIRING = {"status": "firing", "service": "api"}


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.fixture
def demo() -> tuple[Persona, str]:
    """What scripts/run makes: the demo tenant (its admin, a manager of Ops) and its webhook."""
    from accounts.models import Organization, Team, TeamMember, User

    made = json.loads(
        command(
            "bootstrap",
            "--org=Demo",
            "--team=Ops",
            "--email=demo@example.com",
            "--token-name=demo",
            "--replace-token",
        )
    )
    webhook_id = command("demo_webhook", "--org=Demo")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {made['token']}")
    persona = Persona(
        Organization.objects.get(pk=made["organization_id"]),
        Team.objects.get(pk=made["team_id"]),
        TeamMember.objects.get(pk=made["team_member_id"]),
        User.objects.get(pk=made["user_id"]),
        made["token"],
        api,
    )
    on_call_always(persona, persona.member)
    return persona, webhook_id


def ok(response) -> bool:
    assert response.status_code == 200, response.content
    return True


def page(client, path: str) -> str:
    response = client.get(path)
    assert ok(response)
    return response.content.decode()


def run(task) -> int:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return task.delay().get()


def mailed(mailoutbox) -> list[str]:
    subjects = [mail.subject for mail in mailoutbox]
    mailoutbox.clear()
    return subjects


def test_events_open_incidents_that_escalate_and_are_acknowledged(demo, monkeypatch, mailoutbox):
    owner, webhook_id = demo
    clock = install_clock(monkeypatch)
    policy_id = create_policy(
        owner,
        (0, [("oncall", owner.team.id)]),
        (10, [("user", owner.user.id)]),
        (10, [("team", owner.team.id)]),
    )
    assert ok(owner.api.put(f"/v1/team/{owner.team.id}", {"escalation_policy_id": policy_id}))

    send(webhook_id, FIRING)
    [incident] = incidents(owner, status="triggered")
    assert incident["name"] == "api is firing"
    assert mailed(mailoutbox) == ["[high] api is firing (Ops)"]

    clock.advance(minutes=10)
    assert tick() == 1, "the tick runs step 2"
    assert tick() == 0, "once"
    assert mailed(mailoutbox) == ["[high] api is firing (Ops)"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        escalate = owner.api.post(f"/v1/incident/{incident['id']}/escalate")
    assert escalate.status_code == 200, escalate.content
    assert len(mailed(mailoutbox)) == 1, "step 3, now"
    escalation = owner.api.get(f"/v1/incident/{incident['id']}").json()["escalation"]
    assert (escalation["state"], escalation["step"]) == ("finished", 3)

    body = {"name": "API down", "description": "", "urgency": "critical"}
    acknowledged = owner.api.put(
        f"/v1/incident/{incident['id']}", {**body, "status": "acknowledged"}
    )
    assert acknowledged.status_code == 200, acknowledged.content
    send(webhook_id, {"status": "resolved", "service": "api"})
    assert owner.api.get(f"/v1/incident/{incident['id']}").json()["status"] == "resolved"


def test_maintenance_holds_pages_back_and_a_silent_heartbeat_opens(demo, monkeypatch):
    owner, webhook_id = demo
    clock = install_clock(monkeypatch)
    now = timezone.now()
    window = owner.api.post(
        "/v1/maintenance-window",
        {
            "reason": "Deploy",
            "start": (now - timedelta(minutes=1)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
            "recurrence": None,
            "webhook_ids": [webhook_id],
            "ruleset_ids": [],
            "team_ids": [],
        },
    )
    assert window.status_code == 201, window.content
    send(webhook_id, FIRING)
    assert incidents(owner) == []
    assert ok(owner.api.delete(f"/v1/maintenance-window/{window.json()['id']}"))
    assert run(open_still_failing) == 1
    assert [i["name"] for i in incidents(owner)] == ["api is firing"]

    heartbeat = {"team_id": str(owner.team.id), "expect_every_seconds": 10, "grace_seconds": 0}
    assert ok(owner.api.put(f"/v1/webhook/{webhook_id}", heartbeat))
    clock.advance(seconds=11)
    assert run(check_heartbeats) == 1
    assert "No heartbeat from demo" in [i["name"] for i in incidents(owner)]


def test_the_dashboard_signs_in_by_link_and_acknowledges_from_the_page(demo, client, mailoutbox):
    owner, webhook_id = demo
    link = command("signin_link", "demo@example.com").removeprefix("http://127.0.0.1:8000")
    assert client.post(link).status_code == 302
    for path in ("/", "/webhooks", "/rulesets", "/escalation", "/maintenance", "/oncall"):
        assert client.get(path).status_code == 200, path

    created = client.post(
        "/rulesets/new",
        {
            "name": "Paged",
            "rule_type": "webhook",
            "level": "team",
            "team_id": str(owner.team.id),
            "urgency": "high",
            "enabled": "on",
            "webhook_ids": webhook_id,
            "dedup_key": "service",
            "conditions-type": "json-check",
            "conditions-key": "status",
            "conditions-operator": "equal",
            "conditions-values": "page",
        },
    )
    assert created.status_code == 302, created.content
    send(webhook_id, {"status": "page", "service": "db"})
    [incident] = incidents(owner, status="triggered")
    assert client.post(f"/incidents/{incident['id']}/escalate").status_code == 302
    for path in ("/", f"/incidents/{incident['id']}"):
        assert 'data-field="escalated-to"' in page(client, path), path

    [acknowledge] = re.findall(r"http://\S+/respond/\S+", mailoutbox[0].body)[:1]
    path = acknowledge.removeprefix("http://127.0.0.1:8000")
    assert "Acknowledge" in client.get(path).content.decode()
    assert client.post(path).status_code == 200
    assert owner.api.get(f"/v1/incident/{incident['id']}").json()["status"] == "acknowledged"
    who = owner.user.name or owner.user.email
    for path in ("/", f"/incidents/{incident['id']}"):
        assert f'data-field="acknowledged-by">{"by " if path == "/" else ""}{who}<' in page(
            client, path
        ), path
