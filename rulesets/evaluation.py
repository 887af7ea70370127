"""Evaluation of stored events against the rulesets listening to their webhooks.

For each ruleset: decide (pure) what the event means, then apply it under a row lock of the
(ruleset, dedup key) state. An event is claimed (row lock, skipped if another worker holds it)
and marked evaluated in the same transaction, so a second run changes nothing.

Deciding is bounded per (event, ruleset) (``EVALUATION_MAX_VALUES``, ``EVALUATION_MAX_BYTES``,
``EVALUATION_TIME_LIMIT_MS``). An event that goes beyond a limit in a chunk is set apart: the
chunk stops deciding, applies what it decided and commits, and the event is evaluated alone, in
a transaction of its own. There a failure beyond a limit counts toward
``EVALUATION_MAX_ATTEMPTS``; at the last attempt the event is applied, the rulesets beyond a
limit recorded as ``error``.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import zip_longest
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from accounts.models import Team
from incidents import services as incidents
from incidents.models import Incident, IncidentStatus
from maintenance import windows as maintenance
from pinghome import metrics
from pinghome.jobs import enqueue_on_commit
from pinghome.jsondata import storable_text
from pinghome.memo import ShortLived
from pinghome.rows import update_each
from rulesets.conditions import (
    Budget,
    Condition,
    EventView,
    LimitExceeded,
    all_hold,
    compile_conditions,
    first_value,
    value_to_text,
)
from rulesets.models import DedupState, Ruleset, RulesetAction, RuleType
from rulesets.templating import render_template, template_errors
from webhooks import retention
from webhooks.models import Webhook, WebhookEvent
from webhooks.sns import subscribe_url
from webhooks.tasks import confirm_sns_subscription

logger = logging.getLogger(__name__)

MAX_DEDUP_KEY = 500

Intent = Literal["open", "resolve", "none", "no-dedup-key"]


class Outcome(TypedDict, total=False):
    ruleset_id: str
    ruleset: str
    # opened | attached | resolved | suppressed | no-open-incident | no-match | no-dedup-key
    # | stale | error
    outcome: str
    dedup_key: str
    incident_id: str
    maintenance_window_id: str  # of a suppressed event
    detail: str


@dataclass(frozen=True)
class Decision:
    intent: Intent
    dedup_key: str | None
    name: str = ""  # of the incident it opens, from the ruleset's ``incident_name``
    description: str = ""  # of the incident it opens (see ``description_template``)


# The alert's own description, where the senders README names put it: Alertmanager (and
# Grafana's) annotations, Grafana's message, GCP Monitoring, Azure Monitor, CloudWatch via SNS.
ALERT_DESCRIPTION = (
    "{{ commonAnnotations.description | default: commonAnnotations.summary"
    " | default: commonAnnotations.message | default: alerts[0].annotations.description"
    " | default: message | default: incident.summary | default: data.essentials.description"
    " | default: Message.AlarmDescription | default: Message.NewStateReason"
    " | default: description }}"
)
MAX_DESCRIPTION = 4000


def description_template(ruleset: Ruleset) -> str:
    """What an incident the ruleset opens is described with: its ``incident_description``,
    else (none, or one that no longer parses) the alert's own description. Never the ruleset's
    ``description``: that one says what the ruleset is for."""
    own = ruleset.incident_description
    return own if own and not template_errors(own) else ALERT_DESCRIPTION


def stale_template_notes(ruleset: Ruleset) -> list[str]:
    """For each of the ruleset's stored templates that no longer parses: why, and what is used
    instead (``render_template`` renders it as nothing)."""
    return [
        f"{label} no longer parses ({error}): {instead} instead; save the ruleset again to fix it"
        for label, template, instead in (
            ("the incident name", ruleset.incident_name, "named after the ruleset"),
            ("the incident description", ruleset.incident_description, "the alert's description"),
        )
        if template
        for error in template_errors(template)
    ]


def describe(ruleset: Ruleset, body: Any, budget: Budget, embedded: dict) -> str:
    """The description of an incident the ruleset opens on an event's ``body`` (``None``: no
    event), within ``budget``."""
    rendered = render_template(
        description_template(ruleset), body, budget, embedded, limit=MAX_DESCRIPTION
    )
    return storable_text(rendered)


def event_view(event: WebhookEvent) -> EventView:
    body = event.parsed_body()
    return EventView(body=body if body != "" else None, headers=event.headers or {})


def evaluation_budget() -> Budget:
    """The work one (event, ruleset) may cost (settings ``EVALUATION_MAX_*``), from now."""
    return Budget(
        max_values=settings.EVALUATION_MAX_VALUES,
        max_bytes=settings.EVALUATION_MAX_BYTES,
        time_limit_ms=settings.EVALUATION_TIME_LIMIT_MS,
    )


def dedup_key_of(
    ruleset: Ruleset, event: WebhookEvent, view: EventView, budget: Budget | None = None
) -> str | None:
    """The value at the ruleset's ``dedup_key`` path (None when absent), else the webhook's id."""
    if not ruleset.dedup_key:
        return str(event.webhook_id)
    value = first_value(view.body, ruleset.dedup_key, budget, view.embedded)
    if value is None:
        return None
    text = storable_text(value_to_text(value))
    if len(text) > MAX_DEDUP_KEY:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def _compiled(ruleset: Ruleset) -> tuple[tuple[Condition, ...], tuple[Condition, ...] | None]:
    """The ruleset's conditions and resolve conditions, compiled once per loaded ruleset (the
    rulesets evaluation uses are kept a second); ``ValueError`` when a stored one is invalid."""
    compiled = ruleset.__dict__.get("_compiled_conditions")
    if compiled is None:
        resolve = ruleset.resolve_conditions
        compiled = (
            compile_conditions(ruleset.conditions),
            None if resolve is None else compile_conditions(resolve),
        )
        ruleset.__dict__["_compiled_conditions"] = compiled
    return compiled


def decide(
    ruleset: Ruleset, event: WebhookEvent, view: EventView, budget: Budget | None = None
) -> Decision:
    """What the event means for the ruleset (pure: no database).

    Every user-supplied part (conditions, dedup key, incident name) runs within ``budget`` (a
    new ``evaluation_budget()`` when not given): beyond it, ``LimitExceeded``.
    """
    if ruleset.rule_type == RuleType.HEARTBEAT:  # any event of its webhook: the source lives
        return Decision("resolve", str(event.webhook_id))
    budget = evaluation_budget() if budget is None else budget
    conditions, resolve_conditions = _compiled(ruleset)
    matches = all_hold(conditions, view, budget)
    resolves = resolve_conditions is not None and all_hold(resolve_conditions, view, budget)
    key = dedup_key_of(ruleset, event, view, budget)
    if ruleset.rule_type == RuleType.WEBHOOK:
        intent: Intent = "resolve" if resolves else "open" if matches else "none"
        key = key or str(event.webhook_id)
    elif key is None:
        return Decision("no-dedup-key", None)
    elif resolve_conditions is not None:
        intent = "resolve" if resolves else "open" if matches else "none"
    else:
        intent = "open" if matches else "resolve"
    if intent != "open":
        return Decision(intent, key)
    name = ""
    if ruleset.incident_name:
        rendered = render_template(ruleset.incident_name, view.body, budget, view.embedded)
        name = storable_text(rendered)
    return Decision(intent, key, name, describe(ruleset, view.body, budget, view.embedded))


def rulesets_for(event: WebhookEvent) -> list[Ruleset]:
    """Enabled rulesets of the event's organization listening to its webhook (or to all)."""
    return list(
        Ruleset.objects.filter(organization_id=event.webhook.organization_id, enabled=True)
        .filter(Q(webhooks=event.webhook_id) | Q(webhooks__isnull=True))
        .distinct()
        .order_by("created_at")
        .select_related("team")
        .prefetch_related("actions")
    )


