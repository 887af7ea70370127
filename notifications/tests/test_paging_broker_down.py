"""Pages survive a broker outage: a page writes its delivery rows in the transaction that asks
for it (an incident opened by evaluation, an escalation tick, assignees added), so what could
not be handed to a task is sent by the periodic sweep once the broker is back."""

import pytest
from celery import Task
from django.test import TestCase

from escalation.tasks import escalate_due
from escalation.tests.builders import create_policy
from notifications.tasks import send_due_deliveries
from notifications.tests.test_routing import on_call_always, open_incident
from rulesets.tasks import evaluate_events
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    """Every publish fails as with an unreachable broker; ``broker_down.undo()`` brings it
    back. Tasks still run when called as a worker calls them."""

    def unreachable(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with pytest.MonkeyPatch.context() as patch:  # apart from the clock's
        patch.setattr(Task, "apply_async", unreachable)
        yield patch


def deliveries(persona) -> list[tuple[str, str, str]]:
    response = persona.api.get(f"/v1/team/{persona.team.id}/deliveries")
    assert response.status_code == 200, response.content
    return sorted((d["target"], d["reason"], d["state"]) for d in response.json())


def sweep_once_the_broker_is_back(broker_down, clock) -> int:
    """The broker is back; the periodic sweep runs after a lost hand-off counts as lost."""
    broker_down.undo()
    clock.advance(minutes=1, seconds=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return send_due_deliveries.delay().get()


def test_an_incident_opened_by_evaluation_while_the_broker_is_down_pages_once_it_is_back(
    owner, teammate, clock, mailoutbox, broker_down
):
    on_call_always(owner, teammate.member)  # the team's default policy pages its on-call
    webhook = create_webhook(owner)
    create_ruleset(owner, webhook_ids=[webhook])
    event_id = send(webhook, {"status": "firing"})  # stored; its hand-off to evaluation fails
    with TestCase.captureOnCommitCallbacks(execute=True):
        evaluate_events([event_id])  # a worker (or the re-drive) evaluates it

    assert mailoutbox == []
    assert deliveries(owner) == [("mate@acme.test", "opened", "pending")]
    assert sweep_once_the_broker_is_back(broker_down, clock) == 1
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]
    assert deliveries(owner) == [("mate@acme.test", "opened", "sent")]


def test_an_escalation_step_run_while_the_broker_is_down_pages_once_it_is_back(
    owner, teammate, clock, mailoutbox, broker_down
):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(owner, (0, []), (5, [("oncall", owner.team.id)]))
    open_incident(owner, escalation_policy_id=policy_id)
    clock.advance(minutes=5)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert escalate_due() == 1  # beat's tick, run by a worker

    assert mailoutbox == []
    assert deliveries(owner) == [("mate@acme.test", "escalated", "pending")]
    assert sweep_once_the_broker_is_back(broker_down, clock) == 1
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]


def test_assignees_added_while_the_broker_is_down_are_paged_once_it_is_back(
    owner, teammate, clock, mailoutbox, broker_down
):
    incident_id = open_incident(owner)
    body = {"name": "DB down", "description": "", "urgency": "high"}
    assignees = [{"type": "team_member", "id": str(teammate.member.id)}]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.put(f"/v1/incident/{incident_id}", {**body, "assignees": assignees})
    assert response.status_code == 200, response.content

    assert mailoutbox == []
    assert deliveries(owner) == [("mate@acme.test", "assigned", "pending")]
    assert sweep_once_the_broker_is_back(broker_down, clock) == 1
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]
