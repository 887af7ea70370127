"""The product's own counters for Prometheus (served by ``pinghome.monitoring`` at ``/metrics``).

Each is counted where the thing happens, once the transaction that did it commits: a change
rolled back counts nothing. Under several processes (gunicorn workers, Celery worker
processes), prometheus-client's multiprocess mode keeps each process's values in files of
``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds them up; without the variable a process counts
in memory and a scrape answers for that process alone (the embedded default in one process,
the tests). Gauges of the database are read at scrape time (``pinghome.monitoring``).

Counting costs a few microseconds (a dictionary lookup and an addition, in memory or in a
memory-mapped file): ingest counts its event this way, with no statement more.
"""

import os
from collections import Counter as Tally
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from django.db import transaction
from prometheus_client import CollectorRegistry, Counter, Histogram

# Read by prometheus-client when it is imported, as here: the variable must be set before the
# process starts (README "Metrics and health"). The folder is made if it is missing.
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MULTIPROCESS_DIR:
    Path(MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)

# This process's metrics, scraped directly when there is no multiprocess folder.
registry = CollectorRegistry()

EVENTS_RECEIVED = Counter(
    "pinghome_events_received", "Events stored by ingest.", ["webhook"], registry=registry
)
EVENTS_REJECTED = Counter(
    "pinghome_events_rejected",
    "Events refused by ingest (the webhook is empty when the database could not tell it).",
    ["webhook", "reason"],
    registry=registry,
)
EVENTS_EVALUATED = Counter(
    "pinghome_events_evaluated", "Events evaluated.", ["webhook"], registry=registry
)
EVALUATION_LATENCY = Histogram(
    "pinghome_evaluation_latency_seconds",
    "Seconds from an event's receipt to its evaluation committed.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
    registry=registry,
)
INCIDENTS_OPENED = Counter(
    "pinghome_incidents_opened", "Incidents opened.", ["team", "urgency"], registry=registry
)
INCIDENTS_ACKNOWLEDGED = Counter(
    "pinghome_incidents_acknowledged",
    "Incidents acknowledged.",
    ["team", "urgency"],
    registry=registry,
)
INCIDENTS_RESOLVED = Counter(
    "pinghome_incidents_resolved", "Incidents resolved.", ["team", "urgency"], registry=registry
)
NOTIFICATIONS_SENT = Counter(
    "pinghome_notifications_sent",
    "Notifications sent (pages, e-mails, chat posts), by channel.",
    ["channel"],
    registry=registry,
)
NOTIFICATIONS_FAILED = Counter(
    "pinghome_notifications_failed",
    "Attempts to send a notification that failed, by channel.",
    ["channel"],
    registry=registry,
)
ESCALATION_STEPS = Counter("pinghome_escalation_steps", "Escalation steps run.", registry=registry)


class _Incident(Protocol):
    team_id: Any
    urgency: str


class _Event(Protocol):
    webhook_id: Any
    received_at: datetime
    evaluated_at: datetime | None


def count(counter: Counter, *labels: str, amount: float = 1) -> None:
    """Add ``amount`` to the counter (with these label values) once the current transaction
    commits; at once outside one."""
    child = counter.labels(*labels) if labels else counter
    transaction.on_commit(partial(child.inc, amount))


def event_received(webhook_id: Any) -> None:
    """At once: ingest commits each event by itself (autocommit) before it counts it."""
    EVENTS_RECEIVED.labels(str(webhook_id)).inc()


def event_rejected(webhook_id: Any, reason: str) -> None:
    """At once: a refusal writes nothing that could be rolled back."""
    EVENTS_REJECTED.labels(str(webhook_id or ""), reason).inc()


def events_evaluated(events: Iterable[_Event]) -> None:
    """Count evaluated events by webhook, and the latency of each, after commit."""
    by_webhook = Tally(str(event.webhook_id) for event in events)
    latencies = [
        (event.evaluated_at - event.received_at).total_seconds()
        for event in events
        if event.evaluated_at is not None
    ]
    if by_webhook:
        transaction.on_commit(partial(_evaluated, by_webhook, latencies))


def _evaluated(by_webhook: Tally, latencies: list[float]) -> None:
    for webhook, number in by_webhook.items():
        EVENTS_EVALUATED.labels(webhook).inc(number)
    for seconds in latencies:
        EVALUATION_LATENCY.observe(max(0.0, seconds))


_TRANSITIONS = {
    "acknowledged": INCIDENTS_ACKNOWLEDGED,
    "resolved": INCIDENTS_RESOLVED,
}


def incidents_opened(incidents: Iterable[_Incident]) -> None:
    _by_team_and_urgency(INCIDENTS_OPENED, incidents)


def incident_moved(incident: _Incident, status: str) -> None:
    """An incident acknowledged or resolved (other statuses are not counted)."""
    counter = _TRANSITIONS.get(status)
    if counter is not None:
        _by_team_and_urgency(counter, [incident])


def _by_team_and_urgency(counter: Counter, incidents: Iterable[_Incident]) -> None:
    for (team, urgency), number in Tally(
        (str(incident.team_id), str(incident.urgency)) for incident in incidents
    ).items():
        count(counter, team, urgency, amount=number)


def escalation_steps(number: int) -> None:
    if number:
        count(ESCALATION_STEPS, amount=number)
