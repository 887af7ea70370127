"""Incident use cases: what the API, the pages, the admin and the tasks all call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import QueryDict
from django.utils import timezone

from accounts.models import Team, User
from audit import services as audit
from audit.models import AuditAction
from escalation import services as escalation
from incidents.actions import ActionFailed, action_type
from incidents.models import (
    NOT_RESOLVED,
    SNOOZE_MAX_MINUTES,
    SNOOZE_MIN_MINUTES,
    ActionState,
    Incident,
    IncidentAction,
    IncidentEvent,
    IncidentStatus,
    SavedFilter,
    TimelineEntry,
    TimelineKind,
)
from incidents.timeline import record
from notifications import services as notifications
from pinghome import metrics
from pinghome.jobs import enqueue_on_commit
from pinghome.rows import insert_each
from webhooks.models import WebhookEvent

if TYPE_CHECKING:
    from escalation.models import EscalationPolicy
    from rulesets.models import Ruleset


def open_incidents_of(team: Team) -> tuple[str, list[str]]:
    """What keeps the team from being deleted (``accounts.services.delete_team``): its
    unresolved incidents."""
    from accounts.services import named

    incidents = (
        Incident.objects.filter(team=team)
        .exclude(status=IncidentStatus.RESOLVED)
        .order_by("-created_at")
    )
    return "incidents", named(incidents, lambda incident: f"{incident.name} ({incident.pk})")


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
    escalation_policy: EscalationPolicy | None = None,
) -> Incident:
    """A person opens an incident by hand; it follows ``escalation_policy``, else the team's
    default."""
    incident = Incident.objects.create(
        organization_id=team.organization_id,
        team=team,
        name=name,
        description=description,
        urgency=urgency,
        assignees=assignees or [],
        created_by=by,
        **escalation.opening_state(
            team.pk, policy_id=escalation_policy.pk if escalation_policy else None
        ),
    )
    start_actions(save_actions(incident.actions, actions or [], delete_missing=False))
    record(incident, TimelineKind.CREATED, by=by, message=f"Opened by {by.email}")
    TimelineEntry.objects.bulk_create(escalation.opened_now([incident]))
    metrics.incidents_opened([incident])
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
    """Edit fields, upsert actions, change the escalation policy (``changes["escalation_policy"]``)
    and optionally move the status, each change on the timeline."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if status and incident.is_resolved and status != IncidentStatus.RESOLVED:
        raise TransitionError("a resolved incident stays resolved")
    policy = changes.get("escalation_policy")
    if policy is not None and policy.pk != incident.escalation_policy_id:
        if incident.is_resolved:
            raise TransitionError("a resolved incident follows no escalation policy any more")
        escalation.follow_policy(incident, policy, by=by)
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
            next_escalation_at=None,  # acknowledging pauses escalation, resolving stops it
            snoozed_until=None,  # resolving ends a snooze
            **{stamp: now},
        )
        if moved:
            record(incident, kind, by=by, actor=actor, message=message)
            notifications.on_status_changed(incident, to, message)
            metrics.incident_moved(incident, to)
    if moved:
        incident.status, incident.updated_at, incident.snoozed_until = to, now, None
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


def resolve(
    incident: Incident, *, by: User | None, actor: str = "system", message: str = ""
) -> bool:
    """Resolve an unresolved incident, then undo its actions; False when already resolved.

    ``message`` (default "Resolved by ...") is the timeline entry's.
    """
    from incidents.tasks import undo_actions as undo_actions_task

    moved = _transition(
        incident,
        to=IncidentStatus.RESOLVED,
        allowed_from=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
        stamp="resolved_at",
        kind=TimelineKind.RESOLVED,
        by=by,
        actor=actor,
        message=message or f"Resolved by {by.email if by else actor}",
    )
    if moved:
        enqueue_on_commit(undo_actions_task, str(incident.pk))
    return moved


@transaction.atomic
def add_note(incident: Incident, *, by: User, text: str) -> TimelineEntry:
    """A responder's note on the incident's timeline (audited)."""
    entry = record(incident, TimelineKind.NOTE, by=by, message=text)
    audit.record(
        by,
        AuditAction.CREATED,
        entry,
        after={"incident_id": incident.pk, "text": text},
        organization_id=incident.organization_id,
        object_type="incident-note",
    )
    return entry


class MergeError(Exception):
    """The incidents cannot be merged as they are now (one was resolved meanwhile)."""


MERGE_MAX = 50


