"""Schedule entry use cases (the documented routes identify an entry by member + created_at)."""

from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, TeamMember, User
from accounts.permissions import ensure_team_manager
from audit import services as audit
from audit.models import AuditAction
from schedules import oncall, rotations
from schedules.models import CalendarFeed, Override, Rotation, RotationVersion, ScheduleEntry
from schedules.recurrence import parse_time_of_day, parse_time_zone

RULE_FIELDS = (
    "start_date",
    "end_date",
    "months_of_year",
    "weeks_of_month",
    "week_days",
    "start_time",
    "end_time",
    "time_zone",
)


class DuplicateEntry(Exception):
    """The member already has an entry with exactly these rule fields."""


def _time(value: str) -> time:
    seconds = parse_time_of_day(value)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _normalized(rule: dict[str, Any]) -> dict[str, Any]:
    """Rule fields as stored: sorted lists, times as ``time``, blank zone for the team's."""
    return {
        "start_date": rule.get("start_date"),
        "end_date": rule.get("end_date"),
        "months_of_year": sorted(set(rule.get("months_of_year") or [])),
        "weeks_of_month": sorted(set(rule.get("weeks_of_month") or [])),
        "week_days": sorted(set(rule["week_days"])),
        "start_time": _time(rule["start_time"]),
        "end_time": _time(rule["end_time"]),
        "time_zone": rule.get("time_zone") or "",
    }


@transaction.atomic
def _ensure_unique(member_id, fields: dict[str, Any], *, other_than=None) -> None:
    duplicates = ScheduleEntry.objects.filter(team_member_id=member_id, **fields)
    if other_than is not None:
        duplicates = duplicates.exclude(pk=other_than.pk)
    if duplicates.exists():
        raise DuplicateEntry("an identical entry exists for this team member")


@transaction.atomic
def create_entry(
    team: Team, member: TeamMember, rule: dict[str, Any], *, by: User
) -> ScheduleEntry:
    ensure_team_manager(by, team)
    fields = _normalized(rule)
    _ensure_unique(member.pk, fields)
    entry = ScheduleEntry.objects.create(team=team, team_member=member, **fields)
    audit.record(by, AuditAction.CREATED, entry, after=audit.snapshot(entry), **_in(team))
    return entry


def _in(team: Team) -> dict[str, Any]:
    return {"organization_id": team.organization_id}


def find_entry(team: Team, member_id, created_at: datetime) -> ScheduleEntry | None:
    return ScheduleEntry.objects.filter(
        team=team, team_member_id=member_id, created_at=created_at
    ).first()


@transaction.atomic
def replace_rule(entry: ScheduleEntry, rule: dict[str, Any], *, by: User) -> ScheduleEntry:
    """PUT semantics: every rule field is replaced (omitted optional fields are cleared).

    Raises DuplicateEntry when the result would equal another entry of the same member.
    """
    ensure_team_manager(by, entry.team)
    fields = _normalized(rule)
    _ensure_unique(entry.team_member_id, fields, other_than=entry)
    with audit.recorded(by, entry, fields=RULE_FIELDS, **_in(entry.team)):
        for field, value in fields.items():
            setattr(entry, field, value)
        entry.save(update_fields=list(RULE_FIELDS))
    return entry


@transaction.atomic
def delete_entry(entry: ScheduleEntry, *, by: User) -> None:
    ensure_team_manager(by, entry.team)
    audit.record(by, AuditAction.DELETED, entry, before=audit.snapshot(entry), **_in(entry.team))
    entry.delete()


@transaction.atomic
def create_override(team: Team, *, by: User, data: dict[str, Any]) -> Override:
    """``data``: ``team_member_id``, ``start``, ``end`` and maybe ``replaces_team_member_id``."""
    ensure_team_manager(by, team)
    override = Override.objects.create(
        team=team,
        team_member_id=data["team_member_id"],
        replaces_team_member_id=data.get("replaces_team_member_id"),
        start=data["start"],
        end=data["end"],
    )
    audit.record(by, AuditAction.CREATED, override, after=audit.snapshot(override), **_in(team))
    return override


@transaction.atomic
def delete_override(override: Override, *, by: User) -> None:
    ensure_team_manager(by, override.team)
    audit.record(
        by, AuditAction.DELETED, override, before=audit.snapshot(override), **_in(override.team)
    )
    override.delete()


@transaction.atomic
def create_feed(team: Team, *, by: User, member: TeamMember | None) -> CalendarFeed:
    """A secret calendar URL: of one's own shifts for any member, of others' for managers."""
    if member is None or member.user_id != by.pk:
        ensure_team_manager(by, team)
    feed = CalendarFeed.objects.create(team=team, team_member=member)
    audit.record(by, AuditAction.CREATED, feed, after=audit.snapshot(feed), **_in(team))
    return feed


