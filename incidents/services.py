"""Incident use cases: what the API, the pages, the admin and the tasks all call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import Team, User
from incidents.actions import ActionFailed, action_type
from incidents.models import (
    ActionState,
    Incident,
    IncidentAction,
    IncidentEvent,
    IncidentStatus,
    TimelineKind,
)
from incidents.timeline import record
from notifications import services as notifications
from pinghome.jobs import enqueue_on_commit
from webhooks.models import WebhookEvent

if TYPE_CHECKING:
    from rulesets.models import Ruleset


class TransitionError(Exception):
    """The incident cannot move to that status (e.g. it is already resolved)."""


def save_actions(
    actions: models.Manager, items: Iterable[dict[str, Any]], *, delete_missing: bool
) -> list[Any]:
    """Upsert action rows of one parent by ``id``: an empty or absent id creates one.

    With ``delete_missing`` the given list replaces the parent's actions. Returns the rows created
    or whose type or settings changed: those that have to run (again).
    """
    items = list(items)
    existing = {str(action.pk): action for action in actions.all()}
    unknown = {
        f"actions.{index}.id": ["no such action"]
        for index, item in enumerate(items)
        if item.get("id") and item["id"] not in existing
    }
    if unknown:
        raise ValidationError(unknown)
    changed, kept = [], set()
    for position, item in enumerate(items):
        action = existing.get(item.get("id") or "")
        if action is None:
            action = actions.create(type=item["type"], settings=item["settings"], position=position)
            changed.append(action)
        elif (action.type, action.settings, action.position) != (
            item["type"],
            item["settings"],
            position,
        ):
            if (action.type, action.settings) != (item["type"], item["settings"]):
                changed.append(action)
            action.type, action.settings, action.position = item["type"], item["settings"], position
            action.save(update_fields=["type", "settings", "position"])
        kept.add(str(action.pk))
    if delete_missing:
        actions.exclude(pk__in=kept).delete()
    return changed


@transaction.atomic
def create_incident(
    team: Team,
    *,
    by: User,
    name: str,
    description: str,
    urgency: str,
    assignees: list[dict[str, str]] | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> Incident:
    """A person opens an incident by hand."""
    incident = Incident.objects.create(
        organization_id=team.organization_id,
        team=team,
        name=name,
        description=description,
        urgency=urgency,
        assignees=assignees or [],
        created_by=by,
        **notifications.escalation_start(team),
    )
    start_actions(save_actions(incident.actions, actions or [], delete_missing=False))
    record(incident, TimelineKind.CREATED, by=by, message=f"Opened by {by.email}")
    notifications.notify_opened(incident)
    return incident


EDITABLE_FIELDS = ("name", "description", "urgency", "assignees")


@transaction.atomic
def update_incident(
    incident: Incident,
    *,
    by: User,
    changes: dict[str, Any],
    actions: list[dict[str, Any]] | None = None,
    status: str | None = None,
) -> Incident:
    """Edit fields, upsert actions and optionally move the status, each change on the timeline."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if status and incident.is_resolved and status != IncidentStatus.RESOLVED:
        raise TransitionError("a resolved incident stays resolved")
    edited = {
        field: {"from": getattr(incident, field), "to": changes[field]}
        for field in EDITABLE_FIELDS
        if field in changes and getattr(incident, field) != changes[field]
    }
    if edited:
        for field, change in edited.items():
            setattr(incident, field, change["to"])
        incident.updated_at = timezone.now()
        incident.save(update_fields=[*edited, "updated_at"])
        record(
            incident, TimelineKind.EDITED, by=by, message="Edited " + ", ".join(edited), data=edited
        )
        if "assignees" in edited and not incident.is_resolved:
            before = edited["assignees"]["from"]
            notifications.on_assignees_changed(
                incident, [a for a in edited["assignees"]["to"] if a not in before]
            )
    if actions is not None:
        changed = save_actions(incident.actions, actions, delete_missing=False)
        IncidentAction.objects.filter(pk__in=[a.pk for a in changed]).update(
            state=ActionState.PENDING, error="", finished_at=None
        )
        if not incident.is_resolved:
            start_actions(changed)
    if status == IncidentStatus.ACKNOWLEDGED:
        acknowledge(incident, by=by)
    elif status == IncidentStatus.RESOLVED:
        resolve(incident, by=by)
    incident.refresh_from_db()
    return incident


