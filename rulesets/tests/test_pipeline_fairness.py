"""One organization's storm, or its hostile ruleset, does not starve another organization."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rulesets import evaluation
from rulesets.tasks import evaluate_events
from rulesets.tests.builders import make_ruleset
from rulesets.tests.pipeline import create_webhook, incidents
from rulesets.tests.test_pipeline_exactly_once import (
    FIRING_API,
    evaluate_with_plans,
    firing_ruleset,
    stored,
)
from webhooks.models import Webhook, WebhookEvent

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]
FAN_OUT = [{"type": "json-check", "key": "a[*][*]", "operator": "equal", "values": ["x"]}]


def storm_and_quiet(owner, outsider, storm: int, body: dict) -> tuple[list[str], str]:
    """``storm`` events of the owner's organization stored, then one of the outsider's."""
    loud, quiet = create_webhook(owner), create_webhook(outsider)
    make_ruleset(owner.team, name="Loud", conditions=FIRING)
    make_ruleset(outsider.team, name="Quiet", conditions=FIRING)
    events = [str(stored(loud, json.dumps(body).encode()).pk) for _ in range(storm)]
    return events, str(stored(quiet, b'{"status": "firing"}').pk)


def test_the_redrive_hands_a_quiet_organizations_event_over_in_its_first_batch(
    owner, outsider, settings
):
    settings.EVALUATION_REDRIVE_AFTER_SECONDS = 0
    storm, quiet = storm_and_quiet(owner, outsider, 3 * evaluation.REDRIVE_BATCH, {"status": "x"})
    batches: list[list[str]] = []

    assert evaluation.redrive_pending(enqueue=batches.append) == len(storm) + 1

    # Oldest first, it came after the storm's 300: in the fourth batch.
    assert quiet in batches[0]
    assert sorted(sum(batches, [])) == sorted([*storm, quiet])


def test_a_quiet_organizations_event_waits_for_at_most_one_event_beyond_a_limit(
    owner, outsider, settings, monkeypatch
):
    settings.EVALUATION_MAX_VALUES = 1000
    settings.EVALUATION_MAX_ATTEMPTS = 1  # each hostile event is given up at its first alone
    storm, quiet = storm_and_quiet(owner, outsider, 5, {"status": "x", "a": [[0] * 100] * 20})
    make_ruleset(owner.team, name="Fan-out", conditions=FAN_OUT)
    decided: list[tuple[str, bool]] = []
    plan = evaluation._plan

    def recording(event, *, alone):
        decided.append((str(event.pk), alone))
        return plan(event, alone=alone)

    monkeypatch.setattr(evaluation, "_plan", recording)

    evaluation.evaluate_events([*storm, quiet])  # in receive order, one chunk's worth

    before_quiet = decided[: decided.index((quiet, False))]
    assert len(before_quiet) <= 1  # the storm's first event went beyond the limit: set apart
    assert WebhookEvent.objects.filter(evaluated_at__isnull=True).count() == 0
    for event_id in storm:
        given_up = WebhookEvent.objects.get(pk=event_id).evaluation
        assert given_up["attempts"] == 1
        assert [o["outcome"] for o in given_up["rulesets"]] == ["no-match", "error"]


def test_evaluation_has_a_queue_of_its_own_that_no_chore_shares():
    from pinghome.celery import app

    def queue(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    assert queue("rulesets.tasks.evaluate_events") == "evaluation"
    assert queue("rulesets.tasks.redrive_pending_events") == "evaluation"
    assert queue("rulesets.tasks.purge_dedup_states") == "default"
    assert queue("notifications.tasks.deliver") == "notifications"


def incident_count(persona) -> int:
    return len(incidents(persona, status="triggered"))


@pytest.mark.parametrize("handed_over", [4, evaluation.CHUNK_SIZE])
def test_a_storm_task_carries_a_quiet_organizations_pending_event_along(
    owner, outsider, handed_over
):
    """Tasks run in the order they were queued: the quiet event's own task is behind the
    storm's whole backlog. Any storm task takes it along, whether its own events fill its
    chunk or not."""
    storm, quiet = storm_and_quiet(owner, outsider, 3 * evaluation.CHUNK_SIZE, {"status": "x"})

    evaluate_events.delay(storm[:handed_over])

    assert incident_count(outsider) == 1
    assert WebhookEvent.objects.get(pk=quiet).evaluated_at is not None
    still_pending = WebhookEvent.objects.filter(evaluated_at__isnull=True).count()
    assert still_pending == 3 * evaluation.CHUNK_SIZE - max(handed_over, evaluation.CHUNK_SIZE - 1)


def test_a_storm_task_whose_events_were_all_evaluated_still_takes_the_quiet_event_along(
    owner, outsider
):
    """In a backlog, most tasks find their events evaluated by an earlier task's fill: they
    carry the other webhooks' turns too, and nothing more."""
    storm, quiet = storm_and_quiet(owner, outsider, 3 * evaluation.CHUNK_SIZE, {"status": "x"})
    evaluation.evaluate_events(storm[:4])  # without filling

    evaluate_events.delay(storm[:4])

    assert incident_count(outsider) == 1
    assert WebhookEvent.objects.filter(evaluated_at__isnull=True).count() == len(storm) - 4


