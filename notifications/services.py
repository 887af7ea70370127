"""Routing incidents to people: assignees resolved through on-call schedules, then channels."""

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import Team, TeamMember, User
from incidents.models import AssigneeType, Incident, IncidentStatus, TimelineEntry, TimelineKind
from incidents.timeline import record
from notifications.delivery import DeliveryError, post_webhook, send_email
from notifications.models import ChannelType, NotificationChannel
from pinghome.jobs import enqueue_on_commit, send_task
from pinghome.memo import ShortLived
from schedules import oncall
from schedules.models import Override, Rotation, RotationVersion, ScheduleEntry

logger = logging.getLogger(__name__)


def escalation_start(team: Team) -> dict[str, Any]:
    """Escalation fields of an incident the team opens: armed if the team asks for it."""
    delay = team.renotify_after_minutes
    if not delay:
        return {}
    return {
        "escalation_token": uuid.uuid4(),
        "next_escalation_at": timezone.now() + timedelta(minutes=delay),
        "escalation_step": 0,
    }


def notify_opened(incidents: list[Incident]) -> None:
    """Notify the assignees of new incidents after commit: one task for all of them."""
    ids = [str(incident.pk) for incident in incidents]
    if ids:
        transaction.on_commit(partial(_enqueue_opened, ids))


def notify_opened_now(incidents: list[Incident]) -> list[TimelineEntry]:
    """Route incidents opened in the current transaction within it, in a savepoint.

    For code already running in a worker (evaluation): this saves a task, a transaction and
    reading the incidents again. Returns the timeline entries routing records, for the caller
    to write with its own. Should routing fail, it leaves nothing behind and the
    ``notify_opened`` task routes the incidents after commit instead.
    """
    if not incidents:
        return []
    try:
        with transaction.atomic():
            return route_opened(incidents)
    except Exception:  # noqa: BLE001 - routing must never cost the incidents themselves
        logger.exception("could not route new incidents in process; handing them to a task")
        notify_opened(incidents)
        return []


def _enqueue_opened(incident_ids: list[str]) -> None:
    from notifications.tasks import notify_opened as notify_opened_task

    send_task(notify_opened_task, incident_ids)


def on_assignees_changed(incident: Incident, added: list[dict[str, str]]) -> None:
    from notifications.tasks import notify_assignees

    if added:
        enqueue_on_commit(notify_assignees, str(incident.pk), added, "assigned")


# Who is on call for a team, a set of members' users, a user's channels: routing a storm of new
# incidents reads each once a second per process, not once per chunk. Being on call is
# therefore decided up to a second early, like the rulesets themselves.
_on_call_now = ShortLived(seconds=1.0)
_users_of = ShortLived(seconds=1.0)
_channels_of = ShortLived(seconds=1.0)
for _model in (
    Team,
    TeamMember,
    User,
    ScheduleEntry,
    Override,
    Rotation,
    RotationVersion,
    NotificationChannel,
):
    for _cache in (_on_call_now, _users_of, _channels_of):
        post_save.connect(_cache.clear, sender=_model, weak=False)
        post_delete.connect(_cache.clear, sender=_model, weak=False)


def _team_on_call(team_id: str) -> tuple[Team | None, frozenset[str]]:
    team = Team.objects.filter(pk=team_id).first()
    return team, frozenset(oncall.on_call(team, timezone.now())) if team else frozenset()


def _users(member_ids: frozenset[str], organization_id: Any) -> list[User]:
    members = TeamMember.objects.filter(
        pk__in=member_ids, team__organization=organization_id
    ).select_related("user")
    return list({m.user_id: m.user for m in members.order_by("pk")}.values())


def _channel_ids(user: User) -> list[str]:
    """The user's enabled channels; none configured means e-mail to their address ("")."""
    enabled = user.notification_channels.filter(enabled=True).values_list("pk", flat=True)
    return [str(pk) for pk in enabled] or [""]


class _Routing:
    """Who to notify for one or many incidents; the "no one on call" timeline entries of every
    incident are collected to be written together."""

    def __init__(self) -> None:
        self.no_one_on_call: list[TimelineEntry] = []

    def recipients(self, incident: Incident, assignees: list[dict[str, str]]) -> list[User]:
        """Named members, and whoever is on call now for each named team of the organization."""
        member_ids: set[str] = set()
        for assignee in assignees:
            if assignee["type"] == AssigneeType.TEAM_MEMBER:
                member_ids.add(assignee["id"])
                continue
            team, on_call = _on_call_now.get(assignee["id"], partial(_team_on_call, assignee["id"]))
            if team is None or team.organization_id != incident.organization_id:
                continue
            if not on_call:
                self.no_one_on_call.append(
                    TimelineEntry(
                        incident_id=incident.pk,  # by id, as evaluation stages its rows
                        kind=TimelineKind.NO_ONE_ON_CALL,
                        actor="system",
                        message=f"No one on call for team {team.name}",
                        data={"team_id": str(team.pk)},
                    )
                )
            member_ids |= on_call
        key = (frozenset(member_ids), incident.organization_id)
        return _users_of.get(key, partial(_users, *key))

    def channel_ids(self, user: User) -> list[str]:
        return _channels_of.get(user.pk, partial(_channel_ids, user))

    def notify(
        self, incident: Incident, assignees: list[dict[str, str]] | None, reason: str
    ) -> int:
        """Enqueue one delivery task per (person, channel); the incident's team if unassigned."""
        from notifications.tasks import deliver

        if assignees is None:
            team = {"type": AssigneeType.TEAM, "id": str(incident.team_id)}
            assignees = incident.assignees or [team]
        count = 0
        for user in self.recipients(incident, assignees):
            for channel_id in self.channel_ids(user):
                enqueue_on_commit(deliver, str(incident.pk), str(user.pk), channel_id, reason)
                count += 1
        return count


