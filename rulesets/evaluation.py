"""Evaluation of a stored event against the rulesets listening to its webhook.

For each ruleset: decide (pure) what the event means, then apply it under a row lock of the
(ruleset, dedup key) state, recording the pair so a second run changes nothing.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents import services as incidents
from pinghome.jobs import enqueue_on_commit
from rulesets.conditions import (
    EventView,
    all_hold,
    compile_conditions,
    first_value,
    render_template,
    value_to_text,
)
from rulesets.models import DedupState, EventEvaluation, Ruleset, RuleType
from webhooks.models import WebhookEvent
from webhooks.sns import subscribe_url
from webhooks.tasks import confirm_sns_subscription

MAX_DEDUP_KEY = 500

Intent = Literal["open", "resolve", "none", "no-dedup-key"]


class Outcome(TypedDict, total=False):
    ruleset_id: str
    ruleset: str
    # opened | attached | resolved | no-open-incident | no-match | no-dedup-key | stale | error
    outcome: str
    dedup_key: str
    incident_id: str
    detail: str


@dataclass(frozen=True)
class Decision:
    intent: Intent
    dedup_key: str | None


def event_view(event: WebhookEvent) -> EventView:
    body = event.parsed_body()
    return EventView(body=body if body != "" else None, headers=event.headers or {})


def dedup_key_of(ruleset: Ruleset, event: WebhookEvent, view: EventView) -> str | None:
    """The value at the ruleset's ``dedup_key`` path (None when absent), else the webhook's id."""
    if not ruleset.dedup_key:
        return str(event.webhook_id)
    value = first_value(view.body, ruleset.dedup_key)
    if value is None:
        return None
    text = value_to_text(value)
    if len(text) > MAX_DEDUP_KEY:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def decide(ruleset: Ruleset, event: WebhookEvent, view: EventView) -> Decision:
    """What the event means for the ruleset (pure: no database)."""
    matches = all_hold(compile_conditions(ruleset.conditions), view)
    resolves = ruleset.resolve_conditions is not None and all_hold(
        compile_conditions(ruleset.resolve_conditions), view
    )
    key = dedup_key_of(ruleset, event, view)
    if ruleset.rule_type == RuleType.WEBHOOK:
        intent: Intent = "resolve" if resolves else "open" if matches else "none"
        return Decision(intent, key or str(event.webhook_id))
    if key is None:
        return Decision("no-dedup-key", None)
    if ruleset.resolve_conditions is not None:
        return Decision("resolve" if resolves else "open" if matches else "none", key)
    return Decision("open" if matches else "resolve", key)


def rulesets_for(event: WebhookEvent) -> list[Ruleset]:
    """Enabled rulesets of the event's organization listening to its webhook (or to all)."""
    return list(
        Ruleset.objects.filter(organization_id=event.webhook.organization_id, enabled=True)
        .filter(Q(webhooks=event.webhook_id) | Q(webhooks__isnull=True))
        .distinct()
        .order_by("created_at")
    )


def evaluate(event_id: str) -> list[Outcome] | None:
    """Evaluate one event (idempotent); None when it does not exist or was evaluated already."""
    event = _pending_event(event_id)
    return None if event is None else _evaluate(event)


def _pending_event(event_id: str) -> WebhookEvent | None:
    event = WebhookEvent.objects.select_related("webhook").filter(pk=event_id).first()
    return event if event is not None and event.evaluated_at is None else None


def _evaluate(event: WebhookEvent) -> list[Outcome]:
    """One transaction (one commit) per event; each ruleset applies in a savepoint of its own.

    Rulesets are applied in a fixed order (creation), so the locks two events take never cross.
    """
    view = event_view(event)
    with transaction.atomic():
        outcomes = [apply(ruleset, event, view) for ruleset in rulesets_for(event)]
        WebhookEvent.objects.filter(pk=event.pk, evaluated_at__isnull=True).update(
            evaluated_at=timezone.now(), evaluation={"rulesets": outcomes}
        )
    return outcomes