# A storm of small chunks reads the rulesets of a webhook once a second per process.
_listening = ShortLived(seconds=1.0)


def _listening_rulesets(event: WebhookEvent) -> list[Ruleset]:
    return _listening.get(event.webhook_id, lambda: rulesets_for(event))


for _model in (Ruleset, RulesetAction, Team):
    post_save.connect(_listening.clear, sender=_model, weak=False)
    post_delete.connect(_listening.clear, sender=_model, weak=False)
m2m_changed.connect(_listening.clear, sender=Ruleset.webhooks.through, weak=False)


# Events evaluated per transaction at most: their incidents become visible together at its
# commit. A chunk costs about 10 ms of statements whatever its size, an event about 0.5 ms:
# under load, chunks fill up (see ``fill``) and the fixed cost is shared.
CHUNK_SIZE = 64
# A chunk with room left takes pending events received at most this long before its own: the
# live events of other tasks. Older ones are their own tasks' or the re-drive's. Bounded, the
# scan also skips the entries the pending index keeps for evaluated events until VACUUM (one
# per event evaluated since): unbounded, it read all of them for every chunk.
FILL_LOOKBACK = timedelta(seconds=1)
# Handoff tasks run in the order they were queued: behind a storm's backlog, another webhook's
# event would wait for every task before its own. So a chunk that fills also takes the oldest
# pending events of each other webhook (of those received since the same bound), even when its
# own events fill it: any task carries them along. ``FAIR_TURNS`` webhooks at most, those
# waiting longest, ``FAIR_SHARE`` events of each: a quiet webhook keeps up while it receives
# fewer than that many events per chunk evaluated (a chunk is at most twice its size).
FAIR_TURNS = 16
FAIR_SHARE = CHUNK_SIZE // FAIR_TURNS