def notify_assignees(incident_id: str, assignees: list[dict[str, str]] | None, reason: str) -> int:
    """Notify the people an incident reaches (its team's on-call if unassigned), once each."""
    incident = Incident.objects.filter(pk=incident_id).select_related("team").first()
    if incident is None or incident.is_resolved:
        return 0
    routing = _Routing()
    count = routing.notify(incident, assignees, reason)
    TimelineEntry.objects.bulk_create(routing.no_one_on_call)
    return count


@transaction.atomic
def notify_opened_incidents(incident_ids: list[str]) -> None:
    """``notify_assignees`` for many new incidents at once (those still unresolved)."""
    TimelineEntry.objects.bulk_create(
        route_opened(
            Incident.objects.filter(pk__in=incident_ids)
            .exclude(status=IncidentStatus.RESOLVED)
            .select_related("team")
            .order_by("created_at", "id")
        )
    )


def route_opened(incidents: Iterable[Incident]) -> list[TimelineEntry]:
    """Enqueue the deliveries of new incidents; the timeline entries to write ("no one on
    call"), unsaved."""
    routing = _Routing()
    for incident in incidents:
        routing.notify(incident, None, "opened")
    return routing.no_one_on_call


def message(incident: Incident, reason: str) -> dict[str, Any]:
    return {
        "event": f"incident.{reason}",
        "incident": {
            "id": str(incident.pk),
            "name": incident.name,
            "description": incident.description,
            "urgency": incident.urgency,
            "status": incident.status,
            "team_id": str(incident.team_id),
            "team": incident.team.name,
            "created_at": incident.created_at.isoformat(),
            "url": f"{settings.SITE_URL}/incidents/{incident.pk}",
        },
    }


def deliver(
    incident_id: str, user_id: str, channel_id: str, reason: str, *, final_attempt: bool
) -> None:
    """Send one notification and put the outcome on the timeline (a failure once it is final)."""
    incident = Incident.objects.filter(pk=incident_id).select_related("team").first()
    user = User.objects.filter(pk=user_id).first()
    if incident is None or user is None:
        return
    channel = (
        NotificationChannel.objects.filter(pk=channel_id, user=user).first() if channel_id else None
    )
    kind, target = (channel.type, channel.target) if channel else (ChannelType.EMAIL, user.email)
    payload = message(incident, reason)
    data = {"user_id": str(user.pk), "channel": kind, "target": target, "reason": reason}
    try:
        if kind == ChannelType.EMAIL:
            subject = f"[{incident.urgency}] {incident.name}"
            send_email(target, subject, f"{payload['incident']['url']}\n\n{incident.description}")
        else:
            post_webhook(target, channel.secret, payload)
    except (DeliveryError, OSError) as exc:
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        if final_attempt or permanent:
            record(
                incident,
                TimelineKind.NOTIFICATION_FAILED,
                message=f"Could not notify {user.email} by {kind}: {exc}",
                data={**data, "error": str(exc)[:500]},
            )
            return
        raise
    record(incident, TimelineKind.NOTIFIED, message=f"Notified {user.email} by {kind}", data=data)


def escalate_due(now=None) -> int:
    """Escalate every incident still triggered past its next escalation time."""
    from notifications.tasks import escalate

    now = now or timezone.now()
    due = Incident.objects.filter(
        status=IncidentStatus.TRIGGERED, next_escalation_at__lte=now, escalation_token__isnull=False
    ).values_list("pk", "escalation_token")[:1000]
    for incident_id, token in due:
        escalate.delay(str(incident_id), str(token))
    return len(due)


def escalate(incident_id: str, token: str) -> bool:
    """One escalation step, only if the token still stands (acknowledging clears it)."""
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("team__fallback_team")
            .filter(pk=incident_id, escalation_token=token, status=IncidentStatus.TRIGGERED)
            .first()
        )
        if incident is None:
            return False
        team = incident.team
        incident.escalation_step += 1
        more = (
            team.renotify_after_minutes and incident.escalation_step < settings.ESCALATION_MAX_STEPS
        )
        incident.escalation_token = uuid.uuid4() if more else None
        incident.next_escalation_at = (
            timezone.now() + timedelta(minutes=team.renotify_after_minutes) if more else None
        )
        incident.save(update_fields=["escalation_step", "escalation_token", "next_escalation_at"])
        targets = incident.assignees or [{"type": AssigneeType.TEAM, "id": str(team.pk)}]
        if team.fallback_team_id:
            targets = [*targets, {"type": AssigneeType.TEAM, "id": str(team.fallback_team_id)}]
        fallback = f" and fallback team {team.fallback_team.name}" if team.fallback_team_id else ""
        record(
            incident,
            TimelineKind.ESCALATED,
            message=f"Still triggered: escalation step {incident.escalation_step}, re-notifying "
            f"on-call{fallback}",
            data={"step": incident.escalation_step},
        )
        notify_assignees(str(incident.pk), targets, "escalated")
    return True
