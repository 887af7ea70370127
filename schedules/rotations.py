"""Rotation engine: pure functions deciding who a rotation puts on call, and when.

A rotation is a list of versions, each with its participants and settings; version ``i`` applies
from its ``effective_from`` (the first from the beginning of time) until the next version's, so a
change never rewrites the past. Within a version, shift ``k`` (from 0, the first starting at the
handoff) goes to participant ``k mod n``:

- ``daily`` / ``weekly`` shifts step in local calendar days (1 or 7) from the handoff's
  wall-clock time in the rotation's zone, so a handoff keeps its wall-clock time across daylight
  saving; ``custom`` shifts step in elapsed hours.
- A local time that does not exist (spring forward) is read with the offset before the
  transition (02:30 becomes 03:30 summer time); a repeated one (fall back) is its first pass.
- Restrictions (weekday and time-of-day windows, half-open ``[start, end)``, an overnight window
  owned by its start day, ``start = end`` for 24 hours) cut shifts to the windows; none means
  always.

Instants are aware datetimes; everything returned is in UTC. Stdlib only (no Django imports).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from schedules.recurrence import parse_time_of_day, parse_time_zone

__all__ = [
    "DAILY",
    "CUSTOM",
    "WEEKLY",
    "Restriction",
    "Rotation",
    "Span",
    "Version",
    "build_restrictions",
    "member_at",
    "parse_handoff",
    "render",
    "shift_bounds",
    "shift_index",
    "validate_rotation_fields",
]

DAILY, WEEKLY, CUSTOM = "daily", "weekly", "custom"
SHIFT_LENGTHS = (DAILY, WEEKLY, CUSTOM)
MAX_SHIFT_HOURS = 24 * 7 * 8  # eight weeks
MAX_PARTICIPANTS = 100
MAX_RESTRICTIONS = 20
MIN_LAYER, MAX_LAYER = 1, 100
_DAYS = {DAILY: 1, WEEKLY: 7}
_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Restriction:
    """Seconds of day; week days 0=Sunday..6=Saturday (empty: every day)."""

    week_days: frozenset[int]
    start_time: int
    end_time: int


@dataclass(frozen=True)
class Version:
    """One state of a rotation: its settings from ``effective_from`` on."""

    participants: tuple[str, ...]
    shift_length: str
    handoff: datetime  # naive: local wall-clock time of the first handoff in ``zone``
    zone: ZoneInfo
    layer: int = 1
    shift_hours: int | None = None
    end: datetime | None = None  # aware
    restrictions: tuple[Restriction, ...] = ()
    effective_from: datetime | None = None  # aware; None: from the beginning

    def __post_init__(self) -> None:
        if self.handoff.tzinfo is not None:
            raise ValueError("handoff must be a naive local wall-clock time")
        if self.shift_length not in SHIFT_LENGTHS:
            raise ValueError(f"unknown shift length {self.shift_length!r}")
        if self.shift_length == CUSTOM and not (self.shift_hours or 0) >= 1:
            raise ValueError("a custom shift needs shift_hours >= 1")
        object.__setattr__(self, "participants", tuple(self.participants))
        object.__setattr__(self, "restrictions", tuple(self.restrictions))
        for name in ("end", "effective_from"):
            value = getattr(self, name)
            if value is not None:
                if value.utcoffset() is None:
                    raise ValueError(f"{name} must be timezone-aware")
                object.__setattr__(self, name, value.astimezone(UTC))


@dataclass(frozen=True)
class Rotation:
    """A rotation's versions in the order they were made; nothing on call from ``ended_at``."""

    id: str
    versions: tuple[Version, ...]
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", tuple(self.versions))


@dataclass(frozen=True)
class Span:
    """A member on call by a rotation over [start, end) in UTC, at the version's layer."""

    member_id: str
    start: datetime
    end: datetime
    layer: int
    source: str = field(default="")


# --------------------------------------------------------------------------- wall clock


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time as a UTC instant (fold=0: see the module docstring)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def _local(t: datetime, zone: ZoneInfo) -> datetime:
    return t.astimezone(zone).replace(tzinfo=None)


# --------------------------------------------------------------------------- shifts