def evaluate_events(event_ids: list[str], *, fill: bool = False) -> dict[str, list[Outcome]]:
    """Evaluate stored events in receive order, a few per transaction (idempotent).

    Events evaluated already, or being evaluated by another worker right now, are skipped:
    the result holds only the events this call evaluated. With ``fill``, a transaction with
    room left takes other pending events too, oldest first from ``FILL_LOOKBACK`` before its
    own: under load, live events (handed over a few at a time) are then evaluated in full
    chunks, whichever task gets them first.
    """
    results: dict[str, list[Outcome]] = {}
    failure: Exception | None = None
    apart: list[str] = []  # evaluated alone once every other event is
    remaining = [str(event_id) for event_id in event_ids]
    while remaining:
        chunk, rest = remaining[:CHUNK_SIZE], remaining[CHUNK_SIZE:]
        released: list[str] = []
        try:
            done = _evaluate_chunk(chunk, fill=fill)
            results.update(done.results)
            apart += done.apart
            released = done.released
        except DatabaseError as exc:
            if len(chunk) == 1 and not fill:
                raise
            # One event of the chunk (maybe one taken to fill it) fails: evaluate this call's
            # own events one by one, so that it cannot hold the others back.
            logger.exception("a chunk of events failed; evaluating them one by one")
            failure = exc
            for event_id in chunk:
                failure = _evaluate_alone(event_id, results) or failure
        # Every event of the chunk is now evaluated, released to the next chunk, set apart, or
        # held by a worker that evaluates it.
        remaining = list(
            dict.fromkeys(released + [event_id for event_id in rest if event_id not in results])
        )
    for event_id in dict.fromkeys(apart):
        failure = _evaluate_alone(event_id, results) or failure
    if failure is not None and not set(map(str, event_ids)) <= set(results):
        raise failure  # the task retries what is left (bounded), then the re-drive
    return results


class EvaluationDeferred(Exception):
    """An event went beyond an evaluation limit before its last attempt: tried again later."""


