"""Hostile or careless rulesets: bounded work per (event, ruleset), and no one else delayed."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from rulesets import evaluation
from rulesets.tests.builders import make_ruleset
from rulesets.tests.pipeline import create_ruleset, create_webhook, incidents, send
from rulesets.tests.test_pipeline_exactly_once import stored as stored_event
from webhooks.models import WebhookEvent

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]
# The example: minutes of backtracking in Python's re on 50,000 "a" and a "!".
REDOS_CONDITION = {"type": "json-check", "key": "msg", "operator": "regex", "values": ["(a+)+$"]}


def stored(webhook_id: str, body: dict) -> WebhookEvent:
    """An event stored but not handed to evaluation yet."""
    return stored_event(webhook_id, json.dumps(body).encode())


def outcomes_of(event_id: str) -> list[tuple[str, str]]:
    evaluation = WebhookEvent.objects.get(pk=event_id).evaluation
    return [(outcome["ruleset"], outcome["outcome"]) for outcome in evaluation["rulesets"]]


def test_a_stored_pattern_re2_refuses_is_an_error_of_its_ruleset_alone(owner):
    """Saved before patterns were RE2 (or written around the API): it never runs on Python's re."""
    webhook = create_webhook(owner)
    lookahead = [{"type": "json-check", "key": "msg", "operator": "regex", "values": ["(?=a)"]}]
    make_ruleset(owner.team, name="Old pattern", conditions=lookahead)
    make_ruleset(owner.team, name="Works", conditions=FIRING)

    event = send(webhook, {"status": "firing", "msg": "a"})

    assert outcomes_of(event) == [("Old pattern", "error"), ("Works", "opened")]
    detail = WebhookEvent.objects.get(pk=event).evaluation["rulesets"][0]["detail"]
    assert "invalid regex (RE2 syntax)" in detail
    assert [incident["name"] for incident in incidents(owner)] == ["Works"]


def wide(rows: int = 200, columns: int = 1000) -> dict:
    """An event whose ``a[*][*]`` reaches rows x columns values (about 400 KB of JSON)."""
    return {"status": "firing", "a": [[0] * columns for _ in range(rows)]}


FAN_OUT = [{"type": "json-check", "key": "a[*][*]", "operator": "equal", "values": ["x"] * 100}]


def test_a_fan_out_beyond_the_limit_is_an_error_given_up_after_the_attempts(owner, settings):
    settings.EVALUATION_MAX_ATTEMPTS = 3
    webhook = create_webhook(owner)
    make_ruleset(owner.team, name="Fan-out", conditions=FAN_OUT)
    make_ruleset(owner.team, name="Works", conditions=FIRING)

    event = send(webhook, wide())  # the task retries (eagerly here) until the last attempt

    stored = WebhookEvent.objects.get(pk=event)
    assert stored.evaluated_at is not None
    assert stored.evaluation_attempts == stored.evaluation["attempts"] == 3
    assert outcomes_of(event) == [("Fan-out", "error"), ("Works", "opened")]
    assert stored.evaluation["rulesets"][0]["detail"] == (
        "evaluation limit exceeded: more than 100000 values visited by key paths"
        " (given up after 3 attempts)"
    )


def test_an_event_beyond_a_limit_is_evaluated_apart_after_the_others_of_its_chunk(
    owner, outsider, settings
):
    settings.EVALUATION_MAX_VALUES = 10_000
    webhook, other = create_webhook(owner), create_webhook(outsider)
    make_ruleset(owner.team, name="Fan-out", conditions=FAN_OUT)
    make_ruleset(outsider.team, name="Quiet", conditions=FIRING)
    slow = stored(webhook, wide(rows=20))
    quiet = [stored(other, {"status": "firing"}) for _ in range(3)]
    ids = [str(event.pk) for event in [slow, *quiet]]

    with pytest.raises(evaluation.EvaluationDeferred):  # the task retries it later, alone
        evaluation.evaluate_events(ids)

    assert [outcomes_of(str(event.pk)) for event in quiet] == [
        [("Quiet", "opened")],
        [("Quiet", "attached")],
        [("Quiet", "attached")],
    ]
    slow.refresh_from_db()
    assert (slow.evaluated_at, slow.evaluation_attempts) == (None, 1)


@pytest.mark.django_db(transaction=True)
def test_the_others_of_the_chunk_are_committed_before_the_slow_event_is_evaluated_again(
    owner, outsider, settings, monkeypatch
):
    settings.EVALUATION_MAX_VALUES = 10_000
    webhook, other = create_webhook(owner), create_webhook(outsider)
    make_ruleset(owner.team, name="Fan-out", conditions=FAN_OUT)
    make_ruleset(outsider.team, name="Quiet", conditions=FIRING)
    slow = stored(webhook, wide(rows=20))
    quiet = [stored(other, {"status": "firing"}) for _ in range(3)]
    seen_while_alone = []
    plan = evaluation._plan

    def committed_elsewhere() -> int:  # what another connection sees, from another thread
        def count():
            try:
                return WebhookEvent.objects.filter(
                    pk__in=[e.pk for e in quiet], evaluated_at__isnull=False
                ).count()
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(count).result()

    def watching(event, *, alone):
        if alone:
            seen_while_alone.append(committed_elsewhere())
        return plan(event, alone=alone)

    monkeypatch.setattr(evaluation, "_plan", watching)
    with pytest.raises(evaluation.EvaluationDeferred):
        evaluation.evaluate_events([str(e.pk) for e in [slow, *quiet]])

    assert seen_while_alone == [3]


def test_a_catastrophic_pattern_for_backtracking_evaluates_at_once(owner):
    webhook = create_webhook(owner)
    create_ruleset(owner, name="ReDoS", conditions=[REDOS_CONDITION])

    event = send(webhook, {"msg": "a" * 50_000 + "!"})

    assert outcomes_of(event) == [("ReDoS", "no-match")]
