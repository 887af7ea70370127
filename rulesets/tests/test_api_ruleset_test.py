"""POST /v1/ruleset/test and /v1/ruleset/{id}/test: a ruleset, saved or not, explained on a
payload or on stored events, writing nothing."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from audit.models import AuditRecord
from incidents.models import Incident, TimelineEntry
from pinghome.testing import assert_invalid, assert_not_found, client_with_scopes
from rulesets.models import DedupState, Ruleset
from rulesets.tests.pipeline import create_ruleset, create_webhook, payload, send
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

FIRING = {"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}
RESOLVED = {"type": "json-check", "key": "status", "operator": "equal", "values": ["resolved"]}


def rule(persona, **fields) -> dict:
    return {
        "rule_type": "webhook",
        "level": "team",
        "team_id": str(persona.team.id),
        "name": "Alertmanager",
        "description": "",
        "urgency": "high",
        "conditions": [FIRING],
        "resolve_conditions": [RESOLVED],
        "dedup_key": "groupKey",
        **fields,
    }


def state() -> list[int]:
    models = (Incident, WebhookEvent, DedupState, Ruleset, AuditRecord, TimelineEntry)
    return [model.objects.count() for model in models] + [
        WebhookEvent.objects.filter(evaluated_at__isnull=True).count()
    ]


def test_a_payload_is_explained_condition_by_condition_and_nothing_is_written(owner):
    create_webhook(owner)
    severity = {
        "type": "json-check",
        "key": "commonLabels.severity",
        "operator": "equal",
        "values": ["warning", "page"],
    }
    source = {"type": "header-check", "key": "x-source", "operator": "equal", "values": ["am"]}
    body = {
        "ruleset": rule(
            owner,
            conditions=[FIRING, severity, source],
            incident_name='{{ commonLabels.alertname }} on {{ commonLabels.host | default: "?" }}',
        ),
        "payload": json.loads(payload("alertmanager_v4_firing.json")),
        "headers": {"X-Source": "am"},
    }
    before = state()

    response = owner.api.post("/v1/ruleset/test", body, format="json")

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert result["event_id"] is None and result["outcome"] == "no-match"
    assert [(c["key"], c["held"], c["found"]) for c in result["conditions"]] == [
        ("status", True, ["firing"]),
        ("commonLabels.severity", False, ["critical"]),
        ("x-source", True, ["am"]),
    ]
    assert [(c["key"], c["held"]) for c in result["resolve_conditions"]] == [("status", False)]
    assert result["dedup_key"] == '{}:{alertname="Fire"}'
    assert state() == before

    body["ruleset"]["conditions"] = [FIRING, {**severity, "values": ["critical"]}, source]
    [result] = owner.api.post("/v1/ruleset/test", body, format="json").json()["results"]
    assert result["outcome"] == "open"
    assert result["incident_name"] == "Fire on ?"
    assert result["incident_description"] == "Something is on fire"
    assert result["incident_id"] is None
    assert state() == before


def test_stored_events_are_judged_against_the_incidents_open_now(owner):
    webhook = create_webhook(owner)
    ruleset_id = create_ruleset(owner, **rule(owner, webhook_ids=[webhook]))
    send(webhook, {"status": "firing", "groupKey": "a"})  # opens the incident of key a
    firing_a = send(webhook, {"status": "firing", "groupKey": "a"})
    firing_b = send(webhook, {"status": "firing", "groupKey": "b"})
    resolved_a = send(webhook, {"status": "resolved", "groupKey": "a"})
    resolved_c = send(webhook, {"status": "resolved", "groupKey": "c"})
    Incident.objects.filter(dedup_key="a").update(status="triggered", resolved_at=None)
    Incident.objects.filter(dedup_key="b").update(status="resolved")
    [incident] = Incident.objects.filter(dedup_key="a")
    events = [firing_a, firing_b, resolved_a, resolved_c]
    body = {"ruleset": rule(owner, webhook_ids=[webhook]), "event_ids": events}
    before = state()

    saved = owner.api.post(f"/v1/ruleset/{ruleset_id}/test", body, format="json")
    new = owner.api.post("/v1/ruleset/test", body, format="json")

    assert saved.status_code == 200 and new.status_code == 200
    by_event = {r["event_id"]: r for r in saved.json()["results"]}
    assert [by_event[e]["outcome"] for e in events] == [
        "attach",
        "open",
        "resolve",
        "no-open-incident",
    ]
    assert (
        by_event[firing_a]["incident_id"] == by_event[resolved_a]["incident_id"] == str(incident.pk)
    )
    # A ruleset not saved yet has no incident.
    by_event = {r["event_id"]: r for r in new.json()["results"]}
    assert [by_event[e]["outcome"] for e in events] == [
        "open",
        "open",
        "no-open-incident",
        "no-open-incident",
    ]
    assert state() == before


def test_the_test_decides_within_the_evaluation_limits(owner, settings):
    settings.EVALUATION_MAX_VALUES = 1000
    create_webhook(owner)
    fan_out = {"type": "json-check", "key": "a[*][*]", "operator": "equal", "values": ["x"]}
    body = {"ruleset": rule(owner, conditions=[fan_out]), "payload": {"a": [[0] * 10] * 100}}
    [result] = owner.api.post("/v1/ruleset/test", body, format="json").json()["results"]
    assert result["outcome"] == "error"
    assert (
        result["detail"] == "evaluation limit exceeded: more than 1000 values visited by key paths"
    )


def test_a_read_only_token_may_test_a_ruleset(owner):
    create_webhook(owner)
    api = client_with_scopes(owner.user, ["read"])
    body = {"ruleset": rule(owner), "payload": "plain text, not JSON"}
    response = api.post("/v1/ruleset/test", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["outcome"] == "no-match"
    assert api.post("/v1/ruleset", rule(owner), format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({}, ["payload"]),
        ({"payload": {}, "event_ids": [str(uuid.uuid4())]}, ["payload", "event_ids"]),
        ({"event_ids": []}, ["event_ids"]),
        ({"event_ids": [str(uuid.uuid4())] * 51}, ["event_ids"]),
        ({"event_ids": ["nope"]}, ["event_ids.0"]),
        ({"payload": {}, "headers": {"": "x"}}, ["headers"]),
        ({"payload": {}, "headers": {"X": 1}}, ["headers.X"]),
        ({"payload": "x" * 2_000_000}, ["payload"]),
        ({"payload": {}, "ruleset": {"name": "only"}}, ["ruleset.conditions"]),
    ],
)
def test_a_bad_test_request_is_a_422_naming_the_field(owner, change, fields):
    create_webhook(owner)
    body = {"ruleset": rule(owner), **change}
    assert_invalid(owner.api.post("/v1/ruleset/test", body, format="json"), *fields)


def test_a_bad_regex_is_named_by_its_path_in_the_ruleset(owner):
    create_webhook(owner)
    bad = {"type": "json-check", "key": "m", "operator": "regex", "values": ["(?=x)"]}
    body = {"ruleset": rule(owner, conditions=[bad]), "payload": {}}
    assert_invalid(
        owner.api.post("/v1/ruleset/test", body, format="json"), "ruleset.conditions.0.values.0"
    )


def test_another_organizations_events_and_rulesets_are_404(owner, outsider):
    theirs = create_webhook(outsider)
    their_event = send(theirs, {"status": "firing"})
    their_ruleset = create_ruleset(outsider)
    create_webhook(owner)
    events = {"ruleset": rule(owner), "event_ids": [their_event]}
    assert_not_found(owner.api.post("/v1/ruleset/test", events, format="json"))
    unknown = {"ruleset": rule(owner), "event_ids": [str(uuid.uuid4())]}
    assert_not_found(owner.api.post("/v1/ruleset/test", unknown, format="json"))
    pasted = {"ruleset": rule(owner), "payload": {}}
    assert_not_found(owner.api.post(f"/v1/ruleset/{their_ruleset}/test", pasted, format="json"))


def test_an_organization_without_a_webhook_cannot_test_a_payload(owner):
    body = {"ruleset": rule(owner), "payload": {}}
    assert_invalid(owner.api.post("/v1/ruleset/test", body, format="json"), "payload")


def test_testing_needs_a_token():
    response = Client().post("/v1/ruleset/test", {}, content_type="application/json")
    assert response.status_code == 401


def maintenance_window(persona, **scope) -> str:
    now = datetime.now(UTC)
    body = {
        "reason": "Database upgrade",
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
        "recurrence": None,
        **scope,
    }
    response = persona.api.post("/v1/maintenance-window", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_ruleset_that_would_ignore_the_event_says_so_and_what_it_would_do_otherwise(owner):
    listened, other = create_webhook(owner, "listened"), create_webhook(owner, "other")
    firing = send(other, {"status": "firing", "groupKey": "a"})
    body = {"ruleset": rule(owner, webhook_ids=[listened]), "event_ids": [firing]}

    [result] = owner.api.post("/v1/ruleset/test", body, format="json").json()["results"]
    assert result["outcome"] == "not-listening"
    assert result["detail"] == "otherwise: would open an incident"

    body["ruleset"].update(webhook_ids=[], enabled=False)
    [result] = owner.api.post("/v1/ruleset/test", body, format="json").json()["results"]
    assert result["outcome"] == "disabled"
    assert result["detail"] == "otherwise: would open an incident"

    # An edit that names no webhooks keeps the saved ruleset's.
    ruleset_id = create_ruleset(owner, **rule(owner, webhook_ids=[listened]))
    edit = {"ruleset": rule(owner), "event_ids": [firing]}
    tested = owner.api.post(f"/v1/ruleset/{ruleset_id}/test", edit, format="json")
    assert [r["outcome"] for r in tested.json()["results"]] == ["not-listening"]


def test_an_active_maintenance_window_suppresses_what_would_open_or_attach(owner):
    webhook = create_webhook(owner)
    ruleset_id = create_ruleset(owner, **rule(owner, webhook_ids=[webhook]))
    send(webhook, {"status": "firing", "groupKey": "a"})  # opens the incident of key a
    attach = {"status": "firing", "groupKey": "a"}
    body = {"ruleset": rule(owner, webhook_ids=[webhook]), "payload": attach}
    window_id = maintenance_window(owner, webhook_ids=[webhook])

    [result] = owner.api.post(f"/v1/ruleset/{ruleset_id}/test", body, format="json").json()[
        "results"
    ]
    assert result["outcome"] == "suppressed"
    assert result["maintenance_window_id"] == window_id
    assert result["detail"] == "window: Database upgrade"
    # A resolve is never suppressed.
    body["payload"] = {"status": "resolved", "groupKey": "a"}
    [result] = owner.api.post(f"/v1/ruleset/{ruleset_id}/test", body, format="json").json()[
        "results"
    ]
    assert result["outcome"] == "resolve" and result["maintenance_window_id"] is None

    # A window of another webhook suppresses nothing.
    owner.api.delete(f"/v1/maintenance-window/{window_id}")
    maintenance_window(owner, webhook_ids=[create_webhook(owner, "other")])
    body["payload"] = attach
    [result] = owner.api.post(f"/v1/ruleset/{ruleset_id}/test", body, format="json").json()[
        "results"
    ]
    assert result["outcome"] == "attach"


def test_a_stored_event_shows_what_the_saved_ruleset_did_when_it_was_received(owner):
    webhook = create_webhook(owner)
    before_ruleset = send(webhook, {"status": "firing", "groupKey": "old"})
    ruleset_id = create_ruleset(owner, **rule(owner, webhook_ids=[webhook]))
    window_id = maintenance_window(owner)
    suppressed = send(webhook, {"status": "firing", "groupKey": "a"})
    owner.api.delete(f"/v1/maintenance-window/{window_id}")
    opened = send(webhook, {"status": "firing", "groupKey": "b"})
    unmatched = send(webhook, {"status": "silenced", "groupKey": "c"})
    [incident] = Incident.objects.filter(dedup_key="b")
    events = [before_ruleset, suppressed, opened, unmatched]
    body = {"ruleset": rule(owner, webhook_ids=[webhook]), "event_ids": events}

    saved = owner.api.post(f"/v1/ruleset/{ruleset_id}/test", body, format="json").json()
    new = owner.api.post("/v1/ruleset/test", body, format="json").json()

    by_event = {r["event_id"]: r for r in saved["results"]}
    assert by_event[before_ruleset]["when_received"]["outcome"] == "not-applied"
    assert by_event[suppressed]["when_received"] == {
        "outcome": "suppressed",
        "maintenance_window_id": window_id,
    }
    assert by_event[suppressed]["outcome"] == "open"  # the window has gone: now it would open
    assert by_event[opened]["when_received"] == {
        "outcome": "opened",
        "incident_id": str(incident.pk),
    }
    assert by_event[unmatched]["when_received"] == {"outcome": "no-match"}
    # A ruleset not saved yet did nothing with them.
    assert {r["when_received"] for r in new["results"]} == {None}