def _evaluate_alone(event_id: str, results: dict[str, list[Outcome]]) -> Exception | None:
    """Evaluate one event in a transaction of its own; why it is still pending, if it is."""
    try:
        done = _evaluate_chunk([event_id], fill=False, alone=True)
    except DatabaseError as exc:
        logger.exception("event %s could not be evaluated", event_id)
        _count_failed_attempt(event_id, exc)
        return exc
    results.update(done.results)
    if done.deferred:
        return EvaluationDeferred(f"event {event_id} went beyond an evaluation limit")
    return None


def _count_failed_attempt(event_id: str, error: Exception) -> None:
    """Count a failed evaluation of the event alone; give the event up at the last attempt.

    Given up, it is marked evaluated with the error (the events API shows it): the re-drive no
    longer tries it, and it no longer costs every chunk that takes it a failure.
    """
    try:
        with transaction.atomic():
            # By primary key alone, as a chunk claims its events.
            claimed = WebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id)
            event = claimed.first()
            if event is None or event.evaluated_at is not None:
                return
            event.evaluation_attempts += 1
            if event.evaluation_attempts >= settings.EVALUATION_MAX_ATTEMPTS:
                event.evaluated_at = timezone.now()
                event.evaluation = {
                    "rulesets": [],
                    "given_up_after": event.evaluation_attempts,
                    "error": storable_text(str(error)[:500]),
                }
            event.save(update_fields=["evaluation_attempts", "evaluated_at", "evaluation"])
            if event.evaluated_at is not None:
                metrics.events_evaluated([event])
    except DatabaseError:  # the database itself is failing: the re-drive comes back later
        logger.exception("could not count a failed evaluation of event %s", event_id)


def retry_given_up() -> int:
    """Make the events given up pending again (after a fix): the re-drive evaluates them."""
    return WebhookEvent.objects.filter(evaluation__has_key="given_up_after").update(
        evaluated_at=None, evaluation=None, evaluation_attempts=0
    )


@dataclass
class _Plan:
    """What one event means for each ruleset listening to it (decided before any lock)."""

    event: WebhookEvent
    view: EventView
    decisions: list[tuple[Ruleset, Decision | Exception]]
    beyond_limit: bool = False  # some ruleset went beyond an evaluation limit


@dataclass
class _Chunk:
    """What a chunk did: outcomes by event id, and the events it left pending."""

    results: dict[str, list[Outcome]] = field(default_factory=dict)
    apart: list[str] = field(default_factory=list)  # to evaluate alone, after the chunk
    released: list[str] = field(default_factory=list)  # not looked at: for the next chunk
    deferred: list[str] = field(default_factory=list)  # beyond a limit, attempts left


# Webhooks an event of which went beyond a limit in this process lately (id -> until when, on
# time.monotonic()): their events are decided after the others' in every chunk.
_slow_webhooks: dict[Any, float] = {}
SLOW_WEBHOOK_SECONDS = 60.0


def _fair_order(events: list[WebhookEvent]) -> list[WebhookEvent]:
    """Webhooks take turns, each in receive order: a storm on one cannot come first in full,
    and a webhook whose events went beyond a limit lately comes last."""
    now = time.monotonic()
    for webhook_id, until in list(_slow_webhooks.items()):
        if until < now:
            del _slow_webhooks[webhook_id]
    by_webhook: dict[Any, list[WebhookEvent]] = {}
    for event in events:
        by_webhook.setdefault(event.webhook_id, []).append(event)
    groups = sorted(by_webhook.values(), key=lambda group: group[0].webhook_id in _slow_webhooks)
    return [event for turn in zip_longest(*groups) for event in turn if event]


