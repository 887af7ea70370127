"""Exactly once, in effect: idempotent evaluation, re-drive, receive order, concurrency."""

import json
from datetime import timedelta
from functools import partial

import pytest
from django.core.management import call_command
from django.db import DataError, connection
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from pinghome.testing import at_once
from rulesets import evaluation
from rulesets.models import DedupState
from rulesets.tasks import evaluate_events, purge_dedup_states, redrive_pending_events
from rulesets.tests.pipeline import create_ruleset, create_webhook, incidents, send
from webhooks.models import WebhookEvent

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]
RESOLVED = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["resolved"]}]


def stored(webhook_id: str, body: bytes, **fields) -> WebhookEvent:
    """An accepted event whose hand-off to Celery was lost (broker down)."""
    return WebhookEvent.objects.create(
        webhook_id=webhook_id, body=body, content_type="application/json", ip="10.0.0.1", **fields
    )


def evaluate_one(event_id: str):
    """What evaluating this one event did; None when it was evaluated already (or elsewhere)."""
    return evaluation.evaluate_events([event_id]).get(event_id)


def firing_ruleset(persona, webhook):
    return create_ruleset(
        persona,
        conditions=FIRING,
        resolve_conditions=RESOLVED,
        dedup_key="service",
        webhook_ids=[webhook],
    )


FIRING_API = b'{"status": "firing", "service": "api"}'
RESOLVED_API = b'{"status": "resolved", "service": "api"}'


def received_in_order(persona, *bodies: bytes) -> list[WebhookEvent]:
    """Events stored a second apart, not evaluated yet, for a new webhook's firing ruleset."""
    webhook = create_webhook(persona)
    firing_ruleset(persona, webhook)
    now = timezone.now()
    return [
        stored(webhook, body, received_at=now + timedelta(seconds=n))
        for n, body in enumerate(bodies)
    ]


