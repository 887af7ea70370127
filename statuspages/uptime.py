"""A component's history as daily rollups (UTC days), and the uptime bars read from them.

Each closed period of a status (from one change to the next) adds its seconds to the rows of the
days it covers (``ComponentDay``), in the transaction of the change; the open period, since
``Component.updated_at``, is added when read. A day's bar takes the worst status held that day;
its uptime is the share of the day (since the component was created) spent neither in a partial
nor in a major outage.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from statuspages.models import Component, ComponentDay, ComponentStatus

HISTORY_DAYS = 90
DAY_SECONDS = 86400
# ComponentDay's column of each status that is not operational.
COLUMNS = {
    ComponentStatus.DEGRADED: "degraded_seconds",
    ComponentStatus.PARTIAL_OUTAGE: "partial_outage_seconds",
    ComponentStatus.MAJOR_OUTAGE: "major_outage_seconds",
}
DOWN = (ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE)
OPERATIONAL = str(ComponentStatus.OPERATIONAL)
SEVERITY = {status: ComponentStatus.severity(status) for status in ComponentStatus}


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def split_by_day(start: datetime, end: datetime) -> list[tuple[date, int]]:
    """The whole seconds of [start, end) on each UTC day it covers."""
    parts = []
    day = start.astimezone(UTC).date()
    while midnight(day) < end:
        spent = int(
            (min(end, midnight(day + timedelta(1))) - max(start, midnight(day))).total_seconds()
        )
        if spent > 0:
            parts.append((day, spent))
        day += timedelta(1)
    return parts


def add_period(component: Component, status: str, start: datetime, end: datetime) -> None:
    """Add [start, end) spent in ``status`` to the component's days (row locked by the caller)."""
    column = COLUMNS.get(ComponentStatus(status))
    parts = split_by_day(start, end) if column else []
    if not parts:
        return
    rows = {
        row.day: row
        for row in ComponentDay.objects.filter(
            component=component, day__in=[day for day, _ in parts]
        )
    }
    new = []
    for day, seconds in parts:
        row = rows.get(day) or ComponentDay(component=component, day=day)
        setattr(row, column, getattr(row, column) + seconds)
        if row.pk is None:
            new.append(row)
        else:
            row.save(update_fields=[column])
    ComponentDay.objects.bulk_create(new)


@dataclass(frozen=True)
class DayBar:
    day: date
    status: str | None  # the worst held that day; None before the component existed
    uptime: float | None  # share of the day up (0 to 1); None before the component existed
    down_seconds: int

    @property
    def percent(self) -> str:
        return percent(self.uptime)


@dataclass(frozen=True)
class History:
    bars: list[DayBar]
    uptime: float | None  # over every day shown

    @property
    def percent(self) -> str:
        return percent(self.uptime)


def percent(share: float | None) -> str:
    """``0.99953`` as ``99.95 %``, rounded down: a day with any downtime is never 100 %."""
    if share is None:
        return "no data"
    return f"{int(share * 10000) / 100:.2f} %"


def histories(
    components: list[Component], now: datetime, days: int = HISTORY_DAYS
) -> dict[object, History]:
    """The last ``days`` UTC days of each component, today last: one query for all."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days - 1)
    seconds: dict[tuple, dict[str, int]] = {}
    rows = ComponentDay.objects.filter(component__in=components, day__gte=first).values_list(
        "component_id", "day", *COLUMNS.values()
    )
    for component_id, day, *values in rows:
        seconds[(component_id, day)] = dict(zip(COLUMNS, values, strict=True))
    result = {}
    for component in components:
        column = COLUMNS.get(ComponentStatus(component.status))
        if column:  # the open period
            for day, spent in split_by_day(max(component.updated_at, midnight(first)), now):
                held = seconds.setdefault((component.pk, day), dict.fromkeys(COLUMNS, 0))
                held[ComponentStatus(component.status)] += spent
        bars, total_up, total = [], 0, 0
        for n in range(days):
            day = first + timedelta(n)
            start = max(midnight(day), component.created_at)
            end = min(midnight(day + timedelta(1)), now)
            if end <= start:
                bars.append(DayBar(day, None, None, 0))
                continue
            elapsed = (end - start).total_seconds()
            total += elapsed
            held = seconds.get((component.pk, day))
            if not held:  # most days: nothing but operational
                bars.append(DayBar(day, OPERATIONAL, 1.0, 0))
                total_up += elapsed
                continue
            worst = max(
                (status for status, spent in held.items() if spent),
                key=SEVERITY.__getitem__,
                default=OPERATIONAL,
            )
            down = min(sum(held[status] for status in DOWN), int(elapsed))
            bars.append(DayBar(day, str(worst), 1 - down / elapsed, down))
            total_up += elapsed - down
        result[component.pk] = History(bars, total_up / total if total else None)
    return result
