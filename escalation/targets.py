"""Escalation targets: checked on write, turned into people when a step runs, and the warnings
of policies that reach no one."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import Team, TeamMember, User
from escalation.chain import Target
from escalation.models import TargetType
from notifications.models import ChatChannel
from pinghome.api import parse_uuid
from pinghome.memo import ShortLived
from schedules import oncall
from schedules.models import ImportedShift, Override, Rotation, RotationVersion, ScheduleEntry


def check_steps(steps: list[dict[str, Any]], organization_id: Any) -> dict[str, list[str]]:
    """Errors by path (``steps.N.targets.M.id``) for targets that are not of the organization:
    ``oncall`` and ``team`` name its teams, ``user`` its users, ``channel`` its chat channels."""
    wanted: dict[str, set[str]] = {kind: set() for kind in TargetType.values}
    for step in steps:
        for target in step.get("targets", []):
            wanted[target["type"]].add(target["id"])
    teams = wanted[TargetType.ONCALL] | wanted[TargetType.TEAM]
    known = {
        "team": _ids(Team.objects.filter(organization_id=organization_id, pk__in=teams)),
        "user": _ids(
            User.objects.filter(organization_id=organization_id, pk__in=wanted[TargetType.USER])
        ),
        "chat channel": _ids(
            ChatChannel.objects.filter(
                team__organization_id=organization_id, pk__in=wanted[TargetType.CHANNEL]
            )
        ),
    }
    kinds = {TargetType.ONCALL: "team", TargetType.CHANNEL: "chat channel"}
    return {
        f"steps.{n}.targets.{m}.id": [f"no such {kind} in your organization"]
        for n, step in enumerate(steps)
        for m, target in enumerate(step.get("targets", []))
        if target["id"] not in known[kind := kinds.get(target["type"], target["type"])]
    }


def _ids(queryset) -> set[str]:
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


# --- who a step reaches ------------------------------------------------------------------------

# Each team's on-call and members, and users, are read at most once a second per process: a storm
# of new incidents, or a tick over a thousand due ones, reads each team once. Being on call is
# decided up to a second early, as incident routing does.
_on_call_now = ShortLived(seconds=1.0)
_members_of = ShortLived(seconds=1.0)
_user = ShortLived(seconds=1.0)
for _model in (
    Team,
    TeamMember,
    User,
    ScheduleEntry,
    Override,
    Rotation,
    RotationVersion,
    ImportedShift,
):
    for _cache in (_on_call_now, _members_of, _user):
        post_save.connect(_cache.clear, sender=_model, weak=False)
        post_delete.connect(_cache.clear, sender=_model, weak=False)

TeamPeople = tuple[Team | None, tuple[User, ...]]


def _teams(team_ids: list[str]) -> dict[str, Team]:
    valid = [pk for pk in team_ids if parse_uuid(pk)]
    return {str(team.pk): team for team in Team.objects.filter(pk__in=valid)} if valid else {}


def _users_of_members(member_ids: Iterable[str]) -> dict[str, User]:
    members = TeamMember.objects.filter(pk__in=set(member_ids)).select_related("user")
    return {str(member.pk): member.user for member in members.order_by("created_at", "pk")}


def _load_on_call(team_ids: list[str]) -> dict[str, TeamPeople]:
    teams = _teams(team_ids)
    on_call = oncall.on_call_for_teams(list(teams.values()), timezone.now()) if teams else {}
    users = _users_of_members(m for ids in on_call.values() for m in ids)
    return {
        pk: (teams.get(pk), tuple(users[m] for m in on_call.get(pk, []) if m in users))
        for pk in team_ids
    }


def _load_members(team_ids: list[str]) -> dict[str, TeamPeople]:
    teams = _teams(team_ids)
    people: dict[str, list[User]] = {pk: [] for pk in team_ids}
    if teams:
        for member in (
            TeamMember.objects.filter(team_id__in=list(teams))
            .select_related("user")
            .order_by("created_at", "pk")
        ):
            people[str(member.team_id)].append(member.user)
    return {pk: (teams.get(pk), tuple(people[pk])) for pk in team_ids}


def _load_users(user_ids: list[str]) -> dict[str, User | None]:
    valid = [pk for pk in user_ids if parse_uuid(pk)]
    found = {str(user.pk): user for user in User.objects.filter(pk__in=valid)} if valid else {}
    return {pk: found.get(pk) for pk in user_ids}


@dataclass
class Reach:
    """Whom one step of one incident reaches."""

    users: list[User] = field(default_factory=list)
    channel_ids: list[str] = field(default_factory=list)
    no_one_on_call: list[Team] = field(default_factory=list)  # ``oncall`` targets: nobody now


class Resolver:
    """Turns the targets of many steps into people: ``load`` reads every team and user they
    name at once (those not read in the last second), ``reach`` answers from what it read."""

    def __init__(self) -> None:
        self._on_call: dict[Any, TeamPeople] = {}
        self._members: dict[Any, TeamPeople] = {}
        self._users: dict[Any, User | None] = {}

    def load(self, targets: Iterable[Target]) -> None:
        wanted: dict[str, set[str]] = {kind: set() for kind in TargetType.values}
        for kind, target_id in targets:
            wanted.get(kind, set()).add(target_id)
        if wanted[TargetType.ONCALL]:
            self._on_call.update(_on_call_now.get_many(wanted[TargetType.ONCALL], _load_on_call))
        if wanted[TargetType.TEAM]:
            self._members.update(_members_of.get_many(wanted[TargetType.TEAM], _load_members))
        if wanted[TargetType.USER]:
            self._users.update(_user.get_many(wanted[TargetType.USER], _load_users))

    def reach(self, organization_id: Any, targets: Iterable[Target]) -> Reach:
        """People of the organization the targets name (each once, active users only)."""
        reach, users = Reach(), {}
        for kind, target_id in targets:
            if kind == TargetType.CHANNEL:
                reach.channel_ids.append(target_id)
                continue
            if kind == TargetType.USER:
                people: Iterable[User] = filter(None, [self._users.get(target_id)])
            else:
                team, people = (self._on_call if kind == TargetType.ONCALL else self._members).get(
                    target_id, (None, ())
                )
                if team is None or team.organization_id != organization_id:
                    continue
                if kind == TargetType.ONCALL and not people:
                    reach.no_one_on_call.append(team)
            for user in people:
                if user.organization_id == organization_id and user.is_active:
                    users.setdefault(user.pk, user)
        reach.users = list(users.values())
        return reach


# --- warnings ----------------------------------------------------------------------------------

NO_ONE = "No step reaches a person: incidents that follow this policy page no one."


def warnings_of(policies: list[Any]) -> dict[Any, list[str]]:
    """What is wrong with each policy (its ``steps`` prefetched), in six queries for all.

    A policy whose steps reach no person gets ``NO_ONE`` first: no step, no target, only chat
    channels, teams without members, users no longer active, or teams for which no schedule
    entry, rotation or override says anyone is ever on call from now on.
    """
    now = timezone.now()
    team_ids, user_ids = set(), set()
    for policy in policies:
        for step in policy.steps.all():
            for target in step.targets:
                if parse_uuid(target.get("id")) is None:
                    continue
                (user_ids if target.get("type") == TargetType.USER else team_ids).add(target["id"])
    teams = {
        str(team.pk): team
        for team in Team.objects.filter(pk__in=team_ids).annotate(member_count=Count("members"))
    }
    scheduled = (
        {
            str(pk)
            for pk in ScheduleEntry.objects.filter(team_id__in=team_ids)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=now))
            .values_list("team_id", flat=True)
            .distinct()
        }
        | {
            str(pk)
            for pk in Override.objects.filter(team_id__in=team_ids, end__gt=now)
            .values_list("team_id", flat=True)
            .distinct()
        }
        | {
            str(pk)
            for pk in RotationVersion.objects.filter(
                rotation__team_id__in=team_ids, rotation__deleted_at__isnull=True
            )
            .filter(Q(end__isnull=True) | Q(end__gt=now))
            .exclude(participants=[])
            .values_list("rotation__team_id", flat=True)
            .distinct()
        }
        | {
            str(pk)
            for pk in ImportedShift.objects.filter(layer__team_id__in=team_ids, end__gt=now)
            .values_list("layer__team_id", flat=True)
            .distinct()
        }
    )
    users = {str(user.pk): user for user in User.objects.filter(pk__in=user_ids)}
    result = {}
    for policy in policies:
        problems, reaches = [], False
        steps = list(policy.steps.all())
        if not steps:
            problems.append("The policy has no step.")
        for n, step in enumerate(steps, start=1):
            if not step.targets:
                problems.append(f"Step {n} has no target.")
            for target in step.targets:
                problem = _problem(target, policy.organization_id, teams, scheduled, users)
                if problem:
                    problems.append(f"Step {n}: {problem}.")
                elif target.get("type") != TargetType.CHANNEL:
                    reaches = True
        result[policy.pk] = problems if reaches else [NO_ONE, *problems]
    return result


def _problem(target: dict, organization_id: Any, teams, scheduled, users) -> str:
    kind, target_id = target.get("type"), str(target.get("id"))
    if kind == TargetType.CHANNEL:
        return ""
    if kind == TargetType.USER:
        user = users.get(target_id)
        if user is None or user.organization_id != organization_id:
            return "a user no longer in the organization"
        return "" if user.is_active else f"{user.email} is deactivated"
    team = teams.get(target_id)
    if team is None or team.organization_id != organization_id:
        return "a team that no longer exists"
    if team.member_count == 0:
        return f"team {team.name} has no members"
    if kind == TargetType.ONCALL and target_id not in scheduled:
        return f"no one is ever on call for team {team.name} (no current schedule or rotation)"
    return ""
