"""Heartbeats (a dead-man's switch): a webhook that expects an event every so often.

A webhook with ``expect_every_seconds`` has a heartbeat ruleset (rule type ``heartbeat``,
``heartbeat_of`` the webhook): its urgency, assignees, actions and escalation are a ruleset's,
edited like any. The periodic ``check`` (every ``CHECK_INTERVAL_SECONDS``) finds the
webhooks whose last event, read from the events' own index (ingest writes nothing more), is
older than the period plus the grace; claims each with a compare-and-set of its
``heartbeat_state`` (``ok`` to ``overdue``), so that of several periodic processes one opens
it; and opens the incident through the ruleset machinery. The webhook's next event resolves it
(to a heartbeat ruleset any event of its webhook means "resolved") and re-arms the heartbeat.
A maintenance window covering the heartbeat ruleset (its webhook, itself or its team) holds the
heartbeat back while it is active.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from incidents import services as incidents
from incidents.models import Incident, IncidentStatus, Urgency
from maintenance import windows as maintenance
from rulesets import evaluation
from rulesets.models import Level, Ruleset, RuleType
from webhooks.models import HeartbeatState, Webhook, WebhookEvent

FIELDS = ("expect_every_seconds", "grace_seconds", "heartbeat_paused")


def configure(webhook: Webhook, changes: dict[str, Any]) -> None:
    """Apply the heartbeat fields of ``changes`` to the webhook (saved by the caller, then
    ``sync_ruleset``); a ``ValidationError`` when the webhook cannot have a heartbeat.

    Setting or changing the period, or resuming, restarts the clock: the heartbeat is overdue
    a whole period after that at the earliest, whatever the age of the last event.
    """
    before = (webhook.expect_every_seconds, webhook.grace_seconds, webhook.heartbeat_paused)
    for field in FIELDS:
        if field in changes:
            setattr(webhook, field, changes[field])
    if webhook.grace_seconds is None:
        webhook.grace_seconds = 0
    if webhook.expect_every_seconds is None:  # switched off
        webhook.heartbeat_state, webhook.heartbeat_overdue_at = HeartbeatState.OK, None
        webhook.heartbeat_since, webhook.heartbeat_paused = None, False
        return
    if webhook.team_id is None:
        raise ValidationError({"team_id": ["a heartbeat needs the team its incident is for"]})
    period_changed = before[:2] != (webhook.expect_every_seconds, webhook.grace_seconds)
    resumed = before[2] and not webhook.heartbeat_paused
    if period_changed or resumed or webhook.heartbeat_since is None:
        webhook.heartbeat_since = timezone.now()


def sync_ruleset(webhook: Webhook, *, by: User | None) -> Ruleset | None:
    """The webhook's heartbeat ruleset after ``configure`` (and the webhook's save)."""
    ruleset = Ruleset.objects.filter(heartbeat_of=webhook).first()
    if webhook.expect_every_seconds is None:
        if ruleset is not None:
            for incident in Incident.objects.filter(ruleset=ruleset).exclude(
                status=IncidentStatus.RESOLVED
            ):
                incidents.resolve(
                    incident,
                    by=by,
                    actor="heartbeat",
                    message="Resolved: the webhook's heartbeat was switched off",
                )
            ruleset.delete()
        return None
    if ruleset is None:
        ruleset = Ruleset.objects.create(
            organization_id=webhook.organization_id,
            team_id=webhook.team_id,
            level=Level.TEAM,
            rule_type=RuleType.HEARTBEAT,
            name=f"No heartbeat from {webhook}"[:200],
            urgency=Urgency.HIGH,
            conditions=[],
            heartbeat_of=webhook,
            created_by=by,
        )
        ruleset.webhooks.set([webhook])
    elif ruleset.team_id != webhook.team_id:
        ruleset.team_id = webhook.team_id
        ruleset.updated_at = timezone.now()
        ruleset.save(update_fields=["team", "updated_at"])
    return ruleset


def period(webhook: Webhook) -> timedelta:
    return timedelta(seconds=webhook.expect_every_seconds + webhook.grace_seconds)


def check(now: datetime | None = None) -> int:
    """Re-arm the heartbeats that heard an event since they were overdue, then open the
    incident of each heartbeat overdue now. How many incidents it opened."""
    now = now or timezone.now()
    rearm()
    armed = _running().filter(heartbeat_state=HeartbeatState.OK, heartbeat_ruleset__enabled=True)
    return sum(open_overdue(webhook, now) for webhook in _silent(armed, now))


def overdue_count(now: datetime) -> int:
    """Heartbeats overdue now, whether the check has opened their incident yet or not (the
    metrics' gauge): claimed ones, and armed ones silent past their period that no
    maintenance window holds back."""
    claimed = _running().filter(heartbeat_state=HeartbeatState.OVERDUE).count()
    armed = _running().filter(heartbeat_state=HeartbeatState.OK)
    return claimed + sum(1 for _ in _silent(armed, now))


def _running():
    """Webhooks with a heartbeat (and its ruleset) that is not paused."""
    return Webhook.objects.filter(
        expect_every_seconds__isnull=False,
        heartbeat_paused=False,
        heartbeat_ruleset__isnull=False,
    )


def _silent(armed, now: datetime) -> Iterator[Webhook]:
    """The webhooks of ``armed`` that heard no event for their period, but those a
    maintenance window covers (a silent source is expected then: still armed, it opens once
    the window ends if no event came meanwhile)."""
    last_event = WebhookEvent.objects.filter(webhook=OuterRef("pk")).order_by("-received_at", "-id")
    armed = armed.annotate(last_received_at=Subquery(last_event.values("received_at")[:1]))
    for webhook in armed.select_related("heartbeat_ruleset"):
        heard = max(filter(None, (webhook.last_received_at, webhook.heartbeat_since)))
        if heard + period(webhook) <= now and not maintenance.suppressing(
            webhook.heartbeat_ruleset, webhook_id=webhook.pk, at=now
        ):
            yield webhook


def rearm() -> int:
    """Overdue heartbeats that received an event since are ``ok`` again (the event resolves
    the incident through evaluation)."""
    heard = WebhookEvent.objects.filter(
        webhook=OuterRef("pk"), received_at__gt=OuterRef("heartbeat_overdue_at")
    )
    return (
        Webhook.objects.filter(heartbeat_state=HeartbeatState.OVERDUE)
        .filter(Exists(heard))
        .update(heartbeat_state=HeartbeatState.OK, heartbeat_overdue_at=None)
    )


@transaction.atomic
def open_overdue(webhook: Webhook, now: datetime) -> bool:
    """Claim the overdue heartbeat (compare-and-set: it is still armed, unchanged, and still no
    event arrived for its period) and open its incident. False when another process claimed
    it, it is no longer overdue, or its incident is still open (not resolved by hand when an
    event re-armed it before evaluation resolved it): nothing opens twice."""
    cutoff = now - period(webhook)
    heard = WebhookEvent.objects.filter(webhook=OuterRef("pk"), received_at__gt=cutoff)
    claimed = (
        Webhook.objects.filter(
            pk=webhook.pk,
            heartbeat_state=HeartbeatState.OK,
            heartbeat_paused=False,
            expect_every_seconds=webhook.expect_every_seconds,
            grace_seconds=webhook.grace_seconds,
            heartbeat_since=webhook.heartbeat_since,
        )
        .exclude(Exists(heard))
        .update(heartbeat_state=HeartbeatState.OVERDUE, heartbeat_overdue_at=now)
    )
    ruleset = (
        Ruleset.objects.filter(heartbeat_of=webhook, enabled=True)
        .select_related("team")
        .prefetch_related("actions")
        .first()
    )
    if not claimed or ruleset is None:
        return False
    last = webhook.last_received_at
    silence = f"since {last:%Y-%m-%d %H:%M:%S} UTC" if last else "since the heartbeat started"
    _, opened = evaluation.open_without_event(
        ruleset,
        dedup_key=str(webhook.pk),
        at=now,
        message=(
            f"Opened by ruleset {ruleset.name}: no event from webhook {webhook} {silence} "
            f"(expected every {webhook.expect_every_seconds} s, "
            f"{webhook.grace_seconds} s of grace)"
        ),
        data={"webhook_id": str(webhook.pk), "last_event_at": last.isoformat() if last else ""},
    )
    return opened
