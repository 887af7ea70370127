"""Calendar layout of on-call shifts: pure functions placing shifts and gaps on local days.

A day is the interval between two local midnights of the team's time zone (23 or 25 hours on
daylight-saving days), so a block's position is its share of that interval. Shifts overlapping
within a day get lanes side by side. No database, no Django.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedules.recurrence import Shift, parse_time_zone

WEEK, MONTH = "week", "month"
GOLDEN_ANGLE = 137.508


def zone_of(name: str | None, fallback: str | None = None) -> ZoneInfo:
    """The time zone ``name``, else ``fallback``, else UTC (a stored name may be stale)."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return parse_time_zone(candidate)
            except ValueError:
                continue
    return ZoneInfo("UTC")


def member_colours(member_ids: Iterable[str]) -> dict[str, str]:
    """A distinct hue per member in a stable order (the team's membership order)."""
    return {
        member: f"hsl({(210 + index * GOLDEN_ANGLE) % 360:.0f} 62% 40%)"
        for index, member in enumerate(member_ids)
    }


@dataclass(frozen=True)
class Period:
    view: str
    first: date  # first local day shown
    last: date  # last local day shown (inclusive)
    anchor: date  # the date the period was asked for
    previous: date
    next: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def month(self) -> tuple[int, int]:
        return self.anchor.year, self.anchor.month


def period(view: str, anchor: date) -> Period:
    """The week (Monday to Sunday) or the month (whole weeks covering it) containing ``anchor``."""
    if view == MONTH:
        first_of_month = anchor.replace(day=1)
        days_in_month = calendar.monthrange(anchor.year, anchor.month)[1]
        last_of_month = anchor.replace(day=days_in_month)
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        following = last_of_month + timedelta(days=1)
        return Period(
            MONTH,
            first_of_month - timedelta(days=first_of_month.weekday()),
            last_of_month + timedelta(days=6 - last_of_month.weekday()),
            first_of_month,
            previous,
            following,
        )
    monday = anchor - timedelta(days=anchor.weekday())
    return Period(
        WEEK,
        monday,
        monday + timedelta(days=6),
        anchor,
        monday - timedelta(days=7),
        monday + timedelta(days=7),
    )


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the local ``day`` starts in ``zone``."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Block:
    """A shift (or a gap, ``member_id`` None) clipped to one day; positions in percent."""

    member_id: str | None
    start: datetime  # clipped to the day, UTC
    end: datetime
    shift_start: datetime  # the whole shift or gap
    shift_end: datetime
    offset: float  # from the start of the day
    size: float  # share of the day
    label: str  # local "HH:MM–HH:MM" within the day
    lane: int = 0
    lanes: int = 1
    name: str = ""
    colour: str = ""
    source: str = ""  # where the shift came from, in words

    @property
    def lane_offset(self) -> float:
        return round(100 * self.lane / self.lanes, 3)

    @property
    def lane_size(self) -> float:
        return round(100 / self.lanes, 3)


@dataclass
class Day:
    date: date
    start: datetime
    end: datetime
    in_period: bool = True
    now_offset: float | None = None  # where "now" falls in the day, when it does
    shifts: list[Block] = field(default_factory=list)
    gaps: list[Block] = field(default_factory=list)

    @property
    def lanes(self) -> int:
        return max((block.lanes for block in self.shifts), default=1)


def _clip(
    member_id: str | None, start: datetime, end: datetime, day: Day, zone: ZoneInfo
) -> Block | None:
    s, e = max(start, day.start), min(end, day.end)
    if s >= e:
        return None
    length = (day.end - day.start).total_seconds()

    def hhmm(t: datetime) -> str:
        return "24:00" if t == day.end else t.astimezone(zone).strftime("%H:%M")

    return Block(
        member_id,
        s,
        e,
        start,
        end,
        offset=round(100 * (s - day.start).total_seconds() / length, 3),
        size=round(100 * (e - s).total_seconds() / length, 3),
        label=f"{hhmm(s)}–{hhmm(e)}",
    )


def _with_lanes(blocks: list[Block]) -> list[Block]:
    """Greedy interval partitioning: each block takes the first lane free at its start."""
    lane_ends: list[datetime] = []
    placed = []
    for block in sorted(blocks, key=lambda b: (b.start, b.end, b.member_id or "")):
        lane = next((i for i, end in enumerate(lane_ends) if end <= block.start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(block.end)
        else:
            lane_ends[lane] = block.end
        placed.append((block, lane))
    lanes = max(len(lane_ends), 1)
    return [replace(block, lane=lane, lanes=lanes) for block, lane in placed]


def lay_out(
    days: Iterable[date],
    zone: ZoneInfo,
    shifts: Iterable[Shift],
    gaps: Iterable[tuple[datetime, datetime]],
    *,
    names: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    sources: Mapping[str, str] | None = None,
    month: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> list[Day]:
    """Days with their shift and gap blocks; days outside ``month`` are marked out of period."""
    names, colours, sources = names or {}, colours or {}, sources or {}
    shifts, gaps = list(shifts), list(gaps)
    result = []
    for d in days:
        day = Day(d, local_midnight(d, zone), local_midnight(d + timedelta(days=1), zone))
        day.in_period = month is None or (d.year, d.month) == month
        if now is not None and day.start <= now < day.end:
            day.now_offset = round(100 * (now - day.start) / (day.end - day.start), 3)
        blocks = []
        for shift in shifts:
            block = _clip(shift.member_id, shift.start, shift.end, day, zone)
            if block is not None:
                blocks.append(
                    replace(
                        block,
                        name=names.get(shift.member_id, "unknown member"),
                        colour=colours.get(shift.member_id, "#667085"),
                        source=sources.get(getattr(shift, "source", ""), ""),
                    )
                )
        day.shifts = _with_lanes(blocks)
        day.gaps = [g for g in (_clip(None, s, e, day, zone) for s, e in gaps) if g is not None]
        result.append(day)
    return result


def weeks(days: list[Day]) -> list[list[Day]]:
    """Days in rows of seven (the month view)."""
    return [days[i : i + 7] for i in range(0, len(days), 7)]