def _transition(
    incident: Incident,
    *,
    to: str,
    allowed_from: list[str],
    stamp: str,
    kind: str,
    by: User | None,
    actor: str,
    message: str,
) -> bool:
    """Compare-and-set: of several concurrent callers exactly one moves the incident."""
    now = timezone.now()
    with transaction.atomic():
        moved = Incident.objects.filter(pk=incident.pk, status__in=allowed_from).update(
            status=to,
            updated_at=now,
            escalation_token=None,
            next_escalation_at=None,
            **{stamp: now},
        )
        if moved:
            record(incident, kind, by=by, actor=actor, message=message)
    if moved:
        incident.status, incident.updated_at = to, now
        setattr(incident, stamp, now)
    return bool(moved)


def acknowledge(incident: Incident, *, by: User | None, actor: str = "system") -> bool:
    """Acknowledge a triggered incident; False when it was not triggered any more."""
    if incident.is_resolved:
        raise TransitionError("a resolved incident cannot be acknowledged")
    return _transition(
        incident,
        to=IncidentStatus.ACKNOWLEDGED,
        allowed_from=[IncidentStatus.TRIGGERED],
        stamp="acknowledged_at",
        kind=TimelineKind.ACKNOWLEDGED,
        by=by,
        actor=actor,
        message=f"Acknowledged by {by.email if by else actor}",
    )


def resolve(incident: Incident, *, by: User | None, actor: str = "system") -> bool:
    """Resolve an unresolved incident, then undo its actions; False when already resolved."""
    from incidents.tasks import undo_actions as undo_actions_task

    moved = _transition(
        incident,
        to=IncidentStatus.RESOLVED,
        allowed_from=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
        stamp="resolved_at",
        kind=TimelineKind.RESOLVED,
        by=by,
        actor=actor,
        message=f"Resolved by {by.email if by else actor}",
    )
    if moved:
        enqueue_on_commit(undo_actions_task, str(incident.pk))
    return moved


# --- actions -------------------------------------------------------------------------------


def start_actions(actions: Iterable[IncidentAction]) -> None:
    """Run each action in Celery once the transaction that created it commits."""
    from incidents.tasks import run_action

    for action in actions:
        enqueue_on_commit(run_action, str(action.pk))


def run_action(action_id: str, *, final_attempt: bool) -> None:
    """Run one action; idempotent. A failure is retried by the task until ``final_attempt``."""
    with transaction.atomic():
        action = IncidentAction.objects.select_for_update().filter(pk=action_id).first()
        if action is None or action.state == ActionState.SUCCEEDED:
            return
        action.attempts += 1
        action.started_at = action.started_at or timezone.now()
        action.state = ActionState.RUNNING
        action.save(update_fields=["attempts", "started_at", "state"])
    try:
        with transaction.atomic():
            message = action_type(action.type).run(action)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the action
        permanent = isinstance(exc, ActionFailed) and exc.permanent
        done = final_attempt or permanent
        action.state = ActionState.FAILED if done else ActionState.PENDING
        action.error = str(exc)[:2000] or exc.__class__.__name__
        action.finished_at = timezone.now() if done else None
        action.save(update_fields=["state", "error", "finished_at"])
        if done:
            record(
                action.incident,
                TimelineKind.ACTION_FAILED,
                actor=f"action:{action.type}",
                message=f"{action.type} failed after {action.attempts} attempt(s): {action.error}",
                data={"action_id": str(action.pk)},
            )
            return
        raise
    action.state, action.error, action.finished_at = ActionState.SUCCEEDED, "", timezone.now()
    action.save(update_fields=["state", "error", "finished_at"])
    record(
        action.incident,
        TimelineKind.ACTION_SUCCEEDED,
        actor=f"action:{action.type}",
        message=message,
        data={"action_id": str(action.pk)},
    )


