"""One organization's storm, or its hostile ruleset, does not starve another organization."""

import json

from rulesets import evaluation
from rulesets.tests.builders import make_ruleset
from rulesets.tests.pipeline import create_webhook
from rulesets.tests.test_pipeline_exactly_once import stored
from webhooks.models import WebhookEvent

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
