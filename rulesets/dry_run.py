"""Dry runs: what a ruleset, saved or not, would do with events, explained. Nothing is written.

The Test page, the ruleset form's "Test without saving" and ``POST /v1/ruleset/test`` share it.
Each event is decided as evaluation decides it (``evaluation.decide``, within a budget of the
evaluation limits), on its own and as if it arrived now: against the incidents open now (not
those that earlier events of the run would open) and the maintenance windows active now, by
the ruleset as it is (a disabled one, or one that does not listen to the event's webhook,
would ignore it). A stored event also shows what the saved ruleset did when it was received.
Its explanation (each condition, whether it held, the values found at its key path) is worked
out within a second budget of the same limits. A run stops deciding after ``RUN_SECONDS``: the
events left are "not tested". Stored events are read ``READ_CHUNK`` at a time: 200 events of
1 MB are never all in memory at once.
"""

import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from django.utils import timezone

from accounts.models import Organization
from incidents.models import NOT_RESOLVED, Incident
from maintenance import windows as maintenance
from pinghome.api import parse_uuid
from rulesets.conditions import (
    Budget,
    Condition,
    EventView,
    LimitExceeded,
    candidates_of,
    compile_conditions,
    condition_holds,
    spelling,
)
from rulesets.evaluation import decide, evaluation_budget, event_view, stale_template_notes
from rulesets.models import Ruleset
from webhooks.models import Webhook, WebhookEvent

RUN_SECONDS = 5.0
READ_CHUNK = 10
MAX_RECENT_EVENTS, DEFAULT_RECENT_EVENTS = 200, 20
MAX_EVENT_IDS = 50
SHOWN_VALUES, SHOWN_CHARS = 5, 200
EXCERPT = 300

# What an event would do. open / attach / resolve are the incident's; the rest change nothing.
OUTCOMES = {
    "open": "would open an incident",
    "attach": "would attach to the open incident",
    "resolve": "would resolve the open incident",
    "no-open-incident": "would resolve, but no incident is open",
    "no-match": "no match",
    "no-dedup-key": "no dedup key: ignored",
    "suppressed": "would open an incident, but a maintenance window suppresses it",
    "disabled": "ignored: the ruleset is disabled",
    "not-listening": "ignored: the ruleset does not listen to this webhook",
    "error": "error",
    "not-tested": "not tested: the time limit was reached",
}


class ConditionCheck(TypedDict):
    type: str
    key: str
    operator: str
    values: list[str]
    held: bool
    found: list[str]  # the first SHOWN_VALUES values at the key path, each cut at SHOWN_CHARS
    found_count: int


class Recorded(TypedDict, total=False):
    """What the saved ruleset did with a stored event when it was evaluated."""

    outcome: str  # evaluation's (opened, attached, suppressed, ...), or not-applied
    detail: str
    incident_id: str
    maintenance_window_id: str


NOT_APPLIED = Recorded(
    outcome="not-applied",
    detail="the ruleset did not evaluate it: disabled, not listening to its webhook, "
    "or created after it",
)


@dataclass
class Explanation:
    event_id: str | None  # None: a pasted payload
    webhook_id: str | None
    webhook: str
    received_at: datetime
    excerpt: str
    outcome: str
    dedup_key: str | None = None
    incident_name: str = ""  # of the incident it would open
    incident_description: str = ""
    incident_id: str | None = None  # the open incident it would attach to or resolve
    conditions: list[ConditionCheck] = field(default_factory=list)
    resolve_conditions: list[ConditionCheck] | None = None
    detail: str = ""
    maintenance_window_id: str | None = None  # of the window that would suppress it
    when_received: "Recorded | None" = None

    @property
    def label(self) -> str:
        return OUTCOMES[self.outcome]


def draft(organization: Organization, data: dict[str, Any], *, saved: Ruleset | None) -> Ruleset:
    """An unsaved ruleset of ``RulesetWriteSerializer``'s validated data; over ``saved``'s
    fields (and id: its open incidents count) when it is an edit of that one."""
    ruleset = Ruleset(organization=organization)
    if saved is not None:
        for model_field in Ruleset._meta.concrete_fields:
            setattr(ruleset, model_field.attname, getattr(saved, model_field.attname))
    for name, value in data.items():
        if name != "webhook_ids":
            setattr(ruleset, name, value)
    return ruleset


