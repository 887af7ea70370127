"""Heartbeats: a webhook's dead-man's switch, set through the webhook API and checked by the
periodic task, opening and resolving its incident through the ruleset machinery."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from audit.models import AuditRecord
from incidents.models import Incident, TimelineEntry
from notifications.tests.test_routing import on_call_always, run_due_deliveries
from pinghome.testing import assert_invalid, assert_not_found, at_once
from rulesets import evaluation, heartbeats
from rulesets.models import Ruleset
from rulesets.tests.builders import make_action
from rulesets.tests.pipeline import send
from statuspages.tests.builders import make_component, make_status_page
from webhooks.models import Webhook, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def still(monkeypatch):
    """Time stands still: each step says how long after the test's start it happens, so a busy
    machine taking seconds between two steps cannot move a check past the deadline it is meant
    to stop short of (``check(124) == 0``, ``check(126) == 1``)."""
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)


def heartbeat_webhook(persona, **fields) -> str:
    body = {
        "name": "alertmanager",
        "team_id": str(persona.team.pk),
        "expect_every_seconds": 60,
        "grace_seconds": 15,
        **fields,
    }
    response = persona.api.post("/v1/webhook", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def check(seconds_from_now: float) -> int:
    """Run the periodic check ``seconds_from_now`` after the test's start (deliveries run
    eagerly)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return heartbeats.check(timezone.now() + timedelta(seconds=seconds_from_now))