@pytest.mark.django_db
def test_running_the_evaluation_task_twice_changes_nothing_the_second_time(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    event = stored(webhook, b'{"status": "firing", "service": "api"}')

    with TestCase.captureOnCommitCallbacks(execute=True):
        evaluate_events.delay([str(event.pk)])
    WebhookEvent.objects.filter(pk=event.pk).update(evaluated_at=None)  # as if the ack was lost
    with TestCase.captureOnCommitCallbacks(execute=True):
        evaluate_events.delay([str(event.pk)])

    [incident] = incidents(owner)
    assert incident["event_count"] == 1
    assert IncidentEvent.objects.count() == 1


@pytest.mark.django_db
def test_events_are_evaluated_once_the_broker_is_back(owner, settings, monkeypatch):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(evaluate_events, "apply_async", broker_down)
    event_id = send(webhook, {"status": "firing", "service": "api"})
    assert WebhookEvent.objects.get(pk=event_id).evaluated_at is None
    assert incidents(owner) == []
    monkeypatch.undo()

    settings.EVALUATION_REDRIVE_AFTER_SECONDS = 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert redrive_pending_events.delay().get() == 1
    [incident] = incidents(owner)
    assert incident["event_count"] == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert redrive_pending_events.delay().get() == 0


@pytest.mark.django_db
def test_redrive_waits_for_the_configured_delay(owner, settings):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    stored(webhook, b'{"status": "firing", "service": "api"}')
    settings.EVALUATION_REDRIVE_AFTER_SECONDS = 300
    assert redrive_pending_events.delay().get() == 0


@pytest.mark.django_db
def test_operators_can_reevaluate_pending_events_with_a_command(owner, capsys):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    for _ in range(3):
        stored(webhook, b'{"status": "firing", "service": "api"}')

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("reevaluate_events")

    assert "3 event(s) evaluated" in capsys.readouterr().out
    [incident] = incidents(owner)
    assert incident["event_count"] == 3


@pytest.mark.django_db
def test_a_resolve_evaluated_before_its_older_firing_leaves_nothing_open(owner):
    firing, resolved = received_in_order(owner, FIRING_API, RESOLVED_API)

    evaluate_one(str(resolved.pk))
    outcomes = evaluate_one(str(firing.pk))

    assert outcomes[0]["outcome"] == "stale"
    assert not Incident.objects.exclude(status="resolved").exists()


@pytest.mark.django_db
def test_an_older_duplicate_evaluated_late_still_attaches_to_the_open_incident(owner):
    older, newer = received_in_order(owner, FIRING_API, FIRING_API)

    evaluate_one(str(newer.pk))
    outcomes = evaluate_one(str(older.pk))

    assert outcomes[0]["outcome"] == "attached"
    assert Incident.objects.get().event_count == 2


@pytest.mark.django_db
def test_an_older_event_after_a_newer_one_that_failed_still_opens_the_incident(owner, monkeypatch):
    from incidents import services

    older, newer = received_in_order(owner, FIRING_API, FIRING_API)
    timeline_entry = services._entry

    def fail_for_newer(incident, ruleset, message, event, **kwargs):
        if event.pk == newer.pk:
            raise RuntimeError("timeline bug")
        return timeline_entry(incident, ruleset, message, event, **kwargs)

    monkeypatch.setattr(services, "_entry", fail_for_newer)
    assert evaluate_one(str(newer.pk))[0]["outcome"] == "error"  # the key's first event
    outcomes = evaluate_one(str(older.pk))

    assert outcomes[0]["outcome"] == "opened"  # not "stale": the failed event never applied
    assert Incident.objects.get().event_count == 1


@pytest.mark.django_db
def test_the_events_api_shows_what_evaluation_did(owner):
    webhook = create_webhook(owner)
    ruleset = firing_ruleset(owner, webhook)
    send(webhook, {"status": "firing", "service": "api"})
    send(webhook, {"status": "unknown", "service": "api"})

    newest, oldest = owner.api.get(f"/v1/webhook/{webhook}/events").json()
    assert newest["evaluation"]["rulesets"] == [
        {"ruleset_id": ruleset, "ruleset": "Rule", "outcome": "no-match"}
    ]
    [outcome] = oldest["evaluation"]["rulesets"]
    assert outcome["outcome"] == "opened"
    assert outcome["dedup_key"] == "api"
    assert outcome["incident_id"] == incidents(owner)[0]["id"]


@pytest.mark.django_db
def test_a_state_change_rule_ignores_events_without_the_dedup_key(owner):
    webhook = create_webhook(owner)
    create_ruleset(owner, rule_type="state-change", conditions=FIRING, dedup_key="service")
    send(webhook, {"status": "firing"})
    assert incidents(owner) == []
    [event] = owner.api.get(f"/v1/webhook/{webhook}/events").json()
    assert event["evaluation"]["rulesets"][0]["outcome"] == "no-dedup-key"


@pytest.mark.django_db
def test_disabled_rulesets_and_rulesets_of_other_webhooks_do_not_evaluate(owner):
    webhook, other = create_webhook(owner), create_webhook(owner, "other")
    create_ruleset(owner, conditions=FIRING, enabled=False)
    create_ruleset(owner, conditions=FIRING, webhook_ids=[other])
    send(webhook, {"status": "firing"})
    assert incidents(owner) == []


@pytest.mark.django_db
def test_a_non_json_body_still_reaches_header_conditions(owner):
    webhook = create_webhook(owner)
    create_ruleset(
        owner,
        conditions=[
            {"type": "header-check", "key": "X-Severity", "operator": "equal", "values": ["page"]}
        ],
    )
    send(
        webhook,
        b"\xff\xfe not json",
        content_type="application/octet-stream",
        HTTP_X_SEVERITY="page",
    )
    assert len(incidents(owner)) == 1


@pytest.mark.django_db(transaction=True)
def test_many_identical_events_at_once_open_one_incident_with_every_event(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    events = [stored(webhook, b'{"status": "firing", "service": "api"}') for _ in range(16)]
    results = [
        result
        for batch in (events[:8], events[8:])
        for result in at_once(*[partial(evaluate_one, str(event.pk)) for event in batch])
    ]

    outcomes = sorted(r[0]["outcome"] for r in results)
    assert outcomes.count("opened") == 1
    assert set(outcomes) == {"opened", "attached"}
    incident = Incident.objects.get()
    assert incident.event_count == 16
    assert IncidentEvent.objects.filter(incident=incident).count() == 16


@pytest.mark.django_db(transaction=True)
def test_the_same_event_evaluated_by_two_workers_at_once_counts_once(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    event = stored(webhook, b'{"status": "firing", "service": "api"}')
    at_once(partial(evaluate_one, str(event.pk)), times=4)

    assert Incident.objects.get().event_count == 1


@pytest.mark.parametrize("service", ["api\u0000db", "api\ud800"])
def test_a_dedup_key_the_database_cannot_store_as_is_still_opens_and_resolves(owner, service):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)

    def body(status: str) -> bytes:
        return json.dumps({"status": status, "service": service}).encode()  # \u escapes

    firing = send(webhook, body("firing"))
    [incident] = incidents(owner)
    assert incident["dedup_key"] == service.replace(service[3], "\ufffd")
    assert WebhookEvent.objects.get(pk=firing).evaluated_at is not None

    send(webhook, body("resolved"))
    assert incidents(owner)[0]["status"] == "resolved"


def test_a_ruleset_failing_midway_leaves_nothing_behind_and_the_others_still_apply(
    owner, monkeypatch
):
    from incidents import services

    webhook = create_webhook(owner)
    create_ruleset(owner, name="Broken", conditions=FIRING, webhook_ids=[webhook])
    create_ruleset(owner, name="Works", conditions=FIRING, webhook_ids=[webhook])
    timeline_entry = services._entry

    def fail_for_broken(incident, *args, **kwargs):
        if incident.name == "Broken":
            raise RuntimeError("timeline bug")
        return timeline_entry(incident, *args, **kwargs)

    # Fails once the incident is inserted and its first event's link staged.
    monkeypatch.setattr(services, "_entry", fail_for_broken)

    event = send(webhook, {"status": "firing"})

    evaluation = WebhookEvent.objects.get(pk=event).evaluation["rulesets"]
    assert [(o["ruleset"], o["outcome"]) for o in evaluation] == [
        ("Broken", "error"),
        ("Works", "opened"),
    ]
    assert evaluation[0]["detail"] == "timeline bug"
    [incident] = Incident.objects.all()
    assert (incident.name, incident.event_count) == ("Works", 1)
    assert list(IncidentEvent.objects.values_list("incident", flat=True)) == [incident.pk]
    assert incident.timeline.filter(kind="created").count() == 1


def test_a_ruleset_change_applies_to_the_next_event_at_once(owner):
    webhook = create_webhook(owner)
    ruleset = create_ruleset(owner, name="Disk", conditions=FIRING, webhook_ids=[webhook])
    send(webhook, {"status": "firing"})  # the worker process now knows the ruleset

    response = owner.api.put(
        f"/v1/ruleset/{ruleset}",
        {
            "rule_type": "webhook",
            "level": "team",
            "team_id": str(owner.team.id),
            "name": "Disk",
            "description": "",
            "urgency": "high",
            "conditions": RESOLVED,
            "resolve_conditions": FIRING,  # inverted: "firing" now resolves
        },
    )
    assert response.status_code == 200, response.content
    send(webhook, {"status": "firing"})

    [incident] = incidents(owner)
    assert (incident["status"], incident["event_count"]) == ("resolved", 2)


def test_a_task_with_room_left_also_evaluates_other_pending_events_oldest_first(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    lost = [stored(webhook, b'{"status": "firing", "service": "api"}') for _ in range(3)]

    send(webhook, {"status": "resolved", "service": "api"})

    assert WebhookEvent.objects.filter(evaluated_at__isnull=True).count() == 0
    [incident] = incidents(owner)  # the older firings opened it, the newer event resolved it
    assert (incident["status"], incident["event_count"]) == ("resolved", 4)
    assert Incident.objects.get().event_links.filter(event__in=lost).count() == 3


def stored_poison(persona, monkeypatch) -> tuple[str, WebhookEvent]:
    """A webhook with a firing ruleset, and a stored event of it that cannot be evaluated."""
    webhook = create_webhook(persona)
    firing_ruleset(persona, webhook)
    poison = stored(webhook, b'{"status": "firing", "service": "db"}')
    view = evaluation.event_view

    def broken_for_poison(event):
        if event.pk == poison.pk:
            raise DataError("value the database refuses")
        return view(event)

    monkeypatch.setattr(evaluation, "event_view", broken_for_poison)
    return webhook, poison


def test_an_event_that_cannot_be_evaluated_does_not_hold_back_the_events_after_it(
    owner, monkeypatch
):
    webhook, poison = stored_poison(owner, monkeypatch)  # pending, oldest

    # The task fills its chunk with the older pending event, the chunk fails, and the task's
    # own event is evaluated alone.
    later = send(webhook, {"status": "firing", "service": "api"})

    assert WebhookEvent.objects.get(pk=later).evaluated_at is not None
    assert WebhookEvent.objects.get(pk=poison.pk).evaluated_at is None  # left to the re-drive
    assert [i["dedup_key"] for i in incidents(owner)] == ["api"]


def test_an_event_failing_every_time_is_given_up_and_can_be_tried_again(
    owner, monkeypatch, settings, capsys
):
    settings.EVALUATION_MAX_ATTEMPTS = 3
    webhook, poison = stored_poison(owner, monkeypatch)

    def redrive() -> str:
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("reevaluate_events")  # the task retries, then the re-drive comes back
        return capsys.readouterr().out

    assert "1 event(s) evaluated" in redrive()
    assert "0 event(s) evaluated" in redrive()  # given up: no longer pending
    [listed] = owner.api.get(f"/v1/webhook/{webhook}/events").json()
    assert listed["evaluation"] == {
        "rulesets": [],
        "given_up_after": 3,
        "error": "value the database refuses",
    }
    assert incidents(owner) == []

    monkeypatch.undo()  # fixed
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("reevaluate_events", "--given-up")
    assert "1 event(s) given up are pending again" in capsys.readouterr().out
    assert [i["dedup_key"] for i in incidents(owner)] == ["db"]


def test_events_after_a_chunk_another_worker_already_evaluated_are_still_evaluated(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    events = [
        str(stored(webhook, b'{"status": "firing", "service": "api"}').pk)
        for _ in range(2 * evaluation.CHUNK_SIZE)
    ]
    evaluation.evaluate_events(events[: evaluation.CHUNK_SIZE])  # "another worker"

    evaluation.evaluate_events(events)

    assert WebhookEvent.objects.filter(evaluated_at__isnull=True).count() == 0
    assert Incident.objects.get().event_count == 2 * evaluation.CHUNK_SIZE


def test_a_chunk_that_opens_resolves_and_reopens_keeps_each_timeline_in_event_order(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    statuses = ["firing", "firing", "resolved", "firing"]
    events = [stored(webhook, json.dumps({"status": s}).encode()) for s in statuses]

    outcomes = evaluation.evaluate_events([str(event.pk) for event in events])  # one chunk

    assert [outcomes[str(e.pk)][0]["outcome"] for e in events] == [
        "opened",
        "attached",
        "resolved",
        "opened",
    ]
    first, second = sorted(incidents(owner), key=lambda incident: incident["created_at"])
    assert (first["status"], first["event_count"]) == ("resolved", 3)
    assert (second["status"], second["event_count"]) == ("triggered", 1)
    kinds = [
        entry["kind"] for entry in owner.api.get(f"/v1/incident/{first['id']}/timeline").json()
    ]
    assert kinds == ["created", "event-attached", "resolved"]  # not routed: resolved already


def dedup_keys_with_state() -> list[str]:
    return sorted(DedupState.objects.values_list("dedup_key", flat=True))


@pytest.mark.django_db
def test_idle_dedup_states_are_purged_unless_their_incident_is_still_open(owner):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    for service in ("db", "api", "web"):
        send(webhook, {"status": "firing", "service": service})
    for service in ("db", "api"):
        send(webhook, {"status": "resolved", "service": service})
    long_ago = timezone.now() - timedelta(days=8)  # the retention is 7 days
    DedupState.objects.filter(dedup_key__in=["db", "web"]).update(last_received_at=long_ago)

    assert purge_dedup_states.apply().get() == 1
    assert dedup_keys_with_state() == ["api", "web"]  # api: recent; web: still open

    send(webhook, {"status": "firing", "service": "db"})  # starts afresh
    send(webhook, {"status": "firing", "service": "web"})  # still attaches
    assert sorted((i["dedup_key"], i["status"], i["event_count"]) for i in incidents(owner)) == [
        ("api", "resolved", 2),
        ("db", "resolved", 2),
        ("db", "triggered", 1),
        ("web", "triggered", 2),
    ]


@pytest.mark.django_db
def test_a_state_purged_while_a_chunk_locks_it_is_created_again(owner, monkeypatch):
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    send(webhook, {"status": "firing", "service": "db"})
    send(webhook, {"status": "resolved", "service": "db"})
    create_states = evaluation._create_states

    def purged_right_after_the_insert(ordered):
        inserted = create_states(ordered)  # none: the state exists
        monkeypatch.setattr(evaluation, "_create_states", create_states)
        DedupState.objects.all().delete()  # what the purge does in another transaction
        return inserted

    monkeypatch.setattr(evaluation, "_create_states", purged_right_after_the_insert)
    event = stored(webhook, b'{"status": "firing", "service": "db"}')

    assert evaluate_one(str(event.pk))[0]["outcome"] == "opened"  # at once, not on a retry
    assert dedup_keys_with_state() == ["db"]


def reads_of(plan: dict, table: str) -> tuple[int, int]:
    """What the scans of ``table`` (or of its partitions, ``table_*``) in an EXPLAIN (ANALYZE,
    BUFFERS) plan read: rows (kept or filtered out) and blocks (of the table and its indexes)."""
    rows = blocks = 0
    name = plan.get("Relation Name") or ""
    if name == table or name.startswith(f"{table}_"):
        kept_and_removed = (
            plan["Actual Rows"]
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        )
        rows = kept_and_removed * plan["Actual Loops"]
        blocks = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    for child in plan.get("Plans", []):
        child_rows, child_blocks = reads_of(child, table)
        rows, blocks = rows + child_rows, blocks + child_blocks
    return rows, blocks


def evaluate_with_plans(event_id: str) -> tuple[dict, list[tuple[int, int]]]:
    """Evaluate as a task does (filling its chunk); the reads of each query on the events."""
    reads = []

    def explain_first(execute, sql, params, many, context):
        if sql.startswith("SELECT") and "webhooks_webhookevent" in sql:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
                [[plan]] = cursor.fetchone()
            reads.append(reads_of(plan["Plan"], "webhooks_webhookevent"))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_first):
        return evaluation.evaluate_events([event_id], fill=True), reads


def test_a_chunk_reads_only_its_own_events_of_a_backlog_statistics_do_not_know_of(owner):
    """Statistics usually say no event is pending (all were evaluated when the table was last
    analyzed). A backlog (the broker was down) must not make every chunk read all of it, or
    draining it would take time quadratic in its size."""
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    now = timezone.now()
    WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook_id=webhook, body=FIRING_API, evaluated_at=now, evaluation={})
        for _ in range(500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_webhookevent")
    # Received in the 3 s before now, not after: the rows a test rolls back stay in the pending
    # index until VACUUM, and later ones would lie in the range the next test's fill reads.
    backlog = WebhookEvent.objects.bulk_create(
        WebhookEvent(
            webhook_id=webhook,
            body=FIRING_API,
            received_at=now - timedelta(seconds=3) + timedelta(milliseconds=n),
        )
        for n in range(2000)
    )

    evaluated, reads = evaluate_with_plans(str(backlog[-1].pk))

    # Its own event, and the oldest pending received up to a second before it.
    assert len(evaluated) == evaluation.CHUNK_SIZE
    assert min(
        WebhookEvent.objects.filter(pk__in=evaluated).values_list("received_at", flat=True)
    ) >= (backlog[-1].received_at - evaluation.FILL_LOOKBACK)
    assert reads and sum(rows for rows, _ in reads) <= 2 * evaluation.CHUNK_SIZE, reads


def test_filling_a_chunk_does_not_read_the_index_entries_left_by_evaluated_events(owner):
    """Until VACUUM, the pending index keeps an entry for every event evaluated since: filling
    each chunk must not walk them all."""
    webhook = create_webhook(owner)
    firing_ruleset(owner, webhook)
    now = timezone.now()
    old = WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook_id=webhook, body=FIRING_API, received_at=now - timedelta(seconds=60))
        for _ in range(5000)
    )
    WebhookEvent.objects.filter(pk__in=[e.pk for e in old]).update(evaluated_at=now, evaluation={})
    live = [stored(webhook, FIRING_API) for _ in range(3)]

    evaluated, reads = evaluate_with_plans(str(live[-1].pk))

    assert set(evaluated) == {str(event.pk) for event in live}
    assert reads and sum(blocks for _, blocks in reads) <= 40, reads
