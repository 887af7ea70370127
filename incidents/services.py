"""Incident use cases: what the API, the pages, the admin and the tasks all call."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Team, User
from incidents.models import (
    Incident,
    IncidentAction,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)


class TransitionError(Exception):
    """The incident cannot move to that status (e.g. it is already resolved)."""


def record(
    incident: Incident,
    kind: str,
    *,
    by: User | None = None,
    actor: str = "system",
    message: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Append a timeline entry; ``by`` (a user) wins over the ``actor`` label."""
    return TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        actor_user=by,
        actor=by.email if by else actor,
        message=message,
        data=data or {},
    )


def save_actions(
    actions: models.Manager, items: Iterable[dict[str, Any]], *, delete_missing: bool
) -> list[Any]:
    """Upsert action rows of one parent by ``id``: an empty or absent id creates one.

    With ``delete_missing`` the given list replaces the parent's actions. Returns the rows created.
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
    created, kept = [], set()
    for position, item in enumerate(items):
        action = existing.get(item.get("id") or "")
        if action is None:
            created.append(
                actions.create(type=item["type"], settings=item["settings"], position=position)
            )
            continue
        action.type, action.settings, action.position = item["type"], item["settings"], position
        action.save(update_fields=["type", "settings", "position"])
        kept.add(str(action.pk))
    if delete_missing:
        actions.exclude(pk__in=[*kept, *(a.pk for a in created)]).delete()
    return created


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
    )
    save_actions(incident.actions, actions or [], delete_missing=False)
    record(incident, TimelineKind.CREATED, by=by, message=f"Opened by {by.email}")
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
    if actions is not None:
        save_actions(incident.actions, actions, delete_missing=False)
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
            status=to, updated_at=now, **{stamp: now}
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
    """Resolve an unresolved incident; False when it was already resolved."""
    return _transition(
        incident,
        to=IncidentStatus.RESOLVED,
        allowed_from=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
        stamp="resolved_at",
        kind=TimelineKind.RESOLVED,
        by=by,
        actor=actor,
        message=f"Resolved by {by.email if by else actor}",
    )


def incident_actions(incident: Incident) -> list[IncidentAction]:
    return list(incident.actions.all())
