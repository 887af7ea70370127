"""Overrides applied on top of rendered entries (pure functions, no database).

Semantics, for each instant: ``base`` = members with an active entry. Each active override that
names ``replaces`` swaps that member for its own while the replaced member would be on call by
the entries (it adds no one when they would not be; replacements never chain). Active overrides
without ``replaces`` take precedence over everyone: while any is active, exactly their members
are on call.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schedules.recurrence import Shift


@dataclass(frozen=True)
class OverrideSpan:
    member_id: str
    start: datetime  # inclusive
    end: datetime  # exclusive
    replaces: str | None = None


def resolve(base: Iterable[str], active: Iterable[OverrideSpan]) -> set[str]:
    """Who is on call given the entry members and the overrides active at that instant.

    Replacements apply to the entry members only (never chained), so the order of overrides
    does not matter.
    """
    members = set(base)
    active = list(active)
    takeover = {o.member_id for o in active if o.replaces is None}
    if takeover:
        return takeover
    swaps = [o for o in active if o.replaces in members]
    return (members - {o.replaces for o in swaps}) | {o.member_id for o in swaps}


def on_call_at(base: Iterable[str], overrides: Iterable[OverrideSpan], t: datetime) -> list[str]:
    return sorted(resolve(base, [o for o in overrides if o.start <= t < o.end]))


def apply_overrides(
    shifts: list[Shift], overrides: Iterable[OverrideSpan], start: datetime, end: datetime
) -> list[Shift]:
    """Shifts of [start, end) once overrides apply: a sweep over every boundary instant."""
    overrides = [o for o in overrides if o.start < end and o.end > start]
    if not overrides:
        return shifts
    changes: dict[datetime, list[tuple[int, object]]] = {}
    for shift in shifts:
        changes.setdefault(shift.start, []).append((+1, shift.member_id))
        changes.setdefault(shift.end, []).append((-1, shift.member_id))
    for override in overrides:
        changes.setdefault(max(override.start, start), []).append((+1, override))
        changes.setdefault(min(override.end, end), []).append((-1, override))
    base: dict[str, int] = {}
    active: dict[OverrideSpan, int] = {}
    opened: dict[str, datetime] = {}
    result: list[Shift] = []
    for instant in sorted(changes):
        for delta, item in changes[instant]:
            counts = active if isinstance(item, OverrideSpan) else base
            counts[item] = counts.get(item, 0) + delta
        members = resolve(
            [m for m, n in base.items() if n > 0], [o for o, n in active.items() if n > 0]
        )
        if instant >= end:
            members = set()
        for member in list(opened):
            if member not in members:
                result.append(Shift(member, opened.pop(member), instant))
        for member in members:
            opened.setdefault(member, instant)
    result.sort(key=lambda s: (s.start, s.member_id))
    return result
