"""Action runs retry transient failures with a bound, and every run is visible."""

import pytest
from django.test import TestCase

from incidents.actions import ActionFailed, trigger_alerts
from incidents.tasks import ACTION_MAX_RETRIES

pytestmark = pytest.mark.django_db


def incident_with_alert_action(owner):
    page = owner.api.post("/v1/status-page", {"name": "P"}).json()["id"]
    component = owner.api.post(f"/v1/status-page/{page}/component", {"name": "C"}).json()["id"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.post(
            f"/v1/team/{owner.team.id}/incident",
            {
                "name": "x",
                "description": "",
                "urgency": "high",
                "actions": [
                    {
                        "type": "trigger-alerts",
                        "settings": [{"status_page_id": page, "component_id": component}],
                    }
                ],
            },
        )
    [action] = owner.api.get(f"/v1/incident/{response.json()['id']}/actions").json()
    return response.json()["id"], action


def test_a_transient_failure_is_retried_until_it_succeeds(owner, monkeypatch):
    real_run, failures = trigger_alerts.run, [ActionFailed("status page busy")] * 2

    def flaky(action):
        if failures:
            raise failures.pop()
        return real_run(action)

    monkeypatch.setattr(trigger_alerts, "run", flaky)
    _, action = incident_with_alert_action(owner)
    assert action["state"] == "succeeded"
    assert action["attempts"] == 3
    assert action["error"] == ""


def test_an_action_that_keeps_failing_gives_up_after_the_bound(owner, monkeypatch):
    def broken(action):
        raise RuntimeError("always down")

    monkeypatch.setattr(trigger_alerts, "run", broken)
    incident_id, action = incident_with_alert_action(owner)
    assert action["state"] == "failed"
    assert action["attempts"] == ACTION_MAX_RETRIES + 1
    assert action["error"] == "always down"
    timeline = owner.api.get(f"/v1/incident/{incident_id}/timeline").json()
    assert [e["kind"] for e in timeline].count("action-failed") == 1
