"""Opening runs the ruleset's actions; resolving undoes them; every run is visible."""

import pytest

from rulesets.tests.pipeline import create_ruleset, create_webhook, incidents, send

pytestmark = pytest.mark.django_db

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]
RESOLVED = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["resolved"]}]


def status_page_with_component(persona) -> tuple[str, str]:
    page = persona.api.post("/v1/status-page", {"name": "Public"}).json()["id"]
    component = persona.api.post(f"/v1/status-page/{page}/component", {"name": "API"}).json()["id"]
    return page, component


def component_status(persona, page: str) -> str:
    return persona.api.get(f"/v1/status-page/{page}").json()["components"][0]["status"]


def alerting_ruleset(persona, webhook, page, component, *, urgency="high", dedup_key="service"):
    ruleset = create_ruleset(
        persona,
        urgency=urgency,
        conditions=FIRING,
        resolve_conditions=RESOLVED,
        dedup_key=dedup_key,
        webhook_ids=[webhook],
    )
    response = persona.api.put(
        f"/v1/ruleset/{ruleset}/actions",
        {
            "actions": [
                {
                    "type": "trigger-alerts",
                    "settings": [{"status_page_id": page, "component_id": component}],
                }
            ]
        },
    )
    assert response.status_code == 200
    return ruleset


@pytest.mark.parametrize(
    ("urgency", "status"),
    [
        ("low", "degraded"),
        ("medium", "partial-outage"),
        ("high", "major-outage"),
        ("critical", "major-outage"),
    ],
)
def test_trigger_alerts_sets_component_status_from_urgency(owner, urgency, status):
    webhook = create_webhook(owner)
    page, component = status_page_with_component(owner)
    alerting_ruleset(owner, webhook, page, component, urgency=urgency)

    send(webhook, {"status": "firing", "service": "api"})

    assert component_status(owner, page) == status
    [incident] = incidents(owner)
    [action] = owner.api.get(f"/v1/incident/{incident['id']}/actions").json()
    assert action["state"] == "succeeded"
    assert action["attempts"] == 1
    assert action["started_at"] and action["finished_at"]


def test_resolving_restores_operational_and_the_timeline_tells_the_story(owner):
    webhook = create_webhook(owner)
    page, component = status_page_with_component(owner)
    alerting_ruleset(owner, webhook, page, component)

    send(webhook, {"status": "firing", "service": "api"})
    send(webhook, {"status": "firing", "service": "api"})
    send(webhook, {"status": "resolved", "service": "api"})

    assert component_status(owner, page) == "operational"
    [incident] = incidents(owner)
    timeline = [
        entry
        for entry in owner.api.get(f"/v1/incident/{incident['id']}/timeline").json()
        if entry["kind"] not in ("no-one-on-call", "escalated")
    ]
    assert [entry["kind"] for entry in timeline] == [
        "created",
        "action-succeeded",
        "event-attached",
        "resolved",
        "action-succeeded",
    ]
    assert timeline[0]["actor"] == "ruleset:Rule"
    assert "major-outage" in timeline[1]["message"]


def test_component_follows_worst_remaining_incident_until_all_resolve(owner):
    webhook = create_webhook(owner)
    page, component = status_page_with_component(owner)
    alerting_ruleset(owner, webhook, page, component, urgency="low")

    send(webhook, {"status": "firing", "service": "db"})
    send(webhook, {"status": "firing", "service": "api"})
    assert component_status(owner, page) == "degraded"

    send(webhook, {"status": "resolved", "service": "api"})
    assert component_status(owner, page) == "degraded"
    send(webhook, {"status": "resolved", "service": "db"})
    assert component_status(owner, page) == "operational"


def test_resolving_by_hand_also_releases_components(owner):
    webhook = create_webhook(owner)
    page, component = status_page_with_component(owner)
    alerting_ruleset(owner, webhook, page, component, urgency="medium")
    send(webhook, {"status": "firing", "service": "api"})
    [incident] = incidents(owner)

    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.put(
            f"/v1/incident/{incident['id']}",
            {"name": "x", "description": "", "urgency": "medium", "status": "resolved"},
        )
    assert response.status_code == 200
    assert component_status(owner, page) == "operational"


def test_manual_incident_runs_its_own_actions(owner):
    page, component = status_page_with_component(owner)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.post(
            f"/v1/team/{owner.team.id}/incident",
            {
                "name": "DB down",
                "description": "",
                "urgency": "critical",
                "actions": [
                    {
                        "type": "trigger-alerts",
                        "settings": [{"status_page_id": page, "component_id": component}],
                    }
                ],
            },
        )
    assert response.status_code == 201
    assert component_status(owner, page) == "major-outage"
    [action] = owner.api.get(f"/v1/incident/{response.json()['id']}/actions").json()
    assert action["state"] == "succeeded"


def test_an_action_whose_component_vanished_fails_visibly_without_retrying(owner):
    webhook = create_webhook(owner)
    page, component = status_page_with_component(owner)
    alerting_ruleset(owner, webhook, page, component)
    from statuspages.models import Component

    Component.objects.filter(pk=component).delete()

    send(webhook, {"status": "firing", "service": "api"})

    [incident] = incidents(owner)
    [action] = owner.api.get(f"/v1/incident/{incident['id']}/actions").json()
    assert action["state"] == "failed"
    assert action["attempts"] == 1
    assert "no longer exist" in action["error"]
    kinds = [e["kind"] for e in owner.api.get(f"/v1/incident/{incident['id']}/timeline").json()]
    assert "action-failed" in kinds
