"""Auto-resolve after silence: a ruleset's ``auto_resolve_after_seconds`` resolves its incidents
that no event joined for that long, from the periodic check (time moved forward)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from escalation.tests.builders import install_clock
from incidents import services
from incidents.models import Incident
from notifications.tests.test_routing import timeline
from pinghome.testing import assert_invalid, at_once
from rulesets.tests.builders import ruleset_body
from rulesets.tests.pipeline import create_ruleset, create_webhook, incidents, send

pytestmark = pytest.mark.django_db

FIRING = {"status": "firing", "service": "api"}


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


def resolve_silent() -> int:
    """One periodic check, with what it hands over after commit (eager)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.resolve_silent()


def silent_rule(persona, seconds=600, **fields) -> tuple[str, str]:
    """A webhook and a ruleset listening to it with ``auto_resolve_after_seconds``."""
    webhook_id = create_webhook(persona)
    ruleset_id = create_ruleset(
        persona,
        webhook_ids=[webhook_id],
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}
        ],
        dedup_key="service",
        auto_resolve_after_seconds=seconds,
        **fields,
    )
    return webhook_id, ruleset_id


# --------------------------------------------------------------------------- the field


def test_the_field_is_stored_answered_and_kept_when_a_put_leaves_it_out(owner):
    _, ruleset_id = silent_rule(owner, seconds=3600)
    assert owner.api.get(f"/v1/ruleset/{ruleset_id}").json()["auto_resolve_after_seconds"] == 3600

    body = {**ruleset_body(owner.team), "name": "Renamed"}
    assert owner.api.put(f"/v1/ruleset/{ruleset_id}", body, format="json").status_code == 200
    assert owner.api.get(f"/v1/ruleset/{ruleset_id}").json()["auto_resolve_after_seconds"] == 3600

    body["auto_resolve_after_seconds"] = None
    assert owner.api.put(f"/v1/ruleset/{ruleset_id}", body, format="json").status_code == 200
    assert owner.api.get(f"/v1/ruleset/{ruleset_id}").json()["auto_resolve_after_seconds"] is None


@pytest.mark.parametrize("seconds", [9, 0, -1, "600", 60.5, True, 10**12])
def test_anything_but_null_or_an_integer_of_at_least_10_is_422_naming_the_field(owner, seconds):
    body = {**ruleset_body(owner.team), "auto_resolve_after_seconds": seconds}

    response = owner.api.post("/v1/ruleset", body, format="json")

    assert_invalid(response, "auto_resolve_after_seconds")


def test_a_heartbeat_ruleset_does_not_auto_resolve(owner):
    response = owner.api.post(
        "/v1/webhook",
        {"name": "hb", "team_id": str(owner.team.pk), "expect_every_seconds": 60},
        format="json",
    )
    webhook = owner.api.get(f"/v1/webhook/{response.json()['id']}").json()
    ruleset_id = webhook["heartbeat_ruleset_id"]
    body = {
        key: value
        for key, value in owner.api.get(f"/v1/ruleset/{ruleset_id}").json().items()
        if key in ("rule_type", "conditions", "level", "team_id", "name", "description", "urgency")
    }

    response = owner.api.put(
        f"/v1/ruleset/{ruleset_id}", {**body, "auto_resolve_after_seconds": 60}, format="json"
    )

    assert_invalid(response, "auto_resolve_after_seconds")


def test_the_ruleset_page_sets_it_and_names_it_when_invalid(owner, client):
    client.force_login(owner.user)
    _, ruleset_id = silent_rule(owner, seconds=600)
    page = client.get(f"/rulesets/{ruleset_id}")
    assert page.status_code == 200
    assert b'name="auto_resolve_after_seconds" value="600"' in page.content

    form = {
        "rule_type": "webhook",
        "level": "team",
        "team_id": str(owner.team.pk),
        "name": "Silent",
        "urgency": "high",
        "enabled": "on",
        "auto_resolve_after_seconds": "5",
    }
    refused = client.post(f"/rulesets/{ruleset_id}", form)
    assert refused.status_code == 200
    assert b"Auto-resolve after (seconds): Ensure this value is greater than or equal to 10" in (
        refused.content
    )

    saved = client.post(f"/rulesets/{ruleset_id}", {**form, "auto_resolve_after_seconds": ""})
    assert saved.status_code == 302
    assert owner.api.get(f"/v1/ruleset/{ruleset_id}").json()["auto_resolve_after_seconds"] is None


# --------------------------------------------------------------------------- resolving


def test_an_incident_without_an_event_for_that_long_resolves_itself_saying_so(owner, clock):
    webhook_id, _ = silent_rule(owner, seconds=600)
    send(webhook_id, FIRING)
    clock.advance(seconds=590)
    send(webhook_id, FIRING)  # joins it: the silence starts again
    [incident] = incidents(owner)

    clock.advance(seconds=599)
    assert resolve_silent() == 0
    assert incidents(owner)[0]["status"] == "triggered"

    clock.advance(seconds=2)
    assert resolve_silent() == 1

    [incident] = incidents(owner)
    assert incident["status"] == "resolved"
    [entry] = timeline(owner, incident["id"], "resolved")
    assert entry["actor"] == "auto-resolve"
    assert entry["message"].startswith("Resolved automatically: no event since")
    assert "after 600 s" in entry["message"]
    assert resolve_silent() == 0

    send(webhook_id, FIRING)
    assert [i["status"] for i in incidents(owner)] == ["triggered", "resolved"], "a new one opens"


def test_acknowledged_incidents_resolve_too_and_others_rulesets_do_not(owner, clock):
    webhook_id, _ = silent_rule(owner, seconds=60)
    other_webhook = create_webhook(owner, name="other")
    create_ruleset(owner, webhook_ids=[other_webhook], name="Never silent")
    send(webhook_id, FIRING)
    send(other_webhook, FIRING)
    silent = next(i for i in incidents(owner) if i["name"] == "Rule")
    services.acknowledge(Incident.objects.get(pk=silent["id"]), by=owner.user)

    clock.advance(hours=2)
    assert resolve_silent() == 1

    statuses = {i["name"]: i["status"] for i in incidents(owner)}
    assert statuses == {"Rule": "resolved", "Never silent": "triggered"}


@pytest.mark.django_db(transaction=True)
def test_two_periodic_checks_at_once_resolve_each_incident_once(owner):
    webhook_id, _ = silent_rule(owner, seconds=60)
    for n in range(5):
        send(webhook_id, {**FIRING, "service": f"s{n}"})
    later = timezone.now() + timedelta(seconds=61)
    resolved = sum(at_once(lambda: services.resolve_silent(later)))

    assert resolved == 5
    assert set(Incident.objects.values_list("status", flat=True)) == {"resolved"}
    for incident in Incident.objects.all():
        assert incident.timeline.filter(kind="resolved").count() == 1


def test_the_periodic_runner_resolves_silent_incidents(owner, settings):
    webhook_id, _ = silent_rule(owner, seconds=10)
    send(webhook_id, FIRING)
    Incident.objects.update(last_event_at=timezone.now() - timedelta(seconds=11))
    assert settings.CELERY_BEAT_SCHEDULE["resolve-silent-incidents"]["schedule"] <= 10

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("run_periodic", "--once")

    assert incidents(owner)[0]["status"] == "resolved"