def _oldest_of_other_webhooks(
    webhook_ids: set, since: datetime, until: datetime
) -> list[uuid.UUID]:
    """The ``FAIR_SHARE`` oldest pending events received from ``since`` (before ``until``) of
    each webhook not in ``webhook_ids``: of ``FAIR_TURNS`` webhooks at most, those whose oldest
    is the oldest.

    One probe of each webhook's pending events (``evaluation`` null: their own index, see
    ``WebhookEvent``) from ``since``: a webhook costs a descent, never what it received and was
    evaluated before. Unclaimed here: a worker may take one meanwhile (the claim drops it).
    """
    oldest = WebhookEvent.objects.filter(
        webhook=OuterRef("pk"),
        received_at__gte=since,
        received_at__lt=until,
        evaluation__isnull=True,
    ).order_by("received_at")
    # The events' ids are read only for the webhooks kept (an expensive output is computed after
    # the sort and the limit), and no filter repeats the probe: webhooks without one sort last.
    turns = (
        Webhook.objects.exclude(pk__in=webhook_ids)
        .annotate(oldest_at=Subquery(oldest.values("received_at")[:1]))
        .order_by(F("oldest_at").asc(nulls_last=True))
        .values_list(*(Subquery(oldest.values("pk")[n : n + 1]) for n in range(FAIR_SHARE)))
    )[:FAIR_TURNS]
    return [event_id for share in turns for event_id in share if event_id is not None]


def _evaluate_chunk(event_ids: list[str], *, fill: bool, alone: bool = False) -> _Chunk:
    """One transaction: claim the events, lock every (ruleset, dedup key) they touch, apply.

    Claiming skips events another worker holds (it will evaluate them); the dedup states are
    locked in one statement in a fixed order, so two chunks never wait on each other in a cycle.
    Each (event, ruleset) application stages its writes, dropped if it fails: one failing does
    not stop the others. The chunk's incidents are written last, right before commit.

    Events are decided webhook by webhook in turn. One that goes beyond an evaluation limit, or
    that failed before, is set apart (``alone`` evaluates it on its own) and the chunk decides
    no more: the others wait no longer than one limit, and their locks are released at once.
    """
    done = _Chunk()
    with transaction.atomic():
        claim = WebhookEvent.objects.select_for_update(skip_locked=True)
        # By primary key alone, and an event evaluated meanwhile dropped here (the locked row is
        # its newest version): asked in SQL too, the planner may scan the whole pending index
        # for these few ids when statistics say nothing is pending, as they mostly do.
        claimed = list(claim.filter(pk__in=event_ids))
        events = [event for event in claimed if event.evaluated_at is None]
        own = len(events)
        if fill and claimed:
            # Within the week of its start, so that on PostgreSQL one partition is read (a
            # week's, or the low end partition's before the first week).
            since = min(event.received_at for event in claimed) - FILL_LOOKBACK
            until = retention.week_end(since)
            # Even a task whose events were all evaluated meanwhile (taken by another's fill, as
            # most of a backlog's are) takes the other webhooks' turns: the more often, the
            # sooner. It takes no more.
            webhooks = {event.webhook_id for event in claimed}
            turns = _oldest_of_other_webhooks(webhooks, since, until)
            events += [event for event in claim.filter(pk__in=turns) if event.evaluated_at is None]
        if fill and own and len(events) < CHUNK_SIZE:
            # In the pending index's own order, from a bound: a range is read, never sorted.
            events += (
                claim.filter(
                    evaluated_at__isnull=True, received_at__gte=since, received_at__lt=until
                )
                .exclude(pk__in=[event.pk for event in events])
                .order_by("received_at")[: CHUNK_SIZE - len(events)]
            )
        events.sort(key=_position)
        plans, given_up, stopped = [], [], False
        for event in _fair_order(events):
            if stopped:
                done.released.append(str(event.pk))
                continue
            if event.evaluation_attempts and not alone:
                done.apart.append(str(event.pk))
                continue
            plan = _plan(event, alone=alone)
            if plan.beyond_limit:
                _slow_webhooks[event.webhook_id] = time.monotonic() + SLOW_WEBHOOK_SECONDS
                if not alone:
                    done.apart.append(str(event.pk))
                    stopped = True
                    continue
                event.evaluation_attempts += 1
                if event.evaluation_attempts < settings.EVALUATION_MAX_ATTEMPTS:
                    done.deferred.append(str(event.pk))
                    continue
                given_up.append(event)
            plans.append(plan)
        plans.sort(key=lambda plan: _position(plan.event))  # applied in receive order
        latest: dict[StateKey, Position] = {}  # the newest event of each pair, if all apply
        for plan in plans:
            for ruleset, decision in plan.decisions:
                if isinstance(decision, Decision) and decision.intent in ("open", "resolve"):
                    latest[(ruleset.pk, decision.dedup_key)] = _position(plan.event)
        states, created = _locked_states(latest)
        stored = {
            key: (*latest[key], None) if key in created else _written(state)
            for key, state in states.items()
        }
        # A pair met for the first time has no incident: its state is always created first.
        book = incidents.RuleIncidents(latest.keys() - created)
        for plan in plans:
            outcomes = [
                _apply(ruleset, plan, decision, states, book)
                for ruleset, decision in plan.decisions
            ]
            evaluation: dict[str, Any] = {"rulesets": outcomes}
            if plan.event in given_up:
                evaluation["attempts"] = plan.event.evaluation_attempts
            plan.event.evaluated_at, plan.event.evaluation = timezone.now(), evaluation
            done.results[str(plan.event.pk)] = outcomes
            if subscribe_url(plan.event):
                enqueue_on_commit(confirm_sns_subscription, str(plan.event.pk))
        update_each(
            [state for key, state in states.items() if _written(state) != stored[key]],
            list(STATE_FIELDS),
        )
        written = ["evaluated_at", "evaluation", *(["evaluation_attempts"] if given_up else [])]
        update_each([plan.event for plan in plans], written)
        metrics.events_evaluated([plan.event for plan in plans])
        if done.deferred:  # only an event evaluated alone: its attempt counted
            update_each(events, ["evaluation_attempts"])
        book.flush()
    return done


