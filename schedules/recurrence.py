"""On-call recurrence engine: pure functions deciding when schedule entries are active.

Semantics are defined by :func:`is_active`; :func:`active_intervals` renders the same predicate
as half-open UTC intervals. Instants are considered at whole-second granularity: an instant is
judged by its value truncated to the second, both for the wall-clock rules and for the
``start_date`` / ``end_date`` bounds. Stdlib only (no Django imports).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "EARLIEST",
    "LATEST",
    "SUPPORTED_DATES",
    "Rule",
    "ScheduleValidationError",
    "Shift",
    "active_intervals",
    "build_rule",
    "day_matches",
    "gaps",
    "is_active",
    "on_call",
    "parse_time_of_day",
    "parse_time_zone",
    "render_shifts",
    "validate_rule_fields",
]

DAY = 86_400
_SEC = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORD = date(1970, 1, 1).toordinal()
_MAX_OFFSET = 26 * 3600  # larger than any real UTC offset
_STEP = 3600  # offset sampling step when locating DST transitions
_TIME_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?", re.ASCII)
_ZONE_RE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)
_WEEKS = frozenset(range(-5, 0)) | frozenset(range(1, 6))

# The instants on-call is computed for. Local dates in any time zone, the day before them
# (overnight windows) and the weeks and months around them (calendars) stay within the dates
# Python represents (years 1 to 9999).
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)
SUPPORTED_DATES = f"from {EARLIEST.date()} to {LATEST.date()}"


class ScheduleValidationError(ValueError):
    """Invalid schedule entry fields; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


# --------------------------------------------------------------------------- parsing


def parse_time_of_day(value: str) -> int:
    """Parse ``HH:MM`` or ``HH:MM:SS`` (two-digit fields, 00:00:00-23:59:59) into seconds."""
    m = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"invalid time of day {value!r}; expected HH:MM or HH:MM:SS")
    return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)


