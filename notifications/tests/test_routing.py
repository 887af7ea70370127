"""Incidents reach whoever is on call: e-mail and signed webhooks, recorded on the timeline."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Delivery
from notifications.tasks import send_due_deliveries
from pinghome.testing import make_persona
from rulesets.evaluation import evaluate_events
from rulesets.tests.pipeline import create_ruleset, create_webhook, send
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

ALWAYS = {"week_days": [0, 1, 2, 3, 4, 5, 6], "start_time": "00:00:00", "end_time": "00:00:00"}


def on_call_always(persona, member):
    response = persona.api.post(
        f"/v1/team/{persona.team.id}/schedule", {"team_member_id": str(member.id), **ALWAYS}
    )
    assert response.status_code == 201


def open_incident(persona, **fields):
    body = {"name": "DB down", "description": "primary gone", "urgency": "high", **fields}
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = persona.api.post(f"/v1/team/{persona.team.id}/incident", body)
    assert response.status_code == 201
    return response.json()["id"]


def timeline(persona, incident_id, kind=None):
    entries = persona.api.get(f"/v1/incident/{incident_id}/timeline").json()
    return [e for e in entries if kind is None or e["kind"] == kind]


def add_verified_webhook(persona, receiver) -> dict:
    """A webhook contact method, verified with the code it was sent, paging at every urgency;
    ``{"id", "secret"}``."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = persona.api.post(
            "/v1/user/contact-method", {"type": "webhook", "target": receiver.url}
        ).json()
    code = json.loads(receiver.requests.pop()[1])["code"]
    response = persona.api.post(f"/v1/user/contact-method/{created['id']}/verify", {"code": code})
    assert response.status_code == 200, response.content
    page_me_by(persona, created["id"])
    return created


def page_me_by(persona, contact_method_id: str, delay_minutes: int = 0) -> None:
    """One rule per urgency: this contact method after ``delay_minutes``."""
    rules = [
        {"urgency": u, "contact_method_id": contact_method_id, "delay_minutes": delay_minutes}
        for u in ("low", "medium", "high", "critical")
    ]
    response = persona.api.put("/v1/user/notification-rules", {"rules": rules})
    assert response.status_code == 200, response.content


def run_due_deliveries(minutes_later: int = 60) -> int:
    """Move time forward for pending deliveries, then run the periodic sweep."""
    Delivery.objects.filter(state="pending").update(
        due_at=F("due_at") - timedelta(minutes=minutes_later), enqueued_at=None
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return send_due_deliveries.delay().get()


def test_a_team_incident_emails_the_members_on_call_only(owner, teammate, mailoutbox):
    on_call_always(owner, teammate.member)
    incident_id = open_incident(owner, assignees=[{"type": "team", "id": str(owner.team.id)}])

    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]
    assert mailoutbox[0].subject == "[high] DB down (Ops)"
    assert incident_id in mailoutbox[0].body
    [entry] = timeline(owner, incident_id, "notified")
    assert (
        entry["data"]
        | {
            "user_id": str(teammate.user.id),
            "channel": "email",
            "target": "mate@acme.test",
            "reason": "opened",
            "attempt": 1,
        }
        == entry["data"]
    )
    assert entry["message"] == "Page mate@acme.test by email (mate@acme.test): sent"


def test_an_unassigned_incident_goes_to_its_teams_on_call(owner, teammate, mailoutbox):
    on_call_always(owner, owner.member)
    open_incident(owner)
    assert [m.to for m in mailoutbox] == [["owner@acme.test"]]


def test_a_team_member_assignee_is_notified_directly(owner, teammate, mailoutbox):
    open_incident(owner, assignees=[{"type": "team_member", "id": str(teammate.member.id)}])
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]


def test_no_one_on_call_is_itself_on_the_timeline(owner, mailoutbox):
    incident_id = open_incident(owner, assignees=[{"type": "team", "id": str(owner.team.id)}])
    assert mailoutbox == []
    [entry] = timeline(owner, incident_id, "no-one-on-call")
    assert entry["message"] == "No one on call for team Ops"