def _plan(event: WebhookEvent, *, alone: bool) -> _Plan:
    """Decide for each ruleset, each within its own budget. Apart from other events (``alone``)
    every ruleset is decided; among others, deciding stops at the first beyond a limit: the
    event is set apart."""
    view = event_view(event)
    plan = _Plan(event, view, [])
    for ruleset in _listening_rulesets(event):
        try:
            plan.decisions.append((ruleset, decide(ruleset, event, view)))
        except LimitExceeded as exc:
            plan.beyond_limit = True
            plan.decisions.append((ruleset, exc))
            if not alone:
                break
        except Exception as exc:  # noqa: BLE001 - a ruleset's bug must not block the others
            plan.decisions.append((ruleset, exc))
    return plan


StateKey = incidents.RuleKey
Position = tuple[Any, Any]  # (received_at, id) of an event: the receive order
CURSOR_FIELDS = ("last_received_at", "last_event_id")  # a state's position
STATE_FIELDS = (*CURSOR_FIELDS, "suppressed_by")  # what applying events changes of a state


def _position(event: WebhookEvent) -> Position:
    return (event.received_at, event.pk)


def _cursor(state: DedupState) -> Position:
    return (state.last_received_at, state.last_event_id)


def _written(state: DedupState) -> tuple[Any, Any, Any]:
    return (state.last_received_at, state.last_event_id, state.suppressed_by)


def reopens_after_maintenance(ruleset: Ruleset) -> bool:
    """Whether a key whose last event was suppressed while failing opens its incident once no
    window covers it: rules that know a recovery (state-change, or resolve conditions). Others
    (one-shot notifications) stay silenced."""
    return ruleset.rule_type == RuleType.STATE_CHANGE or (
        ruleset.rule_type == RuleType.WEBHOOK and ruleset.resolve_conditions is not None
    )


