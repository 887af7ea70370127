"""Schedule entry use cases (the documented routes identify an entry by member + created_at)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, TeamMember, User
from accounts.permissions import Forbidden, ensure_team_manager
from audit import services as audit
from audit.models import AuditAction
from pinghome.jobs import enqueue_on_commit
from schedules import ics_import, oncall, rotations, tasks
from schedules.models import (
    CalendarFeed,
    CoverRequest,
    ImportedLayer,
    ImportedShift,
    Override,
    ReminderPreference,
    Rotation,
    RotationVersion,
    ScheduleEntry,
)
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
def create_personal_feed(*, by: User) -> CalendarFeed:
    """A secret calendar URL of one's own shifts across all one's teams."""
    feed = CalendarFeed.objects.create(user=by)
    audit.record(
        by,
        AuditAction.CREATED,
        feed,
        after=audit.snapshot(feed),
        organization_id=by.organization_id,
    )
    return feed


@transaction.atomic
def revoke_feed(feed: CalendarFeed, *, by: User) -> None:
    if feed.user_id is not None:
        if feed.user_id != by.pk:
            raise Forbidden("Only its owner can revoke a personal calendar feed.")
    elif feed.team_member is None or feed.team_member.user_id != by.pk:
        ensure_team_manager(by, feed.team)
    organization_id = feed.team.organization_id if feed.team else by.organization_id
    with audit.recorded(by, feed, fields=["revoked_at"], organization_id=organization_id):
        feed.revoked_at = feed.revoked_at or timezone.now()
        feed.save(update_fields=["revoked_at"])


@transaction.atomic
def set_personal_settings(*, by: User, minutes_before: int, enabled: bool, time_zone: str) -> None:
    """One's reminder lead time and time zone (blank: the browser's, else UTC)."""
    if time_zone:
        parse_time_zone(time_zone)  # ValueError: unknown
    preference, _ = ReminderPreference.objects.get_or_create(user=by)
    mine = {"organization_id": by.organization_id}
    with audit.recorded(by, preference, fields=["minutes_before", "enabled"], **mine):
        preference.minutes_before, preference.enabled = minutes_before, enabled
        preference.save(update_fields=["minutes_before", "enabled"])
    with audit.recorded(by, by, fields=["time_zone"], **mine):
        by.time_zone = time_zone
        by.save(update_fields=["time_zone"])


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


# --------------------------------------------------------------------------- cover requests

MAX_COVER = timedelta(days=31)


class CoverNotAllowed(Exception):
    """A cover request that cannot be made or taken; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class CoverConflict(Exception):
    """The request is no longer open (taken or cancelled meanwhile)."""


def membership(team: Team, user: User) -> TeamMember | None:
    return team.members.filter(user=user).first()


@transaction.atomic
def request_cover(team: Team, *, by: User, start: datetime, end: datetime) -> CoverRequest:
    """``by`` asks teammates to cover [start, end) of their own shifts."""
    member = membership(team, by)
    if member is None:
        raise Forbidden("Only members of this team can ask it for cover.")
    if end <= start:
        raise CoverNotAllowed("end", "must be after start")
    if end - start > MAX_COVER:
        raise CoverNotAllowed("end", f"at most {MAX_COVER.days} days after start")
    if end <= timezone.now():
        raise CoverNotAllowed("end", "must be in the future")
    mine, _ = oncall.shifts(team, start, end, member_id=str(member.pk))
    if not mine:
        raise CoverNotAllowed("start", "you are not on call at any time in this period")
    cover = CoverRequest.objects.create(team=team, requester=member, start=start, end=end)
    audit.record(by, AuditAction.CREATED, cover, after=audit.snapshot(cover), **_in(team))
    enqueue_on_commit(tasks.cover_requested, str(cover.pk))
    return cover


@transaction.atomic
def take_cover(cover: CoverRequest, *, by: User) -> Override:
    """A teammate takes the request: an override gives them the requester's shifts of it."""
    member = membership(cover.team, by)
    if member is None:
        raise Forbidden("Only members of this team can take its cover requests.")
    if member.pk == cover.requester_id:
        raise CoverNotAllowed("taken_by", "you cannot cover your own request")
    now = timezone.now()
    claimed = CoverRequest.objects.filter(
        pk=cover.pk, taken_at__isnull=True, cancelled_at__isnull=True
    ).update(taken_by=member, taken_at=now)
    if not claimed:
        raise CoverConflict("This cover request is no longer open.")
    override = Override.objects.create(
        team=cover.team,
        team_member=member,
        replaces_team_member_id=cover.requester_id,
        start=cover.start,
        end=cover.end,
    )
    CoverRequest.objects.filter(pk=cover.pk).update(override=override)
    before = {"taken_by": None, "taken_at": None, "override": None}
    cover.refresh_from_db()
    after = {"taken_by": str(member.pk), "taken_at": now, "override": str(override.pk)}
    audit.record_update(by, cover, before, after, **_in(cover.team))
    audit.record(
        by, AuditAction.CREATED, override, after=audit.snapshot(override), **_in(cover.team)
    )
    enqueue_on_commit(tasks.cover_taken, str(cover.pk))
    return override


@transaction.atomic
def cancel_cover(cover: CoverRequest, *, by: User) -> None:
    """The requester (or a manager of the team) withdraws an open request."""
    if cover.requester.user_id != by.pk:
        ensure_team_manager(by, cover.team)
    now = timezone.now()
    cancelled = CoverRequest.objects.filter(
        pk=cover.pk, taken_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    if not cancelled:
        raise CoverConflict("This cover request is no longer open.")
    audit.record_update(by, cover, {"cancelled_at": None}, {"cancelled_at": now}, **_in(cover.team))


def upcoming_cover_requests(teams):
    """Cover requests of these teams not yet over, soonest first."""
    return CoverRequest.objects.filter(team__in=teams, end__gt=timezone.now()).order_by(
        "start", "created_at"
    )


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    layer: ImportedLayer
    shifts: int
    unmatched: list[ics_import.ImportedEvent]


@transaction.atomic
def import_layer(
    team: Team,
    *,
    by: User,
    name: str,
    layer: int,
    content: bytes,
    since: datetime | None = None,
) -> ImportResult:
    """A layer of fixed shifts from an iCalendar file; events matched to members by e-mail or
    name (``ics_import.match``). Raises ``ics_import.ImportError_`` for an unreadable file."""
    ensure_team_manager(by, team)
    now = timezone.now()
    events = ics_import.read_events(
        content, parse_time_zone(team.time_zone or "UTC"), since or now - ics_import.HISTORY, now
    )
    members = {str(m.pk): (m.user.email, m.user.name) for m in team.members.select_related("user")}
    imported = ImportedLayer.objects.create(team=team, name=name, layer=layer)
    shifts, unmatched = [], []
    for event in events:
        member_id = ics_import.match(event, members)
        if member_id is None:
            unmatched.append(event)
        else:
            shifts.append(
                ImportedShift(
                    layer=imported, team_member_id=member_id, start=event.start, end=event.end
                )
            )
    ImportedShift.objects.bulk_create(shifts)
    audit.record(
        by,
        AuditAction.CREATED,
        imported,
        after={**audit.snapshot(imported), "shifts": len(shifts), "unmatched": len(unmatched)},
        **_in(team),
    )
    return ImportResult(imported, len(shifts), unmatched)


@transaction.atomic
def delete_layer(layer: ImportedLayer, *, by: User) -> None:
    ensure_team_manager(by, layer.team)
    audit.record(by, AuditAction.DELETED, layer, before=audit.snapshot(layer), **_in(layer.team))
    layer.delete()