def test_an_incident_opened_by_a_rule_reaches_the_on_call(owner, teammate, mailoutbox):
    on_call_always(owner, teammate.member)
    webhook = create_webhook(owner)
    create_ruleset(owner, assignees=[{"type": "team", "id": str(owner.team.id)}])
    send(webhook, {"anything": True})
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]


def test_a_schedule_change_applies_to_the_next_incident_at_once(owner, teammate, mailoutbox):
    webhook = create_webhook(owner)
    create_ruleset(owner, dedup_key="service")
    send(webhook, {"service": "db"})  # routed: no one on call, which the process now knows
    assert mailoutbox == []

    on_call_always(owner, teammate.member)
    send(webhook, {"service": "web"})
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]

    now = timezone.now()
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/override",
        {
            "team_member_id": str(owner.member.id),
            "replaces_team_member_id": str(teammate.member.id),
            "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert response.status_code == 201
    send(webhook, {"service": "api"})
    assert [m.to for m in mailoutbox] == [["mate@acme.test"], ["owner@acme.test"]]


def test_incidents_opened_together_by_rules_each_reach_the_on_call(owner, teammate, mailoutbox):
    on_call_always(owner, teammate.member)
    webhook = create_webhook(owner)
    create_ruleset(owner, dedup_key="service", incident_name="{{ service }} down")
    events = [
        WebhookEvent.objects.create(webhook_id=webhook, body=json.dumps({"service": s}).encode())
        for s in ("api", "db", "web")
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        evaluate_events([str(event.pk) for event in events])  # one chunk, one routing
    assert sorted(m.subject for m in mailoutbox) == [
        "[high] api down (Ops)",
        "[high] db down (Ops)",
        "[high] web down (Ops)",
    ]


@pytest.mark.parametrize("on_call", [True, False])
def test_evaluating_many_new_incidents_routes_them_with_the_queries_of_two(
    owner, teammate, on_call, mailoutbox
):
    if on_call:
        on_call_always(owner, teammate.member)
    webhook = create_webhook(owner)
    create_ruleset(owner, dedup_key="service")
    counts, opened = [], []
    for services_ in (range(1), range(1, 3), range(3, 15)):  # the first reads the ruleset
        events = [
            WebhookEvent.objects.create(
                webhook_id=webhook, body=json.dumps({"service": s}).encode()
            )
            for s in services_
        ]
        with TestCase.captureOnCommitCallbacks(execute=True):
            with CaptureQueriesContext(connection) as queries:
                outcomes = evaluate_events([str(event.pk) for event in events])  # one chunk
        counts.append(len(queries))
        opened += [o["incident_id"] for result in outcomes.values() for o in result]

    assert counts[1] == counts[2]
    assert len(mailoutbox) == (15 if on_call else 0)
    steps = [timeline(owner, incident_id, "escalated") for incident_id in opened]
    nobody = [] if on_call else [str(owner.team.id)]
    assert [[e["data"]["no_one_on_call_team_ids"] for e in entries] for entries in steps] == [
        [nobody]
    ] * 15


def test_new_assignees_are_notified_when_assignees_change(owner, teammate, mailoutbox):
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )
    mailoutbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = owner.api.put(
            f"/v1/incident/{incident_id}",
            {
                "name": "DB down",
                "description": "",
                "urgency": "high",
                "assignees": [
                    {"type": "team_member", "id": str(owner.member.id)},
                    {"type": "team_member", "id": str(teammate.member.id)},
                ],
            },
        )
    assert response.status_code == 200
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]