def test_a_storm_task_takes_a_share_of_each_quiet_webhooks_oldest_events(owner, outsider):
    """A webhook receiving a few events per chunk evaluated keeps up: each chunk takes its
    ``FAIR_SHARE`` oldest, not one."""
    storm, first = storm_and_quiet(owner, outsider, 2 * evaluation.CHUNK_SIZE, {"status": "x"})
    quiet = WebhookEvent.objects.get(pk=first).webhook_id
    later = [str(stored(quiet, b'{"status": "firing"}').pk) for _ in range(evaluation.FAIR_SHARE)]

    evaluate_events.delay(storm[: evaluation.CHUNK_SIZE])

    quiet_pending = WebhookEvent.objects.filter(webhook_id=quiet, evaluated_at__isnull=True)
    assert list(quiet_pending.values_list("pk", flat=True)) == [uuid.UUID(later[-1])]


def test_taking_other_webhooks_turns_reads_a_probe_per_webhook_never_their_history(owner, outsider):
    """Each other webhook is probed from the fill's bound on: what it received and was
    evaluated before (until VACUUM, the pending indexes keep an entry for each) is not read,
    nor is the storm's backlog."""
    storm, quiet = create_webhook(owner), create_webhook(outsider)
    firing_ruleset(owner, storm)
    firing_ruleset(outsider, quiet)
    now = timezone.now()
    history = WebhookEvent.objects.bulk_create(
        WebhookEvent(webhook_id=webhook, body=FIRING_API, received_at=now - timedelta(seconds=60))
        for webhook in [quiet] * 5000 + [create_webhook(outsider) for _ in range(20)] * 5
    )
    WebhookEvent.objects.filter(pk__in=[event.pk for event in history]).update(
        evaluated_at=now, evaluation={}
    )
    backlog = WebhookEvent.objects.bulk_create(
        WebhookEvent(
            webhook_id=storm,
            body=FIRING_API,
            received_at=now - timedelta(seconds=3) + timedelta(milliseconds=n),
        )
        for n in range(2000)
    )
    quiet_event = stored(quiet, FIRING_API)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_webhookevent")

    evaluated, reads = evaluate_with_plans(str(backlog[0].pk))

    assert str(quiet_event.pk) in evaluated
    assert len(evaluated) == evaluation.CHUNK_SIZE
    # A descent per webhook, and one per event of the shares taken.
    probes = Webhook.objects.count() + evaluation.FAIR_TURNS * evaluation.FAIR_SHARE
    assert sum(rows for rows, _ in reads) <= 2 * evaluation.CHUNK_SIZE + probes, reads
    assert sum(blocks for _, blocks in reads) <= 40 + 3 * probes, reads