def parse_time_zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA zone name; ValueError for unknown or malformed names."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_RE.fullmatch(name):
        raise ValueError(f"invalid time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


# --------------------------------------------------------------------------- rules


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        raise ValueError("start_date/end_date must be timezone-aware")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Rule:
    """A recurrence rule. Times are seconds of day; week days 0=Sunday..6=Saturday."""

    week_days: frozenset[int]
    start_time: int
    end_time: int
    months_of_year: frozenset[int] = field(default_factory=frozenset)
    weeks_of_month: frozenset[int] = field(default_factory=frozenset)
    start_date: datetime | None = None
    end_date: datetime | None = None

    def __post_init__(self) -> None:
        # Normalise containers to frozensets and bounds to UTC (aware comparisons within one
        # tzinfo ignore ``fold``, so bounds are always compared in UTC).
        for name in ("week_days", "months_of_year", "weeks_of_month"):
            object.__setattr__(self, name, frozenset(getattr(self, name) or ()))
        object.__setattr__(self, "start_date", _utc(self.start_date))
        object.__setattr__(self, "end_date", _utc(self.end_date))


def _int_list_errors(
    value: Any, allowed: frozenset[int], required: bool, max_len: int
) -> list[str]:
    if value is None or (isinstance(value, list | tuple) and not value):
        return ["This field is required and must not be empty."] if required else []
    if not isinstance(value, list | tuple) or any(type(v) is not int for v in value):
        return ["Expected a list of integers."]
    errors = []
    bad = sorted({v for v in value if v not in allowed})
    if bad:
        errors.append(f"Invalid values {bad}; allowed: {sorted(allowed)}.")
    if len(set(value)) > max_len:  # repeated values are harmless: they are stored once
        errors.append(f"At most {max_len} values are allowed.")
    return errors


def validate_rule_fields(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate untrusted entry fields; return ``{}`` or messages keyed by field. Never raises."""
    if not isinstance(data, Mapping):
        return {"non_field_errors": ["Expected an object."]}
    errors: dict[str, list[str]] = {}
    for name, allowed, required, max_len in (
        ("week_days", frozenset(range(7)), True, 7),
        ("months_of_year", frozenset(range(1, 13)), False, 12),
        ("weeks_of_month", _WEEKS, False, 5),
    ):
        if msgs := _int_list_errors(data.get(name), allowed, required, max_len):
            errors[name] = msgs
    for name in ("start_time", "end_time"):
        value = data.get(name)
        if value is None:
            errors[name] = ["This field is required."]
        else:
            try:
                parse_time_of_day(value)
            except ValueError:
                errors[name] = ["Enter a time as HH:MM or HH:MM:SS (00:00:00 to 23:59:59)."]
    bounds = {}
    for name in ("start_date", "end_date"):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, datetime) or value.utcoffset() is None:
            errors[name] = ["Expected a timezone-aware datetime."]
        else:
            bounds[name] = value.astimezone(UTC)
    if len(bounds) == 2 and bounds["start_date"] > bounds["end_date"]:
        errors.setdefault("end_date", []).append("end_date must not be before start_date.")
    zone = data.get("time_zone")
    if zone is not None:
        try:
            parse_time_zone(zone)
        except ValueError:
            errors["time_zone"] = [f"Unknown time zone {str(zone)[:64]!r}."]
    return errors


def build_rule(data: Mapping[str, Any]) -> Rule:
    """Build a Rule from entry fields; raise ScheduleValidationError when they are invalid."""
    errors = validate_rule_fields(data)
    if errors:
        raise ScheduleValidationError(errors)
    return Rule(
        week_days=frozenset(data["week_days"]),
        start_time=parse_time_of_day(data["start_time"]),
        end_time=parse_time_of_day(data["end_time"]),
        months_of_year=frozenset(data.get("months_of_year") or ()),
        weeks_of_month=frozenset(data.get("weeks_of_month") or ()),
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
    )


# --------------------------------------------------------------------------- predicate


def day_matches(rule: Rule, d: date) -> bool:
    """Whether local date ``d`` satisfies the rule's month, week-of-month and week-day sets."""
    if rule.months_of_year and d.month not in rule.months_of_year:
        return False
    if d.isoweekday() % 7 not in rule.week_days:
        return False
    weeks = rule.weeks_of_month
    if weeks and (d.day + 6) // 7 not in weeks:
        days_in_month = calendar.monthrange(d.year, d.month)[1]
        if -((days_in_month - d.day) // 7 + 1) not in weeks:
            return False
    return True


def _require_aware(t: datetime) -> None:
    if t.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")


def is_active(rule: Rule, zone: ZoneInfo, t: datetime) -> bool:
    """Whether the rule is active at aware instant ``t`` (truncated to the second) in ``zone``."""
    _require_aware(t)
    tu = t.astimezone(UTC).replace(microsecond=0)
    if rule.start_date is not None and tu < rule.start_date:
        return False
    if rule.end_date is not None and tu > rule.end_date:
        return False
    local = tu.astimezone(zone)
    s = local.hour * 3600 + local.minute * 60 + local.second
    st, et = rule.start_time, rule.end_time
    if st < et:
        return st <= s <= et and day_matches(rule, local.date())
    if s >= st and day_matches(rule, local.date()):
        return True
    if s < et or (st > et and s == et):
        d = local.date()
        return d != date.min and day_matches(rule, d - timedelta(days=1))
    return False


# --------------------------------------------------------------------------- intervals


def _floor(t: datetime) -> int:
    """Whole seconds since the epoch, rounded down."""
    return (t - _EPOCH) // _SEC


def _ceil(t: datetime) -> int:
    return -((_EPOCH - t) // _SEC)


def _offset(zone: ZoneInfo, ts: int) -> int:
    return (_EPOCH + timedelta(seconds=ts)).astimezone(zone).utcoffset() // _SEC


def _pieces(zone: ZoneInfo, a: int, b: int) -> list[tuple[int, int, int]]:
    """Partition [a, b) (epoch seconds) into (start, end, utc_offset) runs of constant offset.

    Offsets are sampled every ``_STEP`` seconds; each change is located exactly by bisection.
    """
    out: list[tuple[int, int, int]] = []
    p, po = a, _offset(zone, a)
    t = a
    while t < b - 1:
        q = min(t + _STEP, b - 1)
        qo = _offset(zone, q)
        while qo != po:
            lo, hi = t, q  # offset(lo) == po != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == po:
                    lo = mid
                else:
                    hi = mid
            out.append((p, hi, po))
            p, po, t = hi, _offset(zone, hi), hi
        t = q
    out.append((p, b, po))
    return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping or adjacent half-open spans."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _rule_spans(rule: Rule, pieces: list[tuple[int, int, int]], a: int, b: int):
    """Merged epoch-second spans within [a, b) where the rule is active."""
    if rule.start_date is not None:
        a = max(a, _ceil(rule.start_date))
    if rule.end_date is not None:
        b = min(b, _floor(rule.end_date) + 1)
    if a >= b or not rule.week_days:
        return []
    offsets = [o for _, _, o in pieces]
    lo_off, hi_off = min(offsets), max(offsets)
    st, et = rule.start_time, rule.end_time
    w0, w1 = st, (et + 1 if st < et else DAY + et + 1 if st > et else DAY + et)
    # Wall-clock windows ("local epoch seconds") of matching days, merged.
    walls: list[list[int]] = []
    for day in range((a + lo_off) // DAY - 1, (b - 1 + hi_off) // DAY + 1):
        if day_matches(rule, date.fromordinal(day + _EPOCH_ORD)):
            ws, we = day * DAY + w0, day * DAY + w1
            if walls and ws <= walls[-1][1]:
                walls[-1][1] = max(walls[-1][1], we)
            else:
                walls.append([ws, we])
    # Preimage of a wall window on a constant-offset run is [ws - off, we - off) within the run.
    ends = [p1 for _, p1, _ in pieces]
    spans = []
    for ws, we in walls:
        i = bisect_right(ends, ws - hi_off)
        while i < len(pieces) and pieces[i][0] < we - lo_off:
            p0, p1, off = pieces[i]
            s, e = max(ws - off, p0, a), min(we - off, p1, b)
            if s < e:
                spans.append((s, e))
            i += 1
    return _merge(spans)


def _to_datetimes(spans, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    out = []
    for s, e in spans:
        ds, de = max(_EPOCH + timedelta(seconds=s), start), min(_EPOCH + timedelta(seconds=e), end)
        if ds < de:
            out.append((ds, de))
    return out


def _bounds(start: datetime, end: datetime) -> tuple[datetime, datetime, int, int]:
    _require_aware(start)
    _require_aware(end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return start, end, _floor(start), _ceil(end)


def active_intervals(
    rule: Rule, zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Sorted, merged half-open UTC intervals within [start, end) where ``is_active`` holds."""
    start, end, a, b = _bounds(start, end)
    if a >= b:
        return []
    return _to_datetimes(_rule_spans(rule, _pieces(zone, a, b), a, b), start, end)


@dataclass(frozen=True)
class Shift:
    """A member's merged on-call coverage, [start, end) in UTC."""

    member_id: str
    start: datetime
    end: datetime


def render_shifts(
    entries: Iterable[tuple[str, Rule, ZoneInfo]], start: datetime, end: datetime
) -> list[Shift]:
    """Per member, the merged union of their entries' intervals, sorted by (start, member_id)."""
    start, end, a, b = _bounds(start, end)
    if a >= b:
        return []
    pieces: dict[ZoneInfo, list[tuple[int, int, int]]] = {}
    per_member: dict[str, list[tuple[int, int]]] = {}
    for member_id, rule, zone in entries:
        if zone not in pieces:
            pieces[zone] = _pieces(zone, a, b)
        per_member.setdefault(member_id, []).extend(_rule_spans(rule, pieces[zone], a, b))
    shifts = [
        Shift(member_id, s, e)
        for member_id, spans in per_member.items()
        for s, e in _to_datetimes(_merge(spans), start, end)
    ]
    shifts.sort(key=lambda x: (x.start, x.member_id))
    return shifts


def gaps(
    shifts: Iterable[Shift], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The sub-intervals of [start, end) covered by no shift."""
    _require_aware(start)
    _require_aware(end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    out = []
    cursor = start
    for s, e in sorted((sh.start, sh.end) for sh in shifts):
        if e <= cursor:
            continue
        if s > cursor:
            if s >= end:
                break
            out.append((cursor, s))
        cursor = e
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end))
    return out


def on_call(entries: Iterable[tuple[str, Rule, ZoneInfo]], t: datetime) -> list[str]:
    """Sorted ids of the members with at least one entry active at ``t``."""
    return sorted({member_id for member_id, rule, zone in entries if is_active(rule, zone, t)})
