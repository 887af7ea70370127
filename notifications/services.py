"""Routing incidents to people: assignees resolved through on-call schedules, each person paged
through their contact methods and notification rules (``page_users``); team chat channels told of
changes (``post_to_chat_channel``); personal messages (``notify_user``)."""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import Team, TeamMember, User
from incidents.models import AssigneeType, Incident, IncidentStatus, TimelineEntry, TimelineKind
from notifications import deliveries
from notifications.models import (
    ChatChannel,
    ContactMethod,
    ContactMethodType,
    Delivery,
    DeliveryState,
    NotificationRule,
)
from pinghome.jobs import send_task
from pinghome.memo import ShortLived
from schedules import oncall
from schedules.models import ImportedShift, Override, Rotation, RotationVersion, ScheduleEntry

logger = logging.getLogger(__name__)


def notify_opened(incidents: list[Incident]) -> None:
    """Notify the assignees of new incidents after commit: one task for all of them."""
    ids = [str(incident.pk) for incident in incidents]
    if ids:
        transaction.on_commit(partial(_enqueue_opened, ids))


def _enqueue_opened(incident_ids: list[str]) -> None:
    from notifications.tasks import notify_opened as notify_opened_task

    send_task(notify_opened_task, incident_ids)


def on_assignees_changed(incident: Incident, added: list[dict[str, str]]) -> None:
    """Page the people the added assignees of an incident reach, once each, in the caller's
    transaction (``page_users``)."""
    if added and not incident.is_resolved:
        # Each change is a step of its own: someone assigned again is paged again.
        step = f"assigned at {timezone.now():%Y-%m-%d %H:%M:%S.%f}"
        routing = Routing()
        routing.notify(incident, added, "assigned", step)
        TimelineEntry.objects.bulk_create(routing.no_one_on_call)


# Who is on call for a team, a set of members' users, a team's chat channels: routing a storm of
# new incidents reads each once a second per process, not once per chunk. Being on call is
# therefore decided up to a second early, like the rulesets themselves.
_on_call_now = ShortLived(seconds=1.0)
_users_of = ShortLived(seconds=1.0)
_chat_channels_of = ShortLived(seconds=1.0)
for _model in (
    Team,
    TeamMember,
    User,
    ScheduleEntry,
    Override,
    Rotation,
    RotationVersion,
    ImportedShift,
    ChatChannel,
):
    for _cache in (_on_call_now, _users_of, _chat_channels_of):
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


def _chat_channel_ids(team_id: Any) -> list[str]:
    return [
        str(pk) for pk in ChatChannel.objects.filter(team_id=team_id).values_list("pk", flat=True)
    ]


class Routing:
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

    def notify(
        self, incident: Incident, assignees: list[dict[str, str]], reason: str, step: str
    ) -> int:
        """Page each person the assignees reach (whom escalation policies page is the
        ``escalation`` app's)."""
        users = self.recipients(incident, assignees)
        page_users(Page(incident, user, reason, step) for user in users)
        return len(users)


@transaction.atomic
def notify_opened_incidents(incident_ids: list[str]) -> None:
    """Page the assignees of many new incidents at once (those still
    unresolved): when paging in process (``escalation.services.opened_now``) failed."""
    TimelineEntry.objects.bulk_create(
        route_opened(
            Incident.objects.filter(pk__in=incident_ids)
            .exclude(status=IncidentStatus.RESOLVED)
            .select_related("team")
            .order_by("created_at", "id")
        )
    )


def route_opened(incidents: Iterable[Incident]) -> list[TimelineEntry]:
    """Page the assignees of new incidents and tell their teams' chat channels; the timeline
    entries to write ("no one on call"), unsaved."""
    routing = Routing()
    for incident in incidents:
        routing.notify(incident, incident.assignees, "opened", "opened")
        announce(incident, "opened")
    return routing.no_one_on_call


# --- paging one person ------------------------------------------------------------------------


# What paging reads of an incident (a caller loading incidents with ``only()`` loads these).
PAGE_FIELDS = ("organization_id", "team_id", "urgency", "status")


class Page(NamedTuple):
    """One person to page about an incident; ``step_label`` says why, and pages it once."""

    incident: Incident
    user: User
    reason: str
    step_label: str


def page_user(incident: Incident, user: User, *, reason: str, step_label: str) -> int:
    """Page one user about an incident (``page_users``); how many deliveries it asked for."""
    return page_users([Page(incident, user, reason, step_label)])


