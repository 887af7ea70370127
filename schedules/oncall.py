"""Who is on call: schedule entries rendered by the recurrence engine, then overrides."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.models import Team
from schedules.models import Override, ScheduleEntry
from schedules.overrides import OverrideSpan, apply_overrides, on_call_at
from schedules.recurrence import (
    Rule,
    Shift,
    gaps,
    is_active,
    parse_time_zone,
    render_shifts,
)

Entry = tuple[str, Rule, ZoneInfo]


def _seconds(value) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def entry_rule(entry: ScheduleEntry) -> Rule:
    return Rule(
        week_days=frozenset(entry.week_days),
        start_time=_seconds(entry.start_time),
        end_time=_seconds(entry.end_time),
        months_of_year=frozenset(entry.months_of_year or ()),
        weeks_of_month=frozenset(entry.weeks_of_month or ()),
        start_date=entry.start_date,
        end_date=entry.end_date,
    )


def _entries(entries: Iterable[ScheduleEntry], team_zone: str) -> list[Entry]:
    return [
        (str(e.team_member_id), entry_rule(e), parse_time_zone(e.time_zone or team_zone or "UTC"))
        for e in entries
    ]


def _overrides(team_ids, start: datetime, end: datetime) -> dict[str, list[OverrideSpan]]:
    spans: dict[str, list[OverrideSpan]] = defaultdict(list)
    for o in Override.objects.filter(team_id__in=team_ids, start__lt=end, end__gt=start):
        spans[str(o.team_id)].append(
            OverrideSpan(
                str(o.team_member_id),
                o.start,
                o.end,
                str(o.replaces_team_member_id) if o.replaces_team_member_id else None,
            )
        )
    return spans


def on_call(team: Team, at: datetime) -> list[str]:
    """Sorted team member ids on call at ``at``."""
    return on_call_for_teams([team], at)[str(team.pk)]


def on_call_for_teams(teams: list[Team], at: datetime) -> dict[str, list[str]]:
    """On-call member ids of many teams at once (two queries whatever the number of teams)."""
    by_team: dict[str, list[ScheduleEntry]] = defaultdict(list)
    for entry in ScheduleEntry.objects.filter(team__in=teams):
        by_team[str(entry.team_id)].append(entry)
    overrides = _overrides([t.pk for t in teams], at, at + timedelta(microseconds=1))
    result = {}
    for team in teams:
        key = str(team.pk)
        base = {
            member
            for member, rule, zone in _entries(by_team[key], team.time_zone)
            if is_active(rule, zone, at)
        }
        result[key] = on_call_at(base, overrides.get(key, []), at)
    return result


def shifts(
    team: Team, start: datetime, end: datetime, *, member_id: str | None = None
) -> tuple[list[Shift], list[tuple[datetime, datetime]]]:
    """The team's shifts over [start, end) with overrides applied, and the gaps between them."""
    entries = _entries(ScheduleEntry.objects.filter(team=team), team.time_zone)
    rendered = apply_overrides(
        render_shifts(entries, start, end),
        _overrides([team.pk], start, end).get(str(team.pk), []),
        start,
        end,
    )
    holes = gaps(rendered, start, end)
    if member_id is not None:
        rendered = [shift for shift in rendered if shift.member_id == member_id]
    return rendered, holes
