"""Who is on call: the final schedule of a team (``schedules.layers``) read from the database.

Layers are the team's rotations (``schedules.rotations``) over its schedule entries
(``schedules.recurrence``), then overrides on top.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from accounts.models import Team
from schedules import layers, rotations
from schedules.layers import ENTRY, ENTRY_LAYER, FinalShift
from schedules.models import Override, Rotation, RotationVersion, ScheduleEntry
from schedules.overrides import OverrideSpan
from schedules.recurrence import Rule, gaps, is_active, parse_time_zone, render_shifts

Entry = tuple[str, Rule, ZoneInfo]


def _seconds(value: time) -> int:
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


def version_of(version: RotationVersion, team_zone: str) -> rotations.Version:
    return rotations.Version(
        participants=tuple(version.participants),
        shift_length=version.shift_length,
        shift_hours=version.shift_hours,
        handoff=datetime.combine(version.handoff_date, version.handoff_time),
        zone=parse_time_zone(version.time_zone or team_zone or "UTC"),
        layer=version.layer,
        end=version.end,
        restrictions=rotations.build_restrictions(version.restrictions),
        effective_from=version.effective_from,
    )


def _rotations(team_ids, start: datetime, zones: dict[str, str]) -> dict[str, list]:
    """The pure rotations of each team that may put someone on call within [start, end)."""
    versions: dict[str, list[RotationVersion]] = defaultdict(list)
    rows = (
        RotationVersion.objects.filter(rotation__team_id__in=team_ids)
        .filter(Q(rotation__deleted_at__isnull=True) | Q(rotation__deleted_at__gt=start))
        .select_related("rotation")
        .order_by("rotation_id", "effective_from")
    )
    heads: dict[str, Rotation] = {}
    for row in rows:
        versions[str(row.rotation_id)].append(row)
        heads[str(row.rotation_id)] = row.rotation
    result: dict[str, list[rotations.Rotation]] = defaultdict(list)
    for rotation_id, rows in versions.items():
        head = heads[rotation_id]
        zone = zones[str(head.team_id)]
        result[str(head.team_id)].append(
            rotations.Rotation(
                rotation_id, tuple(version_of(v, zone) for v in rows), head.deleted_at
            )
        )
    return result


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


def on_call_with_sources(teams: list[Team], at: datetime) -> dict[str, dict[str, str]]:
    """``{team id: {member id: source}}`` at ``at`` (three queries whatever the number of teams)."""
    by_team: dict[str, list[ScheduleEntry]] = defaultdict(list)
    for entry in ScheduleEntry.objects.filter(team__in=teams):
        by_team[str(entry.team_id)].append(entry)
    team_ids = [t.pk for t in teams]
    tick = at + timedelta(microseconds=1)
    zones = {str(t.pk): t.time_zone for t in teams}
    overrides = _overrides(team_ids, at, tick)
    team_rotations = _rotations(team_ids, at, zones)
    result = {}
    for team in teams:
        key = str(team.pk)
        layered = [
            (member, ENTRY_LAYER, ENTRY)
            for member, rule, zone in _entries(by_team[key], team.time_zone)
            if is_active(rule, zone, at)
        ]
        for rotation in team_rotations.get(key, ()):
            held = rotations.member_at(rotation, at)
            if held is not None:
                layered.append((held[0], held[1], rotation.id))
        result[key] = layers.on_call_at(layered, overrides.get(key, []), at)
    return result


def on_call_for_teams(teams: list[Team], at: datetime) -> dict[str, list[str]]:
    """On-call member ids of many teams at once."""
    return {key: sorted(members) for key, members in on_call_with_sources(teams, at).items()}


def shifts(
    team: Team, start: datetime, end: datetime, *, member_id: str | None = None
) -> tuple[list[FinalShift], list[tuple[datetime, datetime]]]:
    """The team's final shifts over [start, end), and the gaps between them."""
    key = str(team.pk)
    entries = _entries(ScheduleEntry.objects.filter(team=team), team.time_zone)
    spans = [
        rotations.Span(s.member_id, s.start, s.end, ENTRY_LAYER, ENTRY)
        for s in render_shifts(entries, start, end)
    ]
    for rotation in _rotations([team.pk], start, {key: team.time_zone}).get(key, ()):
        spans.extend(rotations.render(rotation, start, end))
    rendered = layers.final_shifts(
        spans, _overrides([team.pk], start, end).get(key, []), start, end
    )
    holes = gaps(rendered, start, end)
    if member_id is not None:
        rendered = [shift for shift in rendered if shift.member_id == member_id]
    return rendered, holes