@transaction.atomic
def revoke_feed(feed: CalendarFeed, *, by: User) -> None:
    if feed.team_member is None or feed.team_member.user_id != by.pk:
        ensure_team_manager(by, feed.team)
    with audit.recorded(by, feed, fields=["revoked_at"], **_in(feed.team)):
        feed.revoked_at = feed.revoked_at or timezone.now()
        feed.save(update_fields=["revoked_at"])


# --------------------------------------------------------------------------- rotations


def _version_fields(team: Team, data: dict[str, Any]) -> dict[str, Any]:
    """A rotation body (validated) as stored in a version: times to the second, lists once."""
    zone = parse_time_zone(data.get("time_zone") or team.time_zone or "UTC")
    handoff = rotations.parse_handoff(data["handoff"], zone)
    custom = data["shift_length"] == rotations.CUSTOM
    end = data.get("end")
    return {
        "layer": data.get("layer") or rotations.MIN_LAYER,
        "participants": [str(p) for p in data["participants"]],
        "shift_length": data["shift_length"],
        "shift_hours": data.get("shift_hours") if custom else None,
        "handoff_date": handoff.date(),
        "handoff_time": handoff.time(),
        "time_zone": data.get("time_zone") or "",
        "end": end.replace(microsecond=0) if end else None,
        "restrictions": [
            {
                "week_days": sorted(set(r.get("week_days") or [])),
                "start_time": _time(r["start_time"]).isoformat(),
                "end_time": _time(r["end_time"]).isoformat(),
            }
            for r in data.get("restrictions") or []
        ],
    }


def current_version(rotation: Rotation) -> RotationVersion:
    return rotation.versions.order_by("-effective_from").first()


def rotation_state(rotation: Rotation, version: RotationVersion) -> dict[str, Any]:
    """What the API shows of a rotation: its name and current settings."""
    return {
        "name": rotation.name,
        "layer": version.layer,
        "participants": version.participants,
        "shift_length": version.shift_length,
        "shift_hours": version.shift_hours,
        "handoff": f"{version.handoff_date.isoformat()}T{version.handoff_time.isoformat()}",
        "time_zone": version.time_zone,
        "end": version.end,
        "restrictions": version.restrictions,
        "effective_from": version.effective_from,
    }


@transaction.atomic
def create_rotation(team: Team, data: dict[str, Any], *, by: User) -> Rotation:
    ensure_team_manager(by, team)
    rotation = Rotation.objects.create(team=team, name=data["name"])
    version = RotationVersion.objects.create(
        rotation=rotation,
        effective_from=rotation.created_at.replace(microsecond=0),
        **_version_fields(team, data),
    )
    audit.record(
        by, AuditAction.CREATED, rotation, after=rotation_state(rotation, version), **_in(team)
    )
    return rotation


@transaction.atomic
def update_rotation(rotation: Rotation, data: dict[str, Any], *, by: User) -> Rotation:
    """PUT: applies from now on; the versions before stay, so past shifts stay as they were."""
    ensure_team_manager(by, rotation.team)
    Rotation.objects.select_for_update().filter(pk=rotation.pk).first()  # one PUT at a time
    now = timezone.now().replace(microsecond=0)
    before = rotation_state(rotation, current_version(rotation))
    rotation.name = data["name"]
    rotation.save(update_fields=["name"])
    rotation.versions.filter(effective_from__gte=now).delete()
    version = RotationVersion.objects.create(
        rotation=rotation, effective_from=now, **_version_fields(rotation.team, data)
    )
    audit.record_update(
        by, rotation, before, rotation_state(rotation, version), **_in(rotation.team)
    )
    return rotation


@transaction.atomic
def delete_rotation(rotation: Rotation, *, by: User) -> None:
    """A rotation that has put anyone on call is ended now (its past stays); else deleted."""
    ensure_team_manager(by, rotation.team)
    now = timezone.now().replace(microsecond=0)
    versions = list(rotation.versions.all())
    before = rotation_state(rotation, versions[-1])
    audit.record(by, AuditAction.DELETED, rotation, before=before, **_in(rotation.team))
    started = any(
        rotations.shift_bounds(oncall.version_of(v, rotation.team.time_zone), 0) < now
        for v in versions
    )
    if started:
        rotation.deleted_at = now
        rotation.save(update_fields=["deleted_at"])
    else:
        rotation.delete()
