"""The final schedule: layers, then overrides (pure functions, no database).

At each instant the highest layer that has someone on call wins: rotations are layers 1 and up
(a higher number wins), the documented entries are layer 0, below every rotation. Overrides then
apply on top of the winning layer's members (``schedules.overrides`` semantics). Each final
shift says where it came from: ``"entry"``, ``"override"`` or the id of the rotation.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from schedules.overrides import OverrideSpan, resolve
from schedules.rotations import Span

ENTRY, OVERRIDE = "entry", "override"
ENTRY_LAYER = 0


@dataclass(frozen=True)
class FinalShift:
    """A member on call over [start, end) in UTC, and where that came from."""

    member_id: str
    start: datetime
    end: datetime
    source: str


def winning(layered: Iterable[tuple[str, int, str]]) -> dict[str, str]:
    """``{member: source}`` of the highest layer among ``(member, layer, source)`` on call."""
    layered = list(layered)
    if not layered:
        return {}
    top = max(layer for _, layer, _ in layered)
    chosen: dict[str, str] = {}
    for member, layer, source in sorted(layered, key=lambda x: (x[0], x[2])):
        if layer == top:
            chosen.setdefault(member, source)
    return chosen


def final_members(base: dict[str, str], overrides: Iterable[OverrideSpan]) -> dict[str, str]:
    """``{member: source}`` once the active overrides apply to the winning layer's members."""
    overrides = list(overrides)
    members = resolve(base, overrides)
    takeover = any(o.replaces is None for o in overrides)
    return {m: base[m] if m in base and not takeover else OVERRIDE for m in members}


def on_call_at(
    layered: Iterable[tuple[str, int, str]], overrides: Iterable[OverrideSpan], t: datetime
) -> dict[str, str]:
    """Who is on call at ``t`` and why, from the layers' members at ``t``."""
    return final_members(winning(layered), [o for o in overrides if o.start <= t < o.end])


def final_shifts(
    spans: Iterable[Span], overrides: Iterable[OverrideSpan], start: datetime, end: datetime
) -> list[FinalShift]:
    """The final shifts of [start, end): a sweep over every boundary of layers and overrides."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    changes: dict[datetime, list[tuple[int, object]]] = {start: [], end: []}
    for span in spans:
        s, e = max(span.start, start), min(span.end, end)
        if s < e:
            key = (span.member_id, span.layer, span.source)
            changes.setdefault(s, []).append((+1, key))
            changes.setdefault(e, []).append((-1, key))
    for override in overrides:
        s, e = max(override.start, start), min(override.end, end)
        if s < e:
            changes.setdefault(s, []).append((+1, override))
            changes.setdefault(e, []).append((-1, override))
    layered: dict[tuple[str, int, str], int] = {}
    active: dict[OverrideSpan, int] = {}
    opened: dict[tuple[str, str], datetime] = {}
    result: list[FinalShift] = []
    for instant in sorted(changes):
        for delta, item in changes[instant]:
            counts = active if isinstance(item, OverrideSpan) else layered
            counts[item] = counts.get(item, 0) + delta
        now = set()
        if instant < end:
            base = winning(key for key, n in layered.items() if n > 0)
            now = set(final_members(base, [o for o, n in active.items() if n > 0]).items())
        for key in list(opened):
            if key not in now:
                result.append(FinalShift(key[0], opened.pop(key), instant, key[1]))
        for key in now:
            opened.setdefault(key, instant)
    result.sort(key=lambda s: (s.start, s.member_id, s.source))
    return result