def arrives(webhook_id, seconds_from_now: float) -> list[dict]:
    """An event received ``seconds_from_now`` after the test's start, evaluated: what each
    ruleset did."""
    event = WebhookEvent.objects.create(
        webhook_id=webhook_id,
        body=b'{"alertname": "Watchdog"}',
        content_type="application/json",
        received_at=timezone.now() + timedelta(seconds=seconds_from_now),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return evaluation.evaluate_events([str(event.pk)])[str(event.pk)]


def webhook_answer(persona, webhook_id) -> dict:
    response = persona.api.get(f"/v1/webhook/{webhook_id}")
    assert response.status_code == 200, response.content
    return response.json()


def put(persona, webhook_id, **fields):
    return persona.api.put(f"/v1/webhook/{webhook_id}", fields, format="json")


# --------------------------------------------------------------------------- configuring


def test_a_webhook_with_a_heartbeat_gets_a_heartbeat_ruleset_for_its_team(owner):
    webhook_id = heartbeat_webhook(owner)

    answer = webhook_answer(owner, webhook_id)
    assert answer["expect_every_seconds"] == 60
    assert answer["grace_seconds"] == 15
    assert answer["heartbeat_paused"] is False
    assert answer["heartbeat_state"] == "ok"
    ruleset = owner.api.get(f"/v1/ruleset/{answer['heartbeat_ruleset_id']}").json()
    assert ruleset["rule_type"] == "heartbeat"
    assert ruleset["team_id"] == str(owner.team.pk)
    assert ruleset["webhook_ids"] == [webhook_id]
    assert ruleset["urgency"] == "high"


def test_a_webhook_without_a_heartbeat_says_so(owner):
    response = owner.api.post("/v1/webhook", {"name": "plain"}, format="json")

    answer = webhook_answer(owner, response.json()["id"])
    assert answer["expect_every_seconds"] is None
    assert answer["heartbeat_state"] == "off"
    assert answer["heartbeat_ruleset_id"] is None


@pytest.mark.parametrize("seconds", [9, 0, -5, 30 * 86_400 + 1, "60", 1.5])
def test_a_heartbeat_period_out_of_bounds_or_not_an_integer_is_named(owner, seconds):
    response = owner.api.post(
        "/v1/webhook",
        {"team_id": str(owner.team.pk), "expect_every_seconds": seconds},
        format="json",
    )
    assert_invalid(response, "expect_every_seconds")


def test_a_heartbeat_needs_a_team_for_its_incident(owner):
    response = owner.api.post("/v1/webhook", {"expect_every_seconds": 60}, format="json")

    assert_invalid(response, "team_id")
    assert not Webhook.objects.exists()


def test_a_heartbeat_is_set_changed_paused_and_switched_off_with_put_and_audited(owner):
    webhook_id = owner.api.post(
        "/v1/webhook", {"name": "w", "team_id": str(owner.team.pk)}, format="json"
    ).json()["id"]

    assert put(owner, webhook_id, expect_every_seconds=30).status_code == 200
    assert webhook_answer(owner, webhook_id)["heartbeat_state"] == "ok"
    assert put(owner, webhook_id, heartbeat_paused=True).status_code == 200
    assert webhook_answer(owner, webhook_id)["heartbeat_state"] == "paused"
    assert put(owner, webhook_id, expect_every_seconds=None).status_code == 200

    answer = webhook_answer(owner, webhook_id)
    assert (answer["heartbeat_state"], answer["heartbeat_ruleset_id"]) == ("off", None)
    assert answer["name"] == "w"  # left out: kept
    assert not Ruleset.objects.filter(rule_type="heartbeat").exists()
    changes = [
        record.after
        for record in AuditRecord.objects.filter(object_type="webhook", action="updated").order_by(
            "created_at"
        )
    ]
    assert changes == [
        {"expect_every_seconds": 30},
        {"heartbeat_paused": True},
        {"expect_every_seconds": None, "heartbeat_paused": False},
    ]


def test_a_responder_cannot_change_a_webhook(owner, teammate):
    webhook_id = heartbeat_webhook(owner)

    response = put(teammate, webhook_id, heartbeat_paused=True)

    assert response.status_code == 403
    assert webhook_answer(owner, webhook_id)["heartbeat_paused"] is False


def test_a_responder_cannot_give_a_new_webhook_a_heartbeat(teammate):
    response = teammate.api.post(
        "/v1/webhook",
        {"team_id": str(teammate.team.pk), "expect_every_seconds": 60},
        format="json",
    )

    assert response.status_code == 403
    assert not Webhook.objects.exists()


def test_another_organizations_webhook_is_not_found(owner, outsider):
    webhook_id = heartbeat_webhook(owner)

    assert_not_found(outsider.api.get(f"/v1/webhook/{webhook_id}"))
    assert_not_found(put(outsider, webhook_id, expect_every_seconds=None))
    assert webhook_answer(owner, webhook_id)["expect_every_seconds"] == 60


def test_a_heartbeat_ruleset_takes_urgency_and_assignees_but_stays_a_heartbeat(owner):
    webhook_id = heartbeat_webhook(owner)
    ruleset_id = webhook_answer(owner, webhook_id)["heartbeat_ruleset_id"]
    body = {
        "rule_type": "heartbeat",
        "level": "team",
        "team_id": str(owner.team.pk),
        "name": "Watchdog silent",
        "description": "Prometheus is down",
        "urgency": "critical",
        "conditions": [],
    }

    assert owner.api.put(f"/v1/ruleset/{ruleset_id}", body, format="json").status_code == 200
    assert_invalid(
        owner.api.put(f"/v1/ruleset/{ruleset_id}", {**body, "rule_type": "webhook"}, format="json"),
        "rule_type",
    )
    assert_invalid(
        owner.api.put(f"/v1/ruleset/{ruleset_id}", {**body, "dedup_key": "a"}, format="json"),
        "dedup_key",
    )
    assert_invalid(owner.api.post("/v1/ruleset", body, format="json"), "rule_type")
    response = owner.api.delete(f"/v1/ruleset/{ruleset_id}")
    assert response.status_code == 409
    assert "expect_every_seconds" in response.json()["message"]
    ruleset = Ruleset.objects.get(pk=ruleset_id)
    assert (ruleset.urgency, ruleset.name) == ("critical", "Watchdog silent")


# --------------------------------------------------------------------------- the check


def test_a_silent_heartbeat_opens_one_incident_through_its_ruleset(owner):
    webhook_id = heartbeat_webhook(owner)
    ruleset = Ruleset.objects.get(heartbeat_of=webhook_id)

    assert check(74) == 0  # 60 s + 15 s of grace have not passed
    assert check(76) == 1
    assert check(200) == 0  # overdue already: one incident

    incident = Incident.objects.get()
    assert (incident.ruleset_id, incident.team_id) == (ruleset.pk, owner.team.pk)
    assert (incident.name, incident.urgency, incident.status) == (
        "No heartbeat from alertmanager",
        "high",
        "triggered",
    )
    assert incident.event_count == 0
    entry = TimelineEntry.objects.get(incident=incident, kind="created")
    assert "no event from webhook alertmanager" in entry.message
    assert "expected every 60 s, 15 s of grace" in entry.message
    assert webhook_answer(owner, webhook_id)["heartbeat_state"] == "overdue"


def test_the_heartbeat_counts_from_the_last_event(owner):
    webhook_id = heartbeat_webhook(owner)
    send(webhook_id, {"status": "firing", "alertname": "Watchdog"})
    WebhookEvent.objects.update(received_at=timezone.now() + timedelta(seconds=50))

    assert check(124) == 0
    assert check(126) == 1


def test_the_next_event_resolves_the_incident_and_rearms_the_heartbeat(owner):
    webhook_id = heartbeat_webhook(owner)
    check(80)
    [incident] = Incident.objects.all()

    outcomes = arrives(webhook_id, 90)

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert [o["outcome"] for o in outcomes] == ["resolved"]
    check(91)
    assert webhook_answer(owner, webhook_id)["heartbeat_state"] == "ok"
    # Silent again: a new incident, a period after that event.
    assert check(90 + 74) == 0
    assert check(90 + 76) == 1
    assert Incident.objects.exclude(status="resolved").count() == 1


def test_an_event_received_before_the_incident_opened_but_evaluated_after_does_not_resolve_it(
    owner,
):
    webhook_id = heartbeat_webhook(owner)
    check(80)

    [outcome] = arrives(webhook_id, 79)

    assert outcome["outcome"] == "stale"
    assert Incident.objects.get().status == "triggered"


def test_an_incident_resolved_by_hand_is_not_opened_again_until_events_come_and_stop(owner):
    webhook_id = heartbeat_webhook(owner)
    check(80)
    incident = Incident.objects.get()
    response = owner.api.put(
        f"/v1/incident/{incident.pk}",
        {"name": incident.name, "description": "", "urgency": "high", "status": "resolved"},
        format="json",
    )
    assert response.status_code == 200

    assert check(500) == 0
    assert Incident.objects.exclude(status="resolved").count() == 0
    assert webhook_answer(owner, webhook_id)["heartbeat_state"] == "overdue"


def test_a_paused_heartbeat_opens_nothing_and_resuming_restarts_its_clock(owner):
    webhook_id = heartbeat_webhook(owner)
    put(owner, webhook_id, heartbeat_paused=True)

    assert check(500) == 0

    Webhook.objects.filter(pk=webhook_id).update(
        heartbeat_since=timezone.now() - timedelta(days=1)  # paused a day ago, as it were
    )
    put(owner, webhook_id, heartbeat_paused=False)
    assert check(74) == 0
    assert check(76) == 1


def test_a_disabled_heartbeat_ruleset_opens_nothing(owner):
    webhook_id = heartbeat_webhook(owner)
    Ruleset.objects.filter(heartbeat_of=webhook_id).update(enabled=False)

    assert check(500) == 0


def test_switching_the_heartbeat_off_resolves_its_open_incident(owner):
    webhook_id = heartbeat_webhook(owner)
    check(80)

    put(owner, webhook_id, expect_every_seconds=None)

    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert TimelineEntry.objects.filter(
        incident=incident, message__contains="heartbeat was switched off"
    ).exists()
    assert check(1000) == 0


def test_run_periodic_checks_heartbeats(owner, settings):
    webhook_id = heartbeat_webhook(owner, expect_every_seconds=10, grace_seconds=0)
    Webhook.objects.filter(pk=webhook_id).update(
        heartbeat_since=timezone.now() - timedelta(seconds=60)
    )
    assert "check-heartbeats" in settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_BEAT_SCHEDULE["check-heartbeats"]["schedule"] <= 10

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("run_periodic", "--once")

    assert Incident.objects.filter(ruleset__heartbeat_of=webhook_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_periodic_runs_at_once_open_the_incident_once(owner):
    webhooks = [heartbeat_webhook(owner, name=f"w{n}") for n in range(5)]
    later = timezone.now() + timedelta(seconds=90)
    # the heartbeats claimed in the first round stay overdue
    rounds = [sum(at_once(lambda: heartbeats.check(later))) for _ in range(3)]

    assert rounds == [5, 0, 0]

    assert Incident.objects.count() == 5
    assert {str(i.ruleset.heartbeat_of_id) for i in Incident.objects.select_related("ruleset")} == (
        set(webhooks)
    )
    assert TimelineEntry.objects.filter(kind="created").count() == 5


def test_a_silent_heartbeat_pages_the_on_call_and_runs_its_rulesets_actions(
    owner, teammate, mailoutbox
):
    on_call_always(owner, teammate.member)
    webhook_id = heartbeat_webhook(owner)
    ruleset = Ruleset.objects.get(heartbeat_of=webhook_id)
    page = make_status_page(owner.organization)
    component = make_component(page, "Monitoring")
    make_action(ruleset, [{"status_page_id": str(page.pk), "component_id": str(component.pk)}])

    assert check(76) == 1

    incident = Incident.objects.get()
    run_due_deliveries()  # stamped by the database's clock, past this test's frozen one
    assert [m.to for m in mailoutbox] == [["mate@acme.test"]]
    assert mailoutbox[0].subject == "[high] No heartbeat from alertmanager (Ops)"
    kinds = set(TimelineEntry.objects.filter(incident=incident).values_list("kind", flat=True))
    assert {"created", "notified", "action-succeeded"} <= kinds
    component.refresh_from_db()
    assert component.status != "operational"

    arrives(webhook_id, 80)  # the next event resolves it, and the component recovers
    component.refresh_from_db()
    assert component.status == "operational"