def apply(ruleset: Ruleset, event: WebhookEvent, view: EventView) -> Outcome:
    base: Outcome = {"ruleset_id": str(ruleset.pk), "ruleset": ruleset.name}
    try:
        decision = decide(ruleset, event, view)
    except Exception as exc:  # noqa: BLE001 - a ruleset's bug must not block the others
        return {**base, "outcome": "error", "detail": str(exc)[:500]}
    if decision.intent == "none":
        return {**base, "outcome": "no-match"}
    if decision.intent == "no-dedup-key":
        return {**base, "outcome": "no-dedup-key", "detail": f"{ruleset.dedup_key} is absent"}
    try:
        with transaction.atomic():
            return {**base, **_apply_locked(ruleset, event, view, decision)}
    except Exception as exc:  # noqa: BLE001 - recorded on the event; others still run
        return {
            **base,
            "outcome": "error",
            "dedup_key": decision.dedup_key,
            "detail": str(exc)[:500],
        }


def _state_for_update(ruleset: Ruleset, dedup_key: str) -> DedupState:
    # INSERT ... ON CONFLICT DO NOTHING: created once, whoever comes first; then lock it.
    DedupState.objects.bulk_create(
        [DedupState(ruleset=ruleset, dedup_key=dedup_key)], ignore_conflicts=True
    )
    return DedupState.objects.select_for_update().get(ruleset=ruleset, dedup_key=dedup_key)


def _apply_locked(
    ruleset: Ruleset, event: WebhookEvent, view: EventView, decision: Decision
) -> dict[str, Any]:
    key = decision.dedup_key
    state = _state_for_update(ruleset, key)
    done = EventEvaluation.objects.filter(event=event, ruleset=ruleset).first()
    if done is not None:
        return done.outcome
    result: dict[str, Any] = {"dedup_key": key}
    position = (event.received_at, event.pk)
    if state.last_received_at is not None and position < (
        state.last_received_at,
        state.last_event_id,
    ):
        # Received before an event already applied: it may add to the open incident, never
        # open or resolve one against newer state.
        incident = (
            incidents.attach_to_open(ruleset, dedup_key=key, event=event)
            if decision.intent == "open"
            else None
        )
        if incident is not None:
            result.update(outcome="attached", incident_id=str(incident.pk))
        else:
            result.update(outcome="stale", detail="a later event for this key was applied first")
    else:
        state.last_received_at, state.last_event_id = position
        state.save(update_fields=["last_received_at", "last_event_id"])
        if decision.intent == "open":
            name = (
                render_template(ruleset.incident_name, view.body) if ruleset.incident_name else ""
            )
            incident, opened = incidents.open_or_attach(
                ruleset, dedup_key=key, event=event, name=name or ruleset.name
            )
            result.update(outcome="opened" if opened else "attached", incident_id=str(incident.pk))
        else:
            incident = incidents.resolve_from_event(ruleset, dedup_key=key, event=event)
            if incident is None:
                result.update(outcome="no-open-incident")
            else:
                result.update(outcome="resolved", incident_id=str(incident.pk))
    EventEvaluation.objects.create(event=event, ruleset=ruleset, outcome=result)
    return result


def evaluate_and_follow_up(event_id: str) -> list[Outcome] | None:
    """Evaluate, then hand what the event asks of us beyond rules (SNS confirmation) to Celery."""
    event = _pending_event(event_id)
    if event is None:
        return None
    outcomes = _evaluate(event)
    if subscribe_url(event):
        enqueue_on_commit(confirm_sns_subscription, str(event.pk))
    return outcomes


def pending_events(older_than_seconds: int, limit: int):
    """Events stored but not evaluated for at least ``older_than_seconds``, oldest first."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return (
        WebhookEvent.objects.filter(evaluated_at__isnull=True, received_at__lte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


REDRIVE_BATCH = 100


def redrive_pending(
    *,
    enqueue: Callable[[list[str]], Any],
    older_than_seconds: int | None = None,
    limit: int = 5000,
) -> int:
    """Hand events never evaluated (broker or worker down) to ``enqueue`` again, in batches."""
    delay = (
        settings.EVALUATION_REDRIVE_AFTER_SECONDS
        if older_than_seconds is None
        else older_than_seconds
    )
    ids = [str(event_id) for event_id in pending_events(delay, limit)]
    for start in range(0, len(ids), REDRIVE_BATCH):
        enqueue(ids[start : start + REDRIVE_BATCH])
    return len(ids)