def undo_actions(incident_id: str) -> None:
    """Undo what the incident's actions did (it was resolved); idempotent."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    for kind in sorted(set(incident.actions.values_list("type", flat=True))):
        with transaction.atomic():
            message = action_type(kind).undo(incident)
        if message:
            record(incident, TimelineKind.ACTION_SUCCEEDED, actor=f"action:{kind}", message=message)


# --- incidents opened, fed and resolved by rulesets -------------------------------------------


def _attach(incident: Incident, event: WebhookEvent) -> None:
    """Link an event to an open incident; the event count follows the links.

    Callers hold the (ruleset, dedup key) lock and the claimed event, so the event is linked
    once; the unique constraint on the link stays the last guard.
    """
    IncidentEvent.objects.create(incident=incident, event=event)
    Incident.objects.filter(pk=incident.pk).update(
        event_count=F("event_count") + 1,
        first_event_at=Coalesce("first_event_at", Value(event.received_at)),
        last_event_at=Greatest(
            Coalesce("last_event_at", Value(event.received_at)), Value(event.received_at)
        ),
        updated_at=timezone.now(),
    )


def unresolved_incident(ruleset: Ruleset, dedup_key: str) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .filter(ruleset=ruleset, dedup_key=dedup_key)
        .exclude(status=IncidentStatus.RESOLVED)
        .first()
    )


def attach_to_open(ruleset: Ruleset, *, dedup_key: str, event: WebhookEvent) -> Incident | None:
    """Attach the event to the ruleset's unresolved incident for this key, if there is one."""
    incident = unresolved_incident(ruleset, dedup_key)
    if incident is not None:
        _attach(incident, event)
        record(
            incident,
            TimelineKind.EVENT_ATTACHED,
            actor=f"ruleset:{ruleset.name}",
            message="Event attached",
            data={"event_id": str(event.id)},
        )
    return incident


def open_or_attach(
    ruleset: Ruleset, *, dedup_key: str, event: WebhookEvent, name: str
) -> tuple[Incident, bool]:
    """Open the ruleset's incident for this dedup key, or attach the event to the open one.

    Must run inside a transaction. The partial unique constraint guarantees one unresolved
    incident per (ruleset, dedup key) even if two callers race past the lookup.
    """
    incident = attach_to_open(ruleset, dedup_key=dedup_key, event=event)
    if incident is not None:
        return incident, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                organization_id=ruleset.organization_id,
                team=ruleset.team,
                name=name[:500],
                description=ruleset.description,
                urgency=ruleset.urgency,
                assignees=ruleset.assignees,
                ruleset=ruleset,
                dedup_key=dedup_key,
                event_count=1,
                first_event_at=event.received_at,
                last_event_at=event.received_at,
                **notifications.escalation_start(ruleset.team),
            )
    except IntegrityError:
        return attach_to_open(ruleset, dedup_key=dedup_key, event=event), False
    IncidentEvent.objects.create(incident=incident, event=event)
    record(
        incident,
        TimelineKind.CREATED,
        actor=f"ruleset:{ruleset.name}",
        message=f"Opened by ruleset {ruleset.name}",
        data={"event_id": str(event.id), "dedup_key": dedup_key},
    )
    notifications.notify_opened(incident)
    start_actions(
        IncidentAction.objects.bulk_create(
            IncidentAction(incident=incident, type=a.type, settings=a.settings, position=position)
            for position, a in enumerate(ruleset.actions.all())
        )
    )
    return incident, True


def resolve_from_event(ruleset: Ruleset, *, dedup_key: str, event: WebhookEvent) -> Incident | None:
    """Resolve the ruleset's unresolved incident for this dedup key; None when there is none."""
    incident = unresolved_incident(ruleset, dedup_key)
    if incident is None:
        return None
    _attach(incident, event)
    resolve(incident, by=None, actor=f"ruleset:{ruleset.name}")
    return incident
