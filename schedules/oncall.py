"""Who is on call: the final schedule of a team (``schedules.layers``) read from the database.

Layers are the team's rotations (``schedules.rotations``) over its schedule entries
(``schedules.recurrence``), then overrides on top.
"""

import json
from collections import defaultdict
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from accounts.models import Team
from schedules import layers, rotations
from schedules.layers import ENTRY, ENTRY_LAYER, FinalShift
from schedules.models import (
    ImportedLayer,
    ImportedShift,
    Override,
    Rotation,
    RotationVersion,
    ScheduleEntry,
)
from schedules.overrides import OverrideSpan
from schedules.recurrence import Rule, gaps, is_active, parse_time_zone, render_shifts

Entry = tuple[str, Rule, ZoneInfo]


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


@lru_cache(maxsize=65_536)
def _rule(days: str, start: time, end: time, months: str, weeks: str, since, until) -> Rule:
    """A rule from stored fields (lists as JSON text): shared by the entries that are alike, so
    reading every team's entries parses each distinct rule once."""
    return Rule(
        week_days=frozenset(json.loads(days)),
        start_time=_seconds(start),
        end_time=_seconds(end),
        months_of_year=frozenset(json.loads(months) or ()),
        weeks_of_month=frozenset(json.loads(weeks) or ()),
        start_date=since,
        end_date=until,
    )


_zone = lru_cache(maxsize=256)(parse_time_zone)
# JSON lists read as text, parsed once per distinct rule (``_rule``).
_TEXT = {
    f"{name}_text": Cast(name, TextField())
    for name in ("week_days", "months_of_year", "weeks_of_month")
}


def _entries(team_ids, zones: dict[str, str]) -> dict[str, list[Entry]]:
    """The schedule entries of each team as the recurrence engine's rules (one query)."""
    found: dict[str, list[Entry]] = defaultdict(list)
    rows = (
        ScheduleEntry.objects.filter(team_id__in=team_ids)
        .annotate(**_TEXT)
        .values_list(
            "team_id",
            "team_member_id",
            "week_days_text",
            "start_time",
            "end_time",
            "months_of_year_text",
            "weeks_of_month_text",
            "start_date",
            "end_date",
            "time_zone",
        )
    )
    for team_id, member_id, days, start, end, months, weeks, since, until, zone in rows:
        key = str(team_id)
        rule = _rule(days, start, end, months or "[]", weeks or "[]", since, until)
        found[key].append((str(member_id), rule, _zone(zone or zones[key] or "UTC")))
    return found


VERSION_FIELDS = (
    "participants",
    "shift_length",
    "shift_hours",
    "handoff_date",
    "handoff_time",
    "time_zone",
    "layer",
    "end",
    "restrictions",
    "effective_from",
)


def version_of(version: RotationVersion, team_zone: str) -> rotations.Version:
    values = [getattr(version, name) for name in VERSION_FIELDS]
    values[0], values[8] = json.dumps(values[0]), json.dumps(values[8])
    return _version(*values, team_zone)


@lru_cache(maxsize=16_384)
def _version(
    participants: str,
    length,
    hours,
    day,
    clock,
    zone,
    layer,
    end,
    restrictions: str,
    since,
    team_zone,
) -> rotations.Version:
    """A version from stored fields (lists as JSON text), shared while they stay the same."""
    return rotations.Version(
        participants=tuple(json.loads(participants)),
        shift_length=length,
        shift_hours=hours,
        handoff=datetime.combine(day, clock),
        zone=_zone(zone or team_zone or "UTC"),
        layer=layer,
        end=end,
        restrictions=rotations.build_restrictions(json.loads(restrictions)),
        effective_from=since,
    )


_VERSION_TEXT = {
    "participants_text": Cast("participants", TextField()),
    "restrictions_text": Cast("restrictions", TextField()),
}


