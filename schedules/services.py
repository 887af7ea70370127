"""Schedule entry use cases (the documented routes identify an entry by member + created_at)."""

from datetime import datetime, time
from typing import Any

from django.db import transaction

from accounts.models import Team, TeamMember
from schedules.models import ScheduleEntry
from schedules.recurrence import parse_time_of_day

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
        "months_of_year": sorted(rule.get("months_of_year") or []),
        "weeks_of_month": sorted(rule.get("weeks_of_month") or []),
        "week_days": sorted(rule["week_days"]),
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


def create_entry(team: Team, member: TeamMember, rule: dict[str, Any]) -> ScheduleEntry:
    fields = _normalized(rule)
    _ensure_unique(member.pk, fields)
    return ScheduleEntry.objects.create(team=team, team_member=member, **fields)


def find_entry(team: Team, member_id, created_at: datetime) -> ScheduleEntry | None:
    return ScheduleEntry.objects.filter(
        team=team, team_member_id=member_id, created_at=created_at
    ).first()


def replace_rule(entry: ScheduleEntry, rule: dict[str, Any]) -> ScheduleEntry:
    """PUT semantics: every rule field is replaced (omitted optional fields are cleared).

    Raises DuplicateEntry when the result would equal another entry of the same member.
    """
    fields = _normalized(rule)
    _ensure_unique(entry.team_member_id, fields, other_than=entry)
    for field, value in fields.items():
        setattr(entry, field, value)
    entry.save(update_fields=list(RULE_FIELDS))
    return entry


def delete_entry(entry: ScheduleEntry) -> None:
    entry.delete()