def recent_events(
    organization: Organization, webhook_ids: list[Any], limit: int
) -> Iterator[WebhookEvent]:
    """The last ``limit`` events of these webhooks (the organization's, validated; none: every
    webhook of the organization)."""
    events = WebhookEvent.objects.select_related("webhook")
    if webhook_ids:
        events = events.filter(webhook__in=webhook_ids)
    else:
        events = events.filter(webhook__organization=organization)
    return events.order_by("-received_at", "-id")[:limit].iterator(chunk_size=READ_CHUNK)


def chosen_events(organization: Organization, ids: list[Any]) -> Iterator[WebhookEvent] | None:
    """These events of the organization, newest first; None when one of them is not one."""
    events = WebhookEvent.objects.filter(pk__in=ids, webhook__organization=organization)
    if events.count() != len(set(ids)):
        return None
    return (
        events.select_related("webhook")
        .order_by("-received_at", "-id")
        .iterator(chunk_size=READ_CHUNK)
    )


def chosen_event(organization: Organization, raw_id: str) -> Iterator[WebhookEvent] | None:
    """The stored event of the organization whose id is ``raw_id`` (text from a link or a form);
    None when it is not one (another organization's, pruned, not an id)."""
    event_id = parse_uuid(raw_id)
    return chosen_events(organization, [event_id]) if event_id else None


def pasted_event(
    organization: Organization, webhook_ids: list[Any], payload: dict[str, Any]
) -> WebhookEvent | None:
    """An event as ingest would store it (never saved) from ``PayloadSerializer``'s validated
    data, received now by the ruleset's first webhook, else the organization's oldest; None
    when the organization has no webhook."""
    webhooks = Webhook.objects.live().filter(organization=organization)
    if webhook_ids:
        webhooks = webhooks.filter(pk=webhook_ids[0])
    webhook = webhooks.order_by("created_at").first()
    if webhook is None:
        return None
    headers = dict(payload.get("headers", {}))
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = payload["content_type"]
    return WebhookEvent(
        webhook=webhook,
        received_at=timezone.now(),
        content_type=payload["content_type"],
        body=payload["body"],
        headers=headers,
    )


def run(
    ruleset: Ruleset,
    events: Iterable[WebhookEvent],
    *,
    saved: bool,
    webhook_ids: Iterable[Any] = (),
) -> list[Explanation]:
    """Each event explained (see the module). ``saved``: the ruleset's open incidents count
    (an unsaved one has none); ``webhook_ids``: the webhooks it listens to (none: all)."""
    deadline = time.monotonic() + RUN_SECONDS
    results = [explain(ruleset, event, deadline=deadline, saved=saved) for event in events]
    keys = {r.dedup_key for r in results if r.outcome in ("open", "resolve")}
    open_now = (
        dict(
            Incident.objects.filter(
                NOT_RESOLVED, ruleset_id=ruleset.pk, dedup_key__in=keys
            ).values_list("dedup_key", "pk")
        )
        if saved and keys
        else {}
    )
    for result in results:
        incident = open_now.get(result.dedup_key)
        if incident is not None:
            result.incident_id = str(incident)
            if result.outcome == "open":
                result.outcome = "attach"
        elif result.outcome == "resolve":
            result.outcome = "no-open-incident"
    _ignored_or_suppressed(ruleset, results, {str(getattr(w, "pk", w)) for w in webhook_ids})
    return results


def _ignored_or_suppressed(
    ruleset: Ruleset, results: list[Explanation], listened: set[str]
) -> None:
    """What evaluation would do now instead: ignore the event (a disabled ruleset, another
    webhook's event), or store it without an incident (a maintenance window); the decision
    it would otherwise take stays in ``detail``."""
    now = timezone.now()
    windows = maintenance.of_organization(ruleset.organization_id)
    for result in results:
        otherwise = result.outcome
        if otherwise in ("not-tested", "error"):
            continue
        if not ruleset.enabled:
            result.outcome = "disabled"
        elif listened and result.webhook_id not in listened:
            result.outcome = "not-listening"
        elif otherwise in ("open", "attach") and (
            window := maintenance.suppressing(
                ruleset, webhook_id=uuid.UUID(result.webhook_id), at=now, windows=windows
            )
        ):
            result.outcome, result.maintenance_window_id = "suppressed", str(window.id)
            otherwise = None
            result.detail = "; ".join(filter(None, [f"window: {window.reason}", result.detail]))
        if otherwise is not None and result.outcome != otherwise:
            result.detail = "; ".join(
                filter(None, [f"otherwise: {OUTCOMES[otherwise]}", result.detail])
            )