def test_a_webhook_contact_method_gets_a_signed_json_post_with_links(owner, receiver, mailoutbox):
    created = add_verified_webhook(owner, receiver)
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )

    [(headers, body)] = receiver.requests
    payload = json.loads(body)
    assert payload["event"] == "incident.opened"
    assert payload["incident"]["id"] == payload["incident_id"] == incident_id
    assert f"/respond/{incident_id}/" in payload["acknowledge_url"]
    assert f"/respond/{incident_id}/" in payload["resolve_url"]
    timestamp, signature = (
        part.split("=", 1)[1] for part in headers["X-Pinghome-Signature"].split(",")
    )
    expected = hmac.new(created["secret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert signature == expected.hexdigest()
    assert mailoutbox == [], "a rule on a verified method replaces the default e-mail"
    [entry] = timeline(owner, incident_id, "notified")
    assert entry["data"]["channel"] == "webhook"


def test_webhook_failures_are_retried_with_backoff_then_given_up(owner, receiver):
    add_verified_webhook(owner, receiver)
    receiver.statuses.extend([503, 503, 503, 503, 503])
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )
    assert len(receiver.requests) == 1, "a retry waits: never inside the request"
    [delivery] = Delivery.objects.all()
    assert delivery.state == "pending"
    assert delivery.due_at - timezone.now() == pytest.approx(
        timedelta(seconds=15), abs=timedelta(seconds=5)
    )
    assert run_due_deliveries(minutes_later=1) == 1
    assert run_due_deliveries() == 1
    assert run_due_deliveries() == 1
    assert run_due_deliveries() == 1
    assert run_due_deliveries() == 0, "five attempts at most"
    assert len(receiver.requests) == 5
    entries = timeline(owner, incident_id, "notification-failed")
    assert [e["data"]["attempt"] for e in entries] == [1, 2, 3, 4, 5]
    assert all("HTTP 503" in e["message"] for e in entries)
    assert "retrying at" in entries[0]["message"]
    assert "giving up" in entries[-1]["message"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.error) == ("failed", "HTTP 503")


def test_a_retry_that_succeeds_is_recorded_as_sent(owner, receiver):
    add_verified_webhook(owner, receiver)
    receiver.statuses.append(503)
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )
    run_due_deliveries()
    assert len(receiver.requests) == 2
    assert [e["data"]["attempt"] for e in timeline(owner, incident_id, "notified")] == [2]


def test_a_4xx_from_the_receiver_is_not_retried(owner, receiver):
    add_verified_webhook(owner, receiver)
    receiver.statuses.append(410)
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )
    assert run_due_deliveries() == 0
    assert len(receiver.requests) == 1
    [entry] = timeline(owner, incident_id, "notification-failed")
    assert "not retried" in entry["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
    ],
)
def test_private_destinations_are_refused_by_default(owner, url):
    response = owner.api.post("/v1/user/contact-method", {"type": "webhook", "target": url})
    assert response.status_code == 422
    assert "non-public address" in response.json()["errors"]["target"][0]


def test_a_destination_allowed_when_added_is_checked_again_when_sending(owner, receiver, settings):
    add_verified_webhook(owner, receiver)
    settings.NOTIFY_ALLOW_PRIVATE_ADDRESSES = False
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )
    [entry] = timeline(owner, incident_id, "notification-failed")
    assert "non-public address" in entry["message"]
    assert receiver.requests == []


def test_the_old_notification_channel_routes_still_work_on_contact_methods(owner, outsider):
    created = owner.api.post(
        "/v1/notification-channel", {"type": "email", "target": "pager@acme.test"}
    ).json()
    assert [c["target"] for c in owner.api.get("/v1/notification-channels").json()] == [
        "pager@acme.test"
    ]
    assert outsider.api.get("/v1/notification-channels").json() == []
    assert outsider.api.delete(f"/v1/notification-channel/{created['id']}").status_code == 404
    assert owner.api.delete(f"/v1/notification-channel/{created['id']}").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "sms", "target": "x"}, "type"),
        ({"type": "email", "target": "not-an-address"}, "target"),
        ({"type": "webhook", "target": "ftp://example.com/x"}, "target"),
        ({"type": "webhook"}, "target"),
    ],
)
def test_channel_validation_names_the_field(owner, body, field):
    response = owner.api.post("/v1/notification-channel", body)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_another_org_member_is_never_notified(owner, outsider, mailoutbox):
    make_persona("Globex", "Ops", "other@globex.test")
    on_call_always(owner, owner.member)
    open_incident(owner)
    assert all(m.to == ["owner@acme.test"] for m in mailoutbox)
