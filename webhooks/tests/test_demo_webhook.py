"""python manage.py demo_webhook --org NAME: what scripts/run gives a first-time user to try."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from rulesets.tests.pipeline import send

pytestmark = pytest.mark.django_db


def demo_webhook(org: str = "Demo") -> str:
    out = StringIO()
    call_command("demo_webhook", org=org, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def demo() -> dict:
    out = StringIO()
    call_command("bootstrap", org="Demo", team="Ops", email="demo@example.com", stdout=out)
    tenant = json.loads(out.getvalue())
    tenant["api"] = APIClient()
    tenant["api"].credentials(HTTP_AUTHORIZATION=f"Bearer {tenant['token']}")
    return tenant


def team_incidents(demo: dict) -> list[tuple[str, str, int]]:
    response = demo["api"].get(f"/v1/team/{demo['team_id']}/incidents")
    assert response.status_code == 200, response.content
    return sorted((i["name"], i["status"], i["event_count"]) for i in response.json())


def test_the_curl_line_scripts_run_prints_opens_an_incident_that_resolved_resolves(demo):
    webhook = demo_webhook()

    send(webhook, {"status": "firing", "service": "api"})
    send(webhook, {"status": "firing", "service": "api"})
    send(webhook, {"status": "firing", "service": "db"})
    assert team_incidents(demo) == [
        ("api is firing", "triggered", 2),
        ("db is firing", "triggered", 1),
    ]

    send(webhook, {"status": "resolved", "service": "api"})
    assert team_incidents(demo) == [
        ("api is firing", "resolved", 3),
        ("db is firing", "triggered", 1),
    ]


def test_running_it_again_gives_the_same_webhook_and_no_second_ruleset(demo):
    first = demo_webhook()

    assert demo_webhook() == first
    rulesets = demo["api"].get("/v1/rulesets").json()
    assert [(r["name"], r["webhook_ids"]) for r in rulesets["team"]] == [
        ("Demo: firing services", [first])
    ]
    assert rulesets["organization"] == []


def test_an_unknown_organization_is_an_error():
    with pytest.raises(CommandError, match="run bootstrap first"):
        demo_webhook("Nobody")