def _budget(deadline: float) -> Budget:
    budget = evaluation_budget()
    budget.deadline = min(budget.deadline, deadline)
    return budget


def explain(
    ruleset: Ruleset, event: WebhookEvent, *, deadline: float, saved: bool = False
) -> Explanation:
    """What ``event`` would do, before looking at open incidents: ``open`` or ``resolve`` stand
    for what the ruleset asks; ``run`` turns them into what it would do now."""
    text = event.text
    stored = bool(event.pk) and not event._state.adding
    result = Explanation(
        event_id=str(event.pk) if stored else None,
        webhook_id=str(event.webhook_id) if event.webhook_id else None,
        webhook=str(event.webhook),
        received_at=event.received_at,
        excerpt=text if len(text) <= EXCERPT else text[:EXCERPT] + "…",
        outcome="not-tested",
        when_received=_recorded(ruleset, event) if stored and saved else None,
    )
    if time.monotonic() >= deadline:
        return result
    view = event_view(event)
    try:
        decision = decide(ruleset, event, view, _budget(deadline))
    except Exception as exc:  # noqa: BLE001 - shown as evaluation records it, never a 500
        result.outcome, result.detail = "error", _error(exc)
        return result
    result.outcome = {"none": "no-match"}.get(decision.intent, decision.intent)
    result.dedup_key = decision.dedup_key
    if decision.intent == "open":
        result.incident_name = decision.name or ruleset.name
        result.incident_description = decision.description
        result.detail = "; ".join(stale_template_notes(ruleset))
    try:
        budget = _budget(deadline)
        result.conditions = _checks(compile_conditions(ruleset.conditions), view, budget)
        if ruleset.resolve_conditions is not None:
            resolve = compile_conditions(ruleset.resolve_conditions)
            result.resolve_conditions = _checks(resolve, view, budget)
    except Exception as exc:  # noqa: BLE001 - the outcome stands; why is not shown in full
        result.detail = "; ".join(
            filter(None, [result.detail, f"conditions not explained: {_error(exc)}"])
        )
    return result


def _recorded(ruleset: Ruleset, event: WebhookEvent) -> Recorded | None:
    """The saved ruleset's outcome in the event's stored evaluation; None while pending."""
    evaluation = event.evaluation
    if not isinstance(evaluation, dict):
        return None
    if "given_up_after" in evaluation:
        return Recorded(outcome="error", detail=f"given up: {evaluation.get('error', '')}")
    for outcome in evaluation.get("rulesets", []):
        if outcome.get("ruleset_id") == str(ruleset.pk):
            kept = ("outcome", "detail", "incident_id", "maintenance_window_id")
            return Recorded(**{name: outcome[name] for name in kept if name in outcome})
    return NOT_APPLIED


def _error(exc: Exception) -> str:
    limit = isinstance(exc, LimitExceeded)
    return (f"evaluation limit exceeded: {exc}" if limit else str(exc))[:500]


def _checks(
    conditions: tuple[Condition, ...], view: EventView, budget: Budget
) -> list[ConditionCheck]:
    checks = []
    for condition in conditions:
        found = candidates_of(condition, view, budget)
        checks.append(
            ConditionCheck(
                type=condition.type,
                key=condition.key,
                operator=condition.operator,
                values=list(condition.values),
                held=condition_holds(condition, view, budget),
                found=[spelling(value, budget)[:SHOWN_CHARS] for value in found[:SHOWN_VALUES]],
                found_count=len(found),
            )
        )
    return checks


def recent_limit(raw: str | None) -> int:
    """How many recent events a page tests: ``DEFAULT_RECENT_EVENTS``, at most the maximum."""
    try:
        value = int(raw or DEFAULT_RECENT_EVENTS)
    except ValueError:
        value = DEFAULT_RECENT_EVENTS
    return max(1, min(MAX_RECENT_EVENTS, value))
