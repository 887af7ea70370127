"""Maintenance windows as evaluation reads them: plain values, kept a second per process.

An event is suppressed for a ruleset when a window of the organization covers the ruleset (its
webhook, itself or its team; a window of no scope covers everything) and is active at the
instant the event was received.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from accounts.models import Team
from maintenance.models import MaintenanceWindow
from pinghome.memo import ShortLived
from rulesets.models import Ruleset
from schedules.recurrence import Rule, active_intervals, build_rule, is_active, parse_time_zone
from webhooks.models import Webhook

# An event evaluated this long after it was received still meets the windows it was received in
# (a backlog); older windows are not loaded.
LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    id: Any
    organization_id: Any
    reason: str
    start: datetime
    end: datetime
    weekly: tuple[Rule, ZoneInfo] | None
    webhook_ids: frozenset
    ruleset_ids: frozenset
    team_ids: frozenset

    @property
    def organization_wide(self) -> bool:
        return not (self.webhook_ids or self.ruleset_ids or self.team_ids)

    def covers(self, *, webhook_id: Any, ruleset_id: Any, team_id: Any) -> bool:
        return (
            self.organization_wide
            or webhook_id in self.webhook_ids
            or ruleset_id in self.ruleset_ids
            or team_id in self.team_ids
        )

    def active_at(self, t: datetime) -> bool:
        if not self.start <= t < self.end:
            return False
        return self.weekly is None or is_active(*self.weekly, t)

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """When the window is active within [start, end), as half-open intervals."""
        lo, hi = max(start, self.start), min(end, self.end)
        if lo >= hi:
            return []
        if self.weekly is None:
            return [(self.start, self.end)]
        return active_intervals(*self.weekly, lo, hi)


def weekly_rule(recurrence: dict[str, Any] | None) -> tuple[Rule, ZoneInfo] | None:
    """The stored recurrence (validated on write) as the schedules' recurrence rule."""
    if not recurrence:
        return None
    rule = build_rule({key: recurrence[key] for key in ("week_days", "start_time", "end_time")})
    return rule, parse_time_zone(recurrence.get("time_zone") or "UTC")


def window(model: MaintenanceWindow) -> Window:
    """Of a window loaded with ``SCOPE`` prefetched."""
    return Window(
        id=model.pk,
        organization_id=model.organization_id,
        reason=model.reason,
        start=model.start,
        end=model.end,
        weekly=weekly_rule(model.recurrence),
        webhook_ids=frozenset(w.pk for w in model.webhooks.all()),
        ruleset_ids=frozenset(r.pk for r in model.rulesets.all()),
        team_ids=frozenset(t.pk for t in model.teams.all()),
    )


SCOPE = (
    Prefetch("webhooks", queryset=Webhook.objects.only("id")),
    Prefetch("rulesets", queryset=Ruleset.objects.only("id")),
    Prefetch("teams", queryset=Team.objects.only("id")),
)


def load(*, ending_after: datetime, organization_id: Any = None) -> list[Window]:
    """Windows that end after this instant (of one organization, or of all)."""
    windows = MaintenanceWindow.objects.filter(end__gt=ending_after)
    if organization_id is not None:
        windows = windows.filter(organization_id=organization_id)
    return [window(model) for model in windows.prefetch_related(*SCOPE)]


# A storm of chunks reads an organization's windows once a second per process, like its rulesets.
_windows = ShortLived(seconds=1.0)


def of_organization(organization_id: Any) -> list[Window]:
    """The organization's windows that can still matter to evaluation (kept a second)."""
    return _windows.get(
        organization_id,
        lambda: load(ending_after=timezone.now() - LOOKBACK, organization_id=organization_id),
    )


post_save.connect(_windows.clear, sender=MaintenanceWindow, weak=False)
post_delete.connect(_windows.clear, sender=MaintenanceWindow, weak=False)
for _through in (
    MaintenanceWindow.webhooks.through,
    MaintenanceWindow.rulesets.through,
    MaintenanceWindow.teams.through,
):
    m2m_changed.connect(_windows.clear, sender=_through, weak=False)


def suppressing(
    ruleset: Ruleset, *, webhook_id: Any, at: datetime, windows: Iterable[Window] | None = None
) -> Window | None:
    """The first window (of ``windows``, else the organization's) active at ``at`` that covers
    the ruleset listening to this webhook; None when none does."""
    if windows is None:
        windows = of_organization(ruleset.organization_id)
    for candidate in windows:
        if (
            candidate.organization_id == ruleset.organization_id
            and candidate.covers(
                webhook_id=webhook_id, ruleset_id=ruleset.pk, team_id=ruleset.team_id
            )
            and candidate.active_at(at)
        ):
            return candidate
    return None