def _locked_states(latest: dict[StateKey, Position]) -> tuple[dict[StateKey, DedupState], set]:
    """The states of these (ruleset, dedup key) pairs, locked, and the pairs met for the first
    time, whose state this call created.

    A state created here is held by its uncommitted insert: a chunk inserting the same pair
    waits for the commit. The others are locked in one statement. Both go in a fixed order, so
    two chunks never wait on each other in a cycle. A created state is stored with its cursor at
    ``latest`` (saving an update when every event applies); in memory it starts empty.
    """
    if not latest:
        return {}, set()
    ordered = sorted(latest.items(), key=lambda item: (str(item[0][0]), item[0][1]))
    states = {(state.ruleset_id, state.dedup_key): state for state in _create_states(ordered)}
    created = set(states)
    if existing := latest.keys() - created:
        states.update(
            ((state.ruleset_id, state.dedup_key), state)
            for state in DedupState.objects.select_for_update()
            .filter(incidents.rule_keys_filter(existing))
            .order_by("ruleset_id", "dedup_key")
        )
    if purged := [item for item in ordered if item[0] not in states]:
        # Deleted by the purge since the insert met them: no incident either (see the purge).
        again = {(state.ruleset_id, state.dedup_key): state for state in _create_states(purged)}
        states.update(again)
        created |= set(again)
    return states, created


def _create_states(ordered: list[tuple[StateKey, Position]]) -> list[DedupState]:
    """Insert the states missing among these pairs, in this order; the ones inserted."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the ``connection`` proxy looks it up
    meta, quote = DedupState._meta, db.ops.quote_name
    fields = [meta.get_field(name) for name in ("ruleset", "dedup_key", *CURSOR_FIELDS)]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join(['(%s, %s, %s, %s)'] * len(ordered))} "
        "ON CONFLICT DO NOTHING RETURNING id, ruleset_id, dedup_key"
    )
    values = [
        field.get_db_prep_value(value, db)
        for key, position in ordered
        for field, value in zip(fields, (*key, *position), strict=True)
    ]
    with db.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    return [
        DedupState(id=pk, ruleset_id=fields[0].to_python(ruleset_id), dedup_key=dedup_key)
        for pk, ruleset_id, dedup_key in rows
    ]


def _apply(
    ruleset: Ruleset,
    plan: _Plan,
    decision: Decision | Exception,
    states: dict[StateKey, DedupState],
    book: incidents.RuleIncidents,
) -> Outcome:
    base: Outcome = {"ruleset_id": str(ruleset.pk), "ruleset": ruleset.name}
    if isinstance(decision, LimitExceeded):
        attempts = plan.event.evaluation_attempts
        detail = f"evaluation limit exceeded: {decision} (given up after {attempts} attempts)"
        return {**base, "outcome": "error", "detail": detail}
    if isinstance(decision, Exception):
        return {**base, "outcome": "error", "detail": storable_text(str(decision)[:500])}
    if decision.intent == "none":
        return {**base, "outcome": "no-match"}
    if decision.intent == "no-dedup-key":
        return {**base, "outcome": "no-dedup-key", "detail": f"{ruleset.dedup_key} is absent"}
    state = states[(ruleset.pk, decision.dedup_key)]
    try:
        result = _apply_locked(ruleset, plan, decision, state, book)
    except Exception as exc:  # noqa: BLE001 - recorded on the event; others still run
        book.discard()
        return {
            **base,
            "outcome": "error",
            "dedup_key": decision.dedup_key,
            "detail": storable_text(str(exc)[:500]),
        }
    book.keep()
    return {**base, **result}


def _apply_locked(
    ruleset: Ruleset,
    plan: _Plan,
    decision: Decision,
    state: DedupState,
    book: incidents.RuleIncidents,
) -> dict[str, Any]:
    """Apply under the (ruleset, dedup key) lock; the state's cursor moves only on success."""
    event, key = plan.event, decision.dedup_key
    result: dict[str, Any] = {"dedup_key": key}
    position = _position(event)
    if state.last_received_at is not None and position < _cursor(state):
        # Received before an event already applied: it may add to the open incident, never
        # open or resolve one against newer state.
        incident = (
            book.attach(ruleset, dedup_key=key, event=event) if decision.intent == "open" else None
        )
        if incident is not None:
            result.update(outcome="attached", incident_id=str(incident.pk))
        else:
            result.update(outcome="stale", detail="a later event for this key was applied first")
        return result
    suppressed_by = None
    if decision.intent == "open" and (
        window := maintenance.suppressing(ruleset, webhook_id=event.webhook_id, at=position[0])
    ):
        # Stored and evaluated, no incident, no page; the key's state remembers it is failing.
        if reopens_after_maintenance(ruleset):
            suppressed_by = window.id
        result.update(outcome="suppressed", maintenance_window_id=str(window.id))
    elif decision.intent == "open":
        incident, opened = book.open_or_attach(
            ruleset,
            dedup_key=key,
            event=event,
            name=decision.name or ruleset.name,
            description=decision.description,
        )
        result.update(outcome="opened" if opened else "attached", incident_id=str(incident.pk))
    else:
        incident = book.resolve(ruleset, dedup_key=key, event=event)
        if incident is None:
            result.update(outcome="no-open-incident")
        else:
            result.update(outcome="resolved", incident_id=str(incident.pk))
    state.last_received_at, state.last_event_id = position
    state.suppressed_by = suppressed_by
    return result