@transaction.atomic
def merge_incidents(target: Incident, duplicates: list[Incident], *, by: User) -> Incident:
    """Merge duplicates into ``target``: their events and timeline entries move to it, each is
    resolved pointing at it (``merged_into``), and both timelines say so.

    Every incident involved is locked in the order of its id, so merges (and transitions) that
    touch the same incidents at once wait for each other instead of deadlocking.
    """
    ids = sorted({target.pk, *(incident.pk for incident in duplicates)})
    locked = {
        i.pk: i for i in Incident.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    target = locked[target.pk]
    duplicates = [locked[pk] for pk in ids if pk != target.pk]
    if target.is_resolved:
        raise MergeError("a resolved incident cannot take others in")
    resolved = [incident.name for incident in duplicates if incident.is_resolved]
    if resolved:
        raise MergeError("resolved already: " + ", ".join(resolved))
    links = IncidentEvent.objects.filter(incident__in=duplicates)
    # An event linked to two of them (two rulesets matched it) keeps one link, and counts once.
    removed, _ = links.filter(
        event_id__in=IncidentEvent.objects.filter(incident=target).values("event_id")
    ).delete()
    repeated = (
        links.values("event_id")
        .annotate(n=models.Count("id"), first=models.Min("id"))
        .filter(n__gt=1)
    )
    for row in repeated:
        removed += links.filter(event_id=row["event_id"]).exclude(pk=row["first"]).delete()[0]
    links.update(incident=target)
    TimelineEntry.objects.filter(incident__in=duplicates).update(incident=target)
    every = [target, *duplicates]
    firsts = [i.first_event_at for i in every if i.first_event_at]
    lasts = [i.last_event_at for i in every if i.last_event_at]
    Incident.objects.filter(pk=target.pk).update(
        event_count=sum(i.event_count for i in every) - removed,
        first_event_at=min(firsts, default=None),
        last_event_at=max(lasts, default=None),
        updated_at=timezone.now(),
    )
    names = ", ".join(f"{incident.name} ({incident.pk})" for incident in duplicates)
    record(
        target,
        TimelineKind.MERGED,
        by=by,
        message=f"Merged into this incident: {names}",
        data={"incident_ids": [str(incident.pk) for incident in duplicates]},
    )
    Incident.objects.filter(pk__in=[incident.pk for incident in duplicates]).update(
        merged_into=target
    )
    for incident in duplicates:
        resolve(incident, by=by, message=f"Merged into {target.name} ({target.pk})")
    audit.record(
        by,
        AuditAction.UPDATED,
        target,
        before={"merged": []},
        after={"merged": [str(incident.pk) for incident in duplicates]},
        object_type="incident",
    )
    target.refresh_from_db()
    return target


SAVED_FILTERS_MAX = 20
# What a saved filter keeps of the list's query string: its filters and sort, not its page.
SAVED_FILTER_PARAMETERS = ("q", "team", "status", "urgency", "sort", "mine")


def save_filter(user: User, *, name: str, query: QueryDict) -> SavedFilter:
    """Save (or replace, by name) the user's view of the incident list; at most
    SAVED_FILTERS_MAX of them (a ValidationError naming ``name`` beyond)."""
    kept = QueryDict(mutable=True)
    for key, values in query.lists():
        if key in SAVED_FILTER_PARAMETERS and any(values):
            kept.setlist(key, [value for value in values if value])
    with transaction.atomic():
        # The user's row locked: two saves at once count each other.
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = user.saved_filters.filter(name=name).first()
        if existing is None and user.saved_filters.count() >= SAVED_FILTERS_MAX:
            raise ValidationError({"name": [f"at most {SAVED_FILTERS_MAX} saved filters"]})
        saved, _ = SavedFilter.objects.update_or_create(
            user=user, name=name, defaults={"query": kept.urlencode()[:2000]}
        )
    return saved


BULK_SNOOZE_MINUTES = 60


def _snooze_for_an_hour(incident: Incident, *, by: User) -> bool:
    snooze_incident(incident, by=by, minutes=BULK_SNOOZE_MINUTES)
    return True


BULK_TRANSITIONS = {
    "acknowledge": acknowledge,
    "resolve": resolve,
    "snooze": _snooze_for_an_hour,
}
BULK_MAX = 100


def transition_many(incidents: Iterable[Incident], transition: str, *, by: User) -> int:
    """Acknowledge, resolve or snooze (for an hour) each incident (a selection on the list
    page), each on its own; how many moved. Those already there, or resolved, are left as they
    are."""
    move = BULK_TRANSITIONS[transition]
    moved = 0
    for incident in incidents:
        try:
            moved += move(incident, by=by)
        except TransitionError:
            continue
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

RuleKey = tuple[Any, str]  # (ruleset id, dedup key)


def rule_keys_filter(keys: Iterable[RuleKey]) -> models.Q:
    """Rows of exactly these (ruleset, dedup key) pairs: one term per ruleset, not per pair."""
    by_ruleset: dict[Any, list[str]] = {}
    for ruleset_id, dedup_key in keys:
        by_ruleset.setdefault(ruleset_id, []).append(dedup_key)
    which = models.Q(pk__in=[])
    for ruleset_id, dedup_keys in by_ruleset.items():
        which |= models.Q(ruleset_id=ruleset_id, dedup_key__in=dedup_keys)
    return which


@dataclass
class _Changes:
    """What applying events writes, collected to be written in bulk."""

    incidents: list[Incident] = field(default_factory=list)
    actions: list[IncidentAction] = field(default_factory=list)
    links: list[IncidentEvent] = field(default_factory=list)
    entries: list[TimelineEntry] = field(default_factory=list)
    counted: list[tuple[Incident, datetime]] = field(default_factory=list)  # attached later
    opened: dict[RuleKey, Incident] = field(default_factory=dict)
    closed: list[RuleKey] = field(default_factory=list)

    def add(self, other: _Changes) -> None:
        self.incidents += other.incidents
        self.actions += other.actions
        self.links += other.links
        self.entries += other.entries
        self.counted += other.counted


class RuleIncidents:
    """The unresolved incidents of the (ruleset, dedup key) pairs a chunk of events touches.

    For ``rulesets.evaluation``, which holds the lock of every pair for the whole transaction.
    The incidents are read in one query. What opening an incident or attaching an event writes
    (incident, actions, link, event count and times, timeline entry) is staged and written in
    bulk by ``flush``: a storm of events costs a few statements per chunk, not several per
    event. The lock of every pair keeps one unresolved incident per pair; the partial unique
    constraint stays the guard.

    Each application (one event, one ruleset) either keeps what it staged (``keep``) or drops
    it (``discard``) when it failed. Only resolving writes at once, in a savepoint of its own.
    """

    def __init__(self, keys: Iterable[RuleKey]):
        keys = list(keys)
        self._open: dict[RuleKey, Incident] = (
            {
                (incident.ruleset_id, incident.dedup_key): incident
                for incident in Incident.objects.select_for_update().filter(
                    rule_keys_filter(keys), NOT_RESOLVED
                )
            }
            if keys
            else {}
        )
        self._kept, self._staged = _Changes(), _Changes()
        self._opened: list[Incident] = []
        # The escalation fields of the incidents each ruleset opens: the same within a chunk.
        self._escalation: dict[Any, dict[str, Any]] = {}

    def attach(self, ruleset: Ruleset, *, dedup_key: str, event: WebhookEvent) -> Incident | None:
        """Attach the event to the ruleset's unresolved incident for this key, if there is one."""
        incident = self._open.get((ruleset.pk, dedup_key))
        if incident is not None:
            self._staged.links.append(IncidentEvent(incident_id=incident.pk, event_id=event.pk))
            self._staged.counted.append((incident, event.received_at))
            self._staged.entries.append(_entry(incident, ruleset, "Event attached", event))
        return incident

    def open_or_attach(
        self,
        ruleset: Ruleset,
        *,
        dedup_key: str,
        event: WebhookEvent | None,
        name: str,
        description: str = "",
        message: str = "",
        data: dict[str, str] | None = None,
    ) -> tuple[Incident, bool]:
        """Open the ruleset's incident for this dedup key, or attach the event to the open one.

        Without an event (a heartbeat missed) the incident opens with none, and an open one is
        left as it is. ``message`` and ``data`` go on the timeline entry of the opening.
        """
        incident = self._open.get((ruleset.pk, dedup_key))
        if incident is not None:
            if event is not None:
                self.attach(ruleset, dedup_key=dedup_key, event=event)
            return incident, False
        received_at = event.received_at if event is not None else None
        incident = Incident(
            organization_id=ruleset.organization_id,
            team=ruleset.team,
            name=name[:500],
            description=description,
            urgency=ruleset.urgency,
            assignees=ruleset.assignees,
            ruleset=ruleset,
            dedup_key=dedup_key,
            event_count=1 if event is not None else 0,
            first_event_at=received_at,
            last_event_at=received_at,
            **self._opening_escalation(ruleset),
        )
        staged = self._staged
        staged.incidents.append(incident)
        staged.actions += [
            IncidentAction(incident=incident, type=a.type, settings=a.settings, position=n)
            for n, a in enumerate(ruleset.actions.all())
        ]
        if event is not None:
            staged.links.append(IncidentEvent(incident_id=incident.pk, event_id=event.pk))
        staged.entries.append(
            _entry(
                incident,
                ruleset,
                message or f"Opened by ruleset {ruleset.name}",
                event,
                kind=TimelineKind.CREATED,
                dedup_key=dedup_key,
                **(data or {}),
            )
        )
        staged.opened[(ruleset.pk, dedup_key)] = incident
        return incident, True

    def _opening_escalation(self, ruleset: Ruleset) -> dict[str, Any]:
        fields = self._escalation.get(ruleset.pk)
        if fields is None:
            fields = self._escalation[ruleset.pk] = escalation.opening_state(
                ruleset.team_id, policy_id=ruleset.escalation_policy_id
            )
        return fields

    def resolve(self, ruleset: Ruleset, *, dedup_key: str, event: WebhookEvent) -> Incident | None:
        """Resolve the ruleset's unresolved incident for this key; None when there is none."""
        incident = self._open.get((ruleset.pk, dedup_key))
        if incident is None:
            return None
        # What earlier applications staged goes first (the incident itself, maybe): the
        # timeline stays in the order of events.
        self._write()
        resolve(incident, by=None, actor=f"ruleset:{ruleset.name}")
        self._staged.links.append(IncidentEvent(incident_id=incident.pk, event_id=event.pk))
        self._staged.counted.append((incident, event.received_at))
        self._staged.closed.append((ruleset.pk, dedup_key))
        return incident

    def keep(self) -> None:
        staged = self._staged
        self._kept.add(staged)
        self._open.update(staged.opened)
        for key in staged.closed:
            self._open.pop(key, None)
        self._staged = _Changes()

    def discard(self) -> None:
        self._staged = _Changes()

    def flush(self) -> None:
        """Page for the new incidents, then write what the kept applications staged.

        Last in the chunk's transaction: what is stamped at writing commits right after.
        """
        opened = [i for i in (*self._opened, *self._kept.incidents) if not i.is_resolved]
        self._kept.entries += escalation.opened_now(opened)
        self._write()

    def _write(self) -> None:
        """Write what is kept, stamped with the time of writing rather than of staging.

        Incidents then commit in about the order of their ``created_at``, even across workers:
        a client polling with ``created_after`` does not miss one committed late. They are
        stamped and inserted last (foreign keys are checked at commit), right before the
        caller commits.
        """
        kept, self._kept = self._kept, _Changes()
        insert_each(kept.actions)
        start_actions(kept.actions)
        insert_each(kept.links)
        now = timezone.now()
        for entry in kept.entries:
            entry.created_at = now
        insert_each(kept.entries)
        for incident in kept.incidents:
            incident.created_at = incident.updated_at = now
        insert_each(kept.incidents)
        metrics.incidents_opened(kept.incidents)
        self._opened += kept.incidents
        times: dict[Incident, list[datetime]] = {}
        for incident, received_at in kept.counted:
            times.setdefault(incident, []).append(received_at)
        for incident, received in times.items():
            first, last = Value(min(received)), Value(max(received))
            Incident.objects.filter(pk=incident.pk).update(
                event_count=F("event_count") + len(received),
                first_event_at=Coalesce("first_event_at", first),
                last_event_at=Greatest(Coalesce("last_event_at", last), last),
                updated_at=now,
            )


def _entry(
    incident: Incident,
    ruleset: Ruleset,
    message: str,
    event: WebhookEvent | None,
    *,
    kind: str = TimelineKind.EVENT_ATTACHED,
    **data: str,
) -> TimelineEntry:
    """A timeline entry by the ruleset, timed now (it is written later, with its chunk).

    Rows a chunk stages refer to their incident by id: assigning the object costs Django's
    related-object bookkeeping, twice (at assignment and before writing), for nothing: an
    incident has its id from the start.
    """
    return TimelineEntry.staged(
        incident.pk,
        kind,
        f"ruleset:{ruleset.name}",
        message,
        {"event_id": str(event.id), **data} if event is not None else data,
    )


# --- snoozing and silence: what the periodic checks move -------------------------------------

# The periodic checks claim this many incidents per transaction, and run at most this many
# batches each time.
CHECK_BATCH_SIZE = 500
CHECK_MAX_BATCHES = 20
SNOOZE_AUDITED = ["status", "snoozed_until"]


def snooze_incident(incident: Incident, *, by: User, minutes: int) -> Incident:
    """Snooze the incident for ``minutes``: it is acknowledged until then (a triggered one is
    acknowledged now), then triggered again with its escalation from step 1 (``wake_snoozed``).
    Snoozing a snoozed incident sets its new wake-up time; resolving it ends the snooze. What
    the API, the page and bulk actions call; on the timeline and audited.

    ``minutes`` out of bounds is a ``ValidationError`` naming it; a resolved incident is a
    ``TransitionError``.
    """
    if not SNOOZE_MIN_MINUTES <= minutes <= SNOOZE_MAX_MINUTES:
        raise ValidationError(
            {"minutes": [f"expected {SNOOZE_MIN_MINUTES} to {SNOOZE_MAX_MINUTES} minutes"]}
        )
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.is_resolved:
            raise TransitionError("a resolved incident cannot be snoozed")
        before = audit.snapshot(incident, SNOOZE_AUDITED)
        if incident.status == IncidentStatus.TRIGGERED:
            acknowledge(incident, by=by)
        now = timezone.now()
        incident.snoozed_until, incident.updated_at = now + timedelta(minutes=minutes), now
        incident.save(update_fields=["snoozed_until", "updated_at"])
        record(
            incident,
            TimelineKind.SNOOZED,
            by=by,
            message=f"Snoozed by {by.email} for {minutes} min, until "
            f"{incident.snoozed_until:%Y-%m-%d %H:%M:%S} UTC",
            data={"minutes": minutes, "snoozed_until": incident.snoozed_until.isoformat()},
        )
        audit.record_update(by, incident, before, audit.snapshot(incident, SNOOZE_AUDITED))
    return incident


def _claim_in_batches(due: models.QuerySet, move: Callable[[Incident], bool]) -> int:
    """Run ``move`` on each incident of ``due``, a batch at a time, each batch locked in its
    transaction with SKIP LOCKED (another periodic process takes the next rows, and the
    condition of ``due`` is checked again on the newest version of each row). How many
    ``move`` said it moved."""
    moved = 0
    for _ in range(CHECK_MAX_BATCHES):
        with transaction.atomic():
            batch = list(due.select_for_update(skip_locked=True, of=("self",))[:CHECK_BATCH_SIZE])
            moved += sum(bool(move(incident)) for incident in batch)
        if len(batch) < CHECK_BATCH_SIZE:
            return moved
    return moved


def wake_snoozed(now: datetime | None = None) -> int:
    """The periodic check: each snoozed incident whose time came is triggered again and its
    escalation starts from step 1. How many woke; of concurrent checks one wakes each."""
    due = Incident.objects.filter(
        snoozed_until__lte=now or timezone.now(), status=IncidentStatus.ACKNOWLEDGED
    ).order_by("snoozed_until")
    return _claim_in_batches(due, _wake)


def _wake(incident: Incident) -> bool:
    now = timezone.now()
    moved = Incident.objects.filter(
        pk=incident.pk, status=IncidentStatus.ACKNOWLEDGED, snoozed_until=incident.snoozed_until
    ).update(
        status=IncidentStatus.TRIGGERED, snoozed_until=None, acknowledged_at=None, updated_at=now
    )
    if not moved:
        return False
    incident.status, incident.snoozed_until, incident.acknowledged_at = (
        IncidentStatus.TRIGGERED,
        None,
        None,
    )
    message = "Snooze ended: triggered again, escalation starts again from step 1"
    record(incident, TimelineKind.SNOOZE_ENDED, actor="snooze", message=message)
    notifications.announce(incident, IncidentStatus.TRIGGERED, message)
    escalation.restart_escalation(incident)
    return True


def resolve_silent(now: datetime | None = None) -> int:
    """The periodic check: each unresolved incident of a ruleset with
    ``auto_resolve_after_seconds`` that no event joined for that long (since its last event,
    else since it opened) resolves itself. How many; of concurrent checks one resolves each."""
    silent_since = Coalesce("last_event_at", "created_at")
    deadline = ExpressionWrapper(
        silent_since + F("ruleset__auto_resolve_after_seconds") * Value(timedelta(seconds=1)),
        output_field=models.DateTimeField(),
    )
    due = (
        Incident.objects.filter(NOT_RESOLVED, ruleset__auto_resolve_after_seconds__isnull=False)
        .alias(deadline=deadline)
        .filter(deadline__lte=now or timezone.now())
        .select_related("ruleset")
        .order_by("deadline")
    )
    return _claim_in_batches(due, _resolve_silent)


def _resolve_silent(incident: Incident) -> bool:
    ruleset, since = incident.ruleset, incident.last_event_at or incident.created_at
    return resolve(
        incident,
        by=None,
        actor="auto-resolve",
        message=f"Resolved automatically: no event since {since:%Y-%m-%d %H:%M:%S} UTC "
        f"(ruleset {ruleset.name} resolves its incidents after "
        f"{ruleset.auto_resolve_after_seconds} s without one)",
    )