def page_users(pages: Iterable[Page]) -> int:
    """Page people about incidents through their rules for each incident's urgency; how many
    deliveries were asked for.

    The delivery rows are written in the caller's transaction and those due now handed to a
    task after commit: should the broker be down then, the periodic sweep sends them
    (``deliveries.send_due``), and a rollback pages no one. Each rule (a verified contact
    method and a delay) is one delivery; a user without a usable rule for that urgency gets
    e-mail at once. Deliveries are unique per (incident, user, ``step_label``, contact method,
    delay): asking twice for the same step pages once. Those with a delay are dropped if the
    incident is acknowledged or resolved before they are due. A resolved incident, or a user
    inactive or of another organization, pages no one.
    """
    pages = [
        page
        for page in pages
        if page.user.is_active
        and not page.incident.is_resolved
        and page.user.organization_id == page.incident.organization_id
    ]
    if not pages:
        return 0
    rules: dict[tuple[Any, str], list[NotificationRule]] = defaultdict(list)
    for rule in (
        NotificationRule.objects.filter(
            user__in={page.user.pk for page in pages},
            urgency__in={page.incident.urgency for page in pages},
            contact_method__verified_at__isnull=False,
            contact_method__enabled=True,
        )
        .select_related("contact_method")
        .order_by("delay_minutes", "pk")
    ):
        rules[rule.user_id, rule.urgency].append(rule)
    now = timezone.now()
    rows = []
    for incident, user, reason, step_label in pages:
        key = f"page:{incident.pk}:{user.pk}"
        common = {
            "organization_id": incident.organization_id,
            "team_id": incident.team_id,
            "incident_id": incident.pk,  # by id: evaluation may insert the incident after this
            "user": user,
            "reason": reason,
            "step_label": step_label[:200],
        }
        rows += [
            Delivery(
                key=f"{key}:{rule.contact_method_id}:{rule.delay_minutes}:{step_label}"[:300],
                contact_method=rule.contact_method,
                method=rule.contact_method.type,
                target=rule.contact_method.shown_target,
                delay_minutes=rule.delay_minutes,
                due_at=now + timedelta(minutes=rule.delay_minutes),
                **common,
            )
            for rule in rules[user.pk, incident.urgency]
        ] or [
            Delivery(
                key=f"{key}:email:0:{step_label}"[:300],
                method=ContactMethodType.EMAIL,
                target=user.email,
                **common,
            )
        ]
    deliveries.create(rows)
    return len(rows)


def notify_user(user: User, *, subject: str, text: str, url: str, reason: str = "message") -> None:
    """A personal message, not about an incident (shift reminders, cover requests, a test page):
    to each of the user's verified contact methods, else by e-mail. Sent after commit."""
    methods = list(ContactMethod.objects.filter(user=user, verified_at__isnull=False, enabled=True))
    key = f"{reason}:{uuid.uuid4()}"
    common = {
        "organization_id": user.organization_id,
        "user": user,
        "reason": reason,
        "subject": subject[:300],
        "text": text,
        "url": url,
    }
    deliveries.create(
        [
            Delivery(
                key=f"{key}:{method.pk}",
                contact_method=method,
                method=method.type,
                target=method.shown_target,
                **common,
            )
            for method in methods
        ]
        or [
            Delivery(
                key=f"{key}:email", method=ContactMethodType.EMAIL, target=user.email, **common
            )
        ]
    )


def send_test_page(user: User) -> None:
    notify_user(
        user,
        subject="pinghome test page",
        text="This is a test page. Pages about incidents come here the same way, with links "
        "to acknowledge and resolve them.",
        url=f"{settings.SITE_URL}/profile",
        reason="test",
    )


# --- team chat channels ----------------------------------------------------------------------


def post_to_chat_channel(
    incident: Incident, channel_id, *, reason: str, step_label: str = "", note: str = ""
) -> None:
    """Post an incident change to a team chat channel: its delivery row written in the
    caller's transaction, sent after commit (or by the periodic sweep). With ``step_label`` (an
    escalation step), asking twice for the same step posts once."""
    channel = ChatChannel.objects.filter(
        pk=channel_id, team__organization=incident.organization_id
    ).first()
    if channel is None:
        return
    once = step_label or str(uuid.uuid4())
    deliveries.create(
        [
            Delivery(
                key=f"chat:{channel.pk}:{incident.pk}:{reason}:{once}"[:300],
                organization_id=incident.organization_id,
                team_id=channel.team_id,
                incident_id=incident.pk,
                chat_channel=channel,
                method=ContactMethodType.APPRISE,
                target=channel.shown_target,
                reason=reason,
                step_label=step_label[:200],
                text=note or reason.capitalize(),
            )
        ]
    )


def on_status_changed(incident: Incident, status: str, note: str) -> None:
    """An incident was acknowledged or resolved: pages still to come that it makes moot are
    cancelled now (visible as such), and the team's chat channels are told."""
    moot = Delivery.objects.filter(
        incident=incident, state=DeliveryState.PENDING, user__isnull=False
    )
    if status != IncidentStatus.RESOLVED:
        moot = moot.filter(delay_minutes__gt=0)
    moot.update(
        state=DeliveryState.CANCELLED, error=f"the incident was {status}", updated_at=timezone.now()
    )
    announce(incident, status, note)


def announce(incident: Incident, reason: str, note: str = "", *, step_label: str = "") -> None:
    """Tell every chat channel of the incident's team (opened, acknowledged, escalated,
    resolved); with ``step_label`` (what an escalation step ran), once per channel and step."""
    team_id = incident.team_id
    for channel_id in _chat_channels_of.get(team_id, partial(_chat_channel_ids, team_id)):
        post_to_chat_channel(
            incident, channel_id, reason=reason, step_label=step_label, note=note
        )