# The position of what the system decides without an event (a heartbeat missed): before any
# event received at the same instant.
SYSTEM_EVENT_ID = uuid.UUID(int=0)


def open_without_event(
    ruleset: Ruleset, *, dedup_key: str, at: datetime, message: str, data: dict[str, str]
) -> tuple[Incident, bool]:
    """Open the ruleset's incident for this key with no event (or find the open one), in the
    caller's transaction, under the key's lock as evaluation takes it; routed as any incident.

    The key's position moves to ``at``: an event received before it but evaluated later is
    stale and does not resolve what this opened.
    """
    key = (ruleset.pk, dedup_key)
    position = (at, SYSTEM_EVENT_ID)
    states, created = _locked_states({key: position})
    book = incidents.RuleIncidents({key} - created)
    incident, opened = book.open_or_attach(
        ruleset,
        dedup_key=dedup_key,
        event=None,
        name=ruleset.name,
        description=describe(ruleset, None, evaluation_budget(), {}),
        message=message,
        data=data,
    )
    book.keep()
    state = states[key]
    if key not in created and (state.last_received_at is None or _cursor(state) < position):
        state.last_received_at, state.last_event_id = position
        state.save(update_fields=list(CURSOR_FIELDS))
    book.flush()
    return incident, opened


PURGE_BATCH = 5000


def purge_dedup_states(*, idle_for: timedelta | None = None) -> int:
    """Delete the states of (ruleset, dedup key) pairs no event has touched for the retention
    period (``DEDUP_STATE_RETENTION_DAYS``) and whose key has no unresolved incident.

    Without it every key ever seen keeps a row, one per incident when keys are unique. A key
    seen again starts from a new state, like a key never seen: nothing older than the retention
    is still evaluated. The delete re-checks the cursor: a state an evaluation moves meanwhile
    stays, and one opening an incident always moves it. The number of states deleted.
    """
    idle_for = idle_for or timedelta(days=settings.DEDUP_STATE_RETENTION_DAYS)
    cutoff = timezone.now() - idle_for
    unresolved = Incident.objects.filter(
        ruleset_id=OuterRef("ruleset_id"), dedup_key=OuterRef("dedup_key")
    ).exclude(status=IncidentStatus.RESOLVED)
    idle = DedupState.objects.filter(last_received_at__lt=cutoff)
    deleted = 0
    while ids := list(idle.exclude(Exists(unresolved)).values_list("pk", flat=True)[:PURGE_BATCH]):
        deleted += idle.filter(pk__in=ids).delete()[0]
    return deleted


def pending_events(older_than_seconds: int, limit: int):
    """Events stored but not evaluated for at least ``older_than_seconds``: webhooks take turns
    (the oldest of each, then the second oldest of each, ...), so that the backlog of one does
    not come before everyone else's."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    turn = Window(RowNumber(), partition_by=[F("webhook_id")], order_by=F("received_at").asc())
    return (
        WebhookEvent.objects.filter(evaluated_at__isnull=True, received_at__lte=cutoff)
        .annotate(turn=turn)
        .order_by("turn", "received_at")
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