def shift_bounds(version: Version, k: int) -> datetime:
    """The start of shift ``k`` (the end of shift ``k - 1``) in UTC."""
    if version.shift_length == CUSTOM:
        return _utc(version.handoff, version.zone) + timedelta(hours=version.shift_hours * k)
    return _utc(version.handoff + timedelta(days=_DAYS[version.shift_length] * k), version.zone)


def shift_index(version: Version, t: datetime) -> int:
    """The shift ``k`` holding instant ``t`` (negative before the first handoff)."""
    if version.shift_length == CUSTOM:
        step = timedelta(hours=version.shift_hours)
        return (t.astimezone(UTC) - _utc(version.handoff, version.zone)) // step
    step = timedelta(days=_DAYS[version.shift_length])
    k = (_local(t, version.zone) - version.handoff) // step
    # Local differences are off by at most the DST jump: settle on the exact boundaries.
    while shift_bounds(version, k) > t:
        k -= 1
    while shift_bounds(version, k + 1) <= t:
        k += 1
    return k


# --------------------------------------------------------------------------- restrictions


def _windows(
    restrictions: Sequence[Restriction], zone: ZoneInfo, a: datetime, b: datetime
) -> list[tuple[datetime, datetime]]:
    """Merged UTC windows of the restrictions that meet [a, b)."""
    spans = []
    first = _local(a, zone).date() - timedelta(days=1)
    last = _local(b, zone).date()
    for n in range((last - first).days + 1):
        d = first + timedelta(days=n)
        weekday = d.isoweekday() % 7
        for r in restrictions:
            if r.week_days and weekday not in r.week_days:
                continue
            start = datetime.combine(d, _time(r.start_time))
            end_day = d if r.start_time < r.end_time else d + timedelta(days=1)
            end = datetime.combine(end_day, _time(r.end_time))
            s, e = _utc(start, zone), _utc(end, zone)
            if s < b and e > a and s < e:
                spans.append((s, e))
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _time(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _intersect(
    spans: list[tuple[str, datetime, datetime]], windows: list[tuple[datetime, datetime]]
) -> list[tuple[str, datetime, datetime]]:
    out = []
    starts = [w[0] for w in windows]
    for member, s, e in spans:
        i = max(bisect_right(starts, s) - 1, 0)
        while i < len(windows) and windows[i][0] < e:
            ws, we = windows[i]
            if max(s, ws) < min(e, we):
                out.append((member, max(s, ws), min(e, we)))
            i += 1
    return out


# --------------------------------------------------------------------------- rendering


def _ranges(rotation: Rotation) -> list[tuple[Version, datetime, datetime]]:
    """Each version with the instants it applies over: [effective_from, next one's)."""
    out = []
    versions = rotation.versions
    for i, version in enumerate(versions):
        lo = version.effective_from if i and version.effective_from else _MIN
        hi = versions[i + 1].effective_from if i + 1 < len(versions) else _MAX
        hi = min(x for x in (hi, version.end, rotation.ended_at) if x is not None)
        lo = max(lo, shift_bounds(version, 0))
        if lo < hi:
            out.append((version, lo, hi))
    return out


def _version_spans(
    version: Version, a: datetime, b: datetime
) -> list[tuple[str, datetime, datetime]]:
    n = len(version.participants)
    if not n or a >= b:
        return []
    spans = []
    k = shift_index(version, a)
    start = shift_bounds(version, k)
    while start < b:
        end = shift_bounds(version, k + 1)
        spans.append((version.participants[k % n], max(start, a), min(end, b)))
        k, start = k + 1, end
    if version.restrictions:
        spans = _intersect(spans, _windows(version.restrictions, version.zone, a, b))
    return spans


def render(rotation: Rotation, start: datetime, end: datetime) -> list[Span]:
    """Who the rotation puts on call over [start, end): sorted UTC spans, one per shift piece."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    out = []
    for version, lo, hi in _ranges(rotation):
        a, b = max(lo, start), min(hi, end)
        for member, s, e in _version_spans(version, a, b):
            out.append(Span(member, s, e, version.layer, rotation.id))
    return out


def member_at(rotation: Rotation, t: datetime) -> tuple[str, int] | None:
    """``(member_id, layer)`` the rotation puts on call at ``t``, or None."""
    t = t.astimezone(UTC)
    for version, lo, hi in _ranges(rotation):
        if not lo <= t < hi or not version.participants:
            continue
        if version.restrictions and not any(
            s <= t < e for s, e in _windows(version.restrictions, version.zone, t, t + _TICK)
        ):
            return None
        k = shift_index(version, t)
        return version.participants[k % len(version.participants)], version.layer
    return None


_TICK = timedelta(microseconds=1)


# --------------------------------------------------------------------------- validation


def parse_handoff(value: Any, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time from ``YYYY-MM-DDTHH:MM[:SS]``; an instant with an offset
    is read as that instant's wall-clock time in ``zone``. ValueError when malformed."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    else:
        raise ValueError("expected a date-time")
    if parsed.tzinfo is not None:
        parsed = _local(parsed, zone)
    if not 1970 <= parsed.year <= 9000:
        raise ValueError("expected a year from 1970 to 9000")
    return parsed.replace(microsecond=0)


def _restriction_errors(value: Any) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, list):
        return {"restrictions": ["Expected a list of objects."]}
    if len(value) > MAX_RESTRICTIONS:
        return {"restrictions": [f"At most {MAX_RESTRICTIONS} restrictions."]}
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(value):
        prefix = f"restrictions.{i}"
        if not isinstance(item, Mapping):
            errors[prefix] = ["Expected an object."]
            continue
        days = item.get("week_days")
        if days is not None and (
            not isinstance(days, list)
            or any(type(d) is not int or not 0 <= d <= 6 for d in days)
            or len(days) > 50
        ):
            errors[f"{prefix}.week_days"] = ["Expected a list of integers 0 (Sunday) .. 6."]
        for name in ("start_time", "end_time"):
            try:
                parse_time_of_day(item.get(name))
            except ValueError:
                errors[f"{prefix}.{name}"] = ["Enter a time as HH:MM or HH:MM:SS."]
    return errors


def validate_rotation_fields(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate untrusted rotation fields; ``{}`` or messages keyed by field path. Never raises.

    Participants are checked for shape only (the caller knows the team's members)."""
    if not isinstance(data, Mapping):
        return {"body": ["Expected an object."]}
    errors: dict[str, list[str]] = {}
    layer = data.get("layer", MIN_LAYER)
    if type(layer) is not int or not MIN_LAYER <= layer <= MAX_LAYER:
        errors["layer"] = [f"Expected an integer from {MIN_LAYER} to {MAX_LAYER}."]
    participants = data.get("participants")
    if not isinstance(participants, list) or not participants:
        errors["participants"] = ["Expected a non-empty list of team member ids."]
    elif len(participants) > MAX_PARTICIPANTS:
        errors["participants"] = [f"At most {MAX_PARTICIPANTS} participants."]
    elif any(not isinstance(p, str) for p in participants):
        errors["participants"] = ["Expected team member ids."]
    length, hours = data.get("shift_length"), data.get("shift_hours")
    if length not in SHIFT_LENGTHS:
        errors["shift_length"] = [f"Expected one of {', '.join(SHIFT_LENGTHS)}."]
    elif length == CUSTOM and (type(hours) is not int or not 1 <= hours <= MAX_SHIFT_HOURS):
        errors["shift_hours"] = [f"A custom shift needs whole hours from 1 to {MAX_SHIFT_HOURS}."]
    zone = parse_time_zone("UTC")
    if data.get("time_zone"):
        try:
            zone = parse_time_zone(data["time_zone"])
        except ValueError:
            errors["time_zone"] = [f"Unknown time zone {str(data['time_zone'])[:64]!r}."]
    try:
        parse_handoff(data.get("handoff"), zone)
    except ValueError:
        errors["handoff"] = ["Expected a local date-time, e.g. 2025-01-06T09:00:00."]
    end = data.get("end")
    if end is not None and (not isinstance(end, datetime) or end.utcoffset() is None):
        errors["end"] = ["Expected an RFC 3339 instant or null."]
    errors.update(_restriction_errors(data.get("restrictions")))
    return errors


def build_restrictions(value: Iterable[Mapping[str, Any]] | None) -> tuple[Restriction, ...]:
    return tuple(
        Restriction(
            frozenset(item.get("week_days") or ()),
            parse_time_of_day(item["start_time"]),
            parse_time_of_day(item["end_time"]),
        )
        for item in value or ()
    )
