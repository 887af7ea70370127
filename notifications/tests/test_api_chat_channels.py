"""Team chat channels: managed by the team's managers, told of the team's incident changes."""

import pytest
from django.test import TestCase

from audit.models import AuditRecord
from incidents.models import Incident
from notifications import services
from notifications.tests.test_routing import open_incident
from pinghome.testing import UNKNOWN_ID, assert_invalid, assert_not_found

pytestmark = pytest.mark.django_db

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"


def add_channel(persona, target=SLACK, label="#alerts", team=None):
    team = team or persona.team
    return persona.api.post(f"/v1/team/{team.id}/chat-channel", {"target": target, "label": label})


def test_a_manager_adds_lists_and_removes_a_chat_channel(owner, manager):
    response = add_channel(manager)
    assert response.status_code == 201
    channel_id = response.json()["id"]
    [listed] = owner.api.get(f"/v1/team/{owner.team.id}/chat-channels").json()
    assert listed["id"] == channel_id and listed["label"] == "#alerts"
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in listed["target"], "secrets masked"
    assert owner.api.delete(f"/v1/chat-channel/{channel_id}").status_code == 200
    assert owner.api.get(f"/v1/team/{owner.team.id}/chat-channels").json() == []
    assert list(
        AuditRecord.objects.filter(object_type="chatchannel").values_list("action", flat=True)
    ) == ["deleted", "created"]


def test_a_responder_may_not_change_chat_channels(owner, teammate):
    assert add_channel(teammate).status_code == 403
    channel_id = add_channel(owner).json()["id"]
    assert teammate.api.delete(f"/v1/chat-channel/{channel_id}").status_code == 403


def test_another_organizations_channels_are_not_found(owner, outsider):
    channel_id = add_channel(owner).json()["id"]
    assert_not_found(add_channel(outsider, team=owner.team))
    assert_not_found(outsider.api.get(f"/v1/team/{owner.team.id}/chat-channels"))
    assert_not_found(outsider.api.delete(f"/v1/chat-channel/{channel_id}"))
    assert_not_found(owner.api.delete(f"/v1/chat-channel/{UNKNOWN_ID}"))


@pytest.mark.parametrize(
    "target", ["https://hooks.example.com/x", "syslog://", "json://127.0.0.1/x", "", 42]
)
def test_a_chat_channel_is_a_network_apprise_url(owner, target):
    assert_invalid(add_channel(owner, target=target), "target")


def test_incident_changes_are_posted_with_a_link(owner, receiver):
    add_channel(owner, target=f"json://{receiver.address}/chat")
    incident_id = open_incident(owner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner.api.put(
            f"/v1/incident/{incident_id}",
            {"name": "DB down", "description": "", "urgency": "high", "status": "acknowledged"},
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner.api.put(
            f"/v1/incident/{incident_id}",
            {"name": "DB down", "description": "", "urgency": "high", "status": "resolved"},
        )
    titles = [receiver.json(i)["title"] for i in range(len(receiver.requests))]
    assert titles == [
        "Opened: [high] DB down (Ops)",
        "Acknowledged by owner@acme.test: [high] DB down (Ops)",
        "Resolved by owner@acme.test: [high] DB down (Ops)",
    ]
    message = receiver.json(0)["message"]
    assert f"/incidents/{incident_id}" in message
    assert "/respond/" not in message, "a channel is no one: no acknowledge link"
    deliveries = owner.api.get(f"/v1/team/{owner.team.id}/deliveries").json()
    assert [d["state"] for d in deliveries] == ["sent"] * 3


def test_an_escalation_step_posts_once(owner, receiver):
    channel_id = add_channel(owner, target=f"json://{receiver.address}/chat").json()["id"]
    incident_id = open_incident(owner)
    receiver.requests.clear()
    incident = Incident.objects.get(pk=incident_id)
    for _ in range(2):
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.post_to_chat_channel(
                incident, channel_id, reason="escalated", step_label="step 2"
            )
    assert len(receiver.requests) == 1
    assert receiver.json()["title"] == "Escalated: [high] DB down (Ops)"