def _rotations(team_ids, start: datetime, zones: dict[str, str]) -> dict[str, list]:
    """The pure rotations of each team that may put someone on call from ``start`` (one query)."""
    fields = [
        f"{name}_text" if name in ("participants", "restrictions") else name
        for name in VERSION_FIELDS
    ]
    rows = (
        RotationVersion.objects.filter(rotation__team_id__in=team_ids)
        .filter(Q(rotation__deleted_at__isnull=True) | Q(rotation__deleted_at__gt=start))
        .annotate(**_VERSION_TEXT)
        .order_by("rotation_id", "effective_from")
        .values_list("rotation_id", "rotation__team_id", "rotation__deleted_at", *fields)
    )
    versions: dict[tuple, list[rotations.Version]] = defaultdict(list)
    for rotation_id, team_id, deleted_at, *row in rows:
        key = (str(rotation_id), str(team_id), deleted_at)
        versions[key].append(_version(*row, zones[key[1]]))
    result: dict[str, list[rotations.Rotation]] = defaultdict(list)
    for (rotation_id, team_id, deleted_at), found in versions.items():
        result[team_id].append(rotations.Rotation(rotation_id, tuple(found), deleted_at))
    return result


def _imported(team_ids, start: datetime, end: datetime) -> dict[str, list[rotations.Span]]:
    """The fixed shifts of imported layers that meet [start, end), per team."""
    spans: dict[str, list[rotations.Span]] = defaultdict(list)
    rows = ImportedShift.objects.filter(
        layer__team_id__in=team_ids, start__lt=end, end__gt=start
    ).values_list("layer__team_id", "team_member_id", "start", "end", "layer__layer", "layer_id")
    for team_id, member_id, s, e, layer, layer_id in rows:
        spans[str(team_id)].append(rotations.Span(str(member_id), s, e, layer, str(layer_id)))
    return spans


def source_names(team_ids) -> dict[str, str]:
    """``{source: name}`` of the rotations and imported layers of these teams."""
    names = {
        str(pk): f"rotation {name}"
        for pk, name in Rotation.objects.filter(team_id__in=team_ids).values_list("id", "name")
    }
    names.update(
        (str(pk), f"imported layer {name}")
        for pk, name in ImportedLayer.objects.filter(team_id__in=team_ids).values_list("id", "name")
    )
    return names


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
    """``{team id: {member id: source}}`` at ``at`` (four queries whatever the number of teams)."""
    team_ids = [t.pk for t in teams]
    zones = {str(t.pk): t.time_zone for t in teams}
    tick = at + timedelta(microseconds=1)
    entries = _entries(team_ids, zones)
    team_rotations = _rotations(team_ids, at, zones)
    imported = _imported(team_ids, at, tick)
    overrides = _overrides(team_ids, at, tick)
    result = {}
    for key in zones:
        layered = [
            (member, ENTRY_LAYER, ENTRY)
            for member, rule, zone in entries.get(key, ())
            if is_active(rule, zone, at)
        ]
        for rotation in team_rotations.get(key, ()):
            held = rotations.member_at(rotation, at)
            if held is not None:
                layered.append((held[0], held[1], rotation.id))
        layered.extend((s.member_id, s.layer, s.source) for s in imported.get(key, ()))
        result[key] = layers.on_call_at(layered, overrides.get(key, []), at)
    return result


def on_call_for_teams(teams: list[Team], at: datetime) -> dict[str, list[str]]:
    """On-call member ids of many teams at once."""
    return {key: sorted(members) for key, members in on_call_with_sources(teams, at).items()}


def shifts(
    team: Team, start: datetime, end: datetime, *, member_id: str | None = None
) -> tuple[list[FinalShift], list[tuple[datetime, datetime]]]:
    """The team's final shifts over [start, end), and the gaps between them."""
    key, zones = str(team.pk), {str(team.pk): team.time_zone}
    spans = [
        rotations.Span(s.member_id, s.start, s.end, ENTRY_LAYER, ENTRY)
        for s in render_shifts(_entries([team.pk], zones).get(key, ()), start, end)
    ]
    for rotation in _rotations([team.pk], start, zones).get(key, ()):
        spans.extend(rotations.render(rotation, start, end))
    spans.extend(_imported([team.pk], start, end).get(key, ()))
    rendered = layers.final_shifts(
        spans, _overrides([team.pk], start, end).get(key, []), start, end
    )
    holes = gaps(rendered, start, end)
    if member_id is not None:
        rendered = [shift for shift in rendered if shift.member_id == member_id]
    return rendered, holes
