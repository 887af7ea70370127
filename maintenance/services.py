"""Maintenance window use cases: create, change and delete them (with who may), open what is
still failing once they end, and what a public status page announces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, Team, User
from accounts.permissions import Forbidden, ensure_team_manager
from audit import services as audit
from audit.models import AuditAction
from incidents import services as incidents
from incidents.actions.trigger_alerts import NAME as TRIGGER_ALERTS
from maintenance import windows
from maintenance.models import MaintenanceWindow
from rulesets import evaluation
from rulesets import services as ruleset_services
from rulesets.models import DedupState, Ruleset, RulesetAction
from statuspages.models import Component, StatusPage
from webhooks import services as webhook_services
from webhooks.models import Webhook, WebhookEvent

SCOPES = ("webhooks", "rulesets", "teams")


def ensure_can_manage(
    user: User,
    *,
    webhooks: Iterable[Webhook] = (),
    rulesets: Iterable[Ruleset] = (),
    teams: Iterable[Team] = (),
) -> None:
    """Organization admins silence anything; a window of no scope (the whole organization) is
    theirs alone. Others must manage every team, ruleset and webhook the window names."""
    if user.is_org_admin:
        return
    webhooks, rulesets, teams = list(webhooks), list(rulesets), list(teams)
    if not (webhooks or rulesets or teams):
        raise Forbidden("Only organization admins silence the whole organization.")
    for team in teams:
        ensure_team_manager(user, team)
    for ruleset in rulesets:
        ruleset_services.ensure_can_manage(user, level=ruleset.level, team=ruleset.team)
    for webhook in webhooks:
        webhook_services.ensure_can_change(user, webhook)


def _scope(window: MaintenanceWindow) -> dict[str, list[Any]]:
    return {
        "webhooks": list(window.webhooks.select_related("team")),
        "rulesets": list(window.rulesets.select_related("team")),
        "teams": list(window.teams.all()),
    }


def _new_scope(data: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: data.get(name) or [] for name in SCOPES}


def _audited(window: MaintenanceWindow) -> dict[str, Any]:
    state = audit.snapshot(window, ["reason", "start", "end", "recurrence"])
    for name in SCOPES:
        ids = getattr(window, name).values_list("pk", flat=True)
        state[f"{name[:-1]}_ids"] = sorted(str(pk) for pk in ids)
    return state


def _apply(window: MaintenanceWindow, data: dict[str, Any]) -> None:
    for field in ("reason", "start", "end", "recurrence"):
        setattr(window, field, data.get(field))
    window.updated_at = timezone.now()
    window.save()
    for name in SCOPES:
        getattr(window, name).set(data.get(name) or [])


@transaction.atomic
def create_window(
    organization: Organization, *, by: User, data: dict[str, Any]
) -> MaintenanceWindow:
    """``data``: reason, start, end, recurrence and the objects of webhooks, rulesets, teams."""
    ensure_can_manage(by, **_new_scope(data))
    window = MaintenanceWindow(organization=organization, created_by=by)
    _apply(window, data)
    audit.record(by, AuditAction.CREATED, window, after=_audited(window))
    return window


@transaction.atomic
def update_window(window: MaintenanceWindow, *, by: User, data: dict[str, Any]) -> None:
    """Replaces every field; who changes it must be allowed both the old and the new scope."""
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    ensure_can_manage(by, **_scope(window))
    ensure_can_manage(by, **_new_scope(data))
    before = _audited(window)
    _apply(window, data)
    audit.record_update(by, window, before, _audited(window))


@transaction.atomic
def delete_window(window: MaintenanceWindow, *, by: User) -> None:
    """Ends it at once: what it kept silent and still fails opens at the next periodic check."""
    ensure_can_manage(by, **_scope(window))
    audit.record(by, AuditAction.DELETED, window, before=_audited(window))
    window.delete()


# --- once a window ends ------------------------------------------------------------------------

REOPEN_BATCH = 500


def open_still_failing(now: datetime | None = None) -> int:
    """Open the incident of every key whose last event was suppressed while failing and that no
    window covers any more (its window ended, was deleted, or its weekly time is over), if that
    event still matches. Through the ruleset machinery, under the key's lock; idempotent (the
    key's mark is cleared in the same transaction). How many incidents it opened."""
    now = now or timezone.now()
    active = [w for w in windows.load(ending_after=now) if w.active_at(now)]
    marked = DedupState.objects.filter(suppressed_by__isnull=False).exclude(
        suppressed_by__in=[w.id for w in active]
    )
    return sum(
        _open_if_still_failing(state_id, now, active)
        for state_id in marked.values_list("pk", flat=True)[:REOPEN_BATCH]
    )


@transaction.atomic
def _open_if_still_failing(state_id: Any, now: datetime, active: list[windows.Window]) -> bool:
    state = (
        DedupState.objects.select_for_update()
        .filter(pk=state_id, suppressed_by__isnull=False)
        .first()
    )
    if state is None:  # done by another run, or a later event applied meanwhile
        return False
    ended, state.suppressed_by = state.suppressed_by, None
    ruleset = (
        Ruleset.objects.filter(pk=state.ruleset_id, enabled=True)
        .select_related("team")
        .prefetch_related("actions")
        .first()
    )
    event = WebhookEvent.objects.filter(pk=state.last_event_id).first()
    opened = False
    if ruleset is not None and event is not None:
        still = windows.suppressing(ruleset, webhook_id=event.webhook_id, at=now, windows=active)
        if still is not None:  # another window covers it now: it opens when that one ends
            state.suppressed_by = still.id
        else:
            opened = _open_if_matching(ruleset, state, event, ended)
    state.save(update_fields=["suppressed_by"])
    return opened


def _open_if_matching(ruleset: Ruleset, state: DedupState, event: WebhookEvent, ended) -> bool:
    try:
        decision = evaluation.decide(ruleset, event, evaluation.event_view(event))
    except Exception:  # noqa: BLE001 - changed since, and now beyond a limit or invalid
        return False
    if decision.intent != "open" or decision.dedup_key != state.dedup_key:
        return False  # the ruleset changed since: its last event no longer says failing
    book = incidents.RuleIncidents([(ruleset.pk, state.dedup_key)])
    _, opened = book.open_or_attach(
        ruleset,
        dedup_key=state.dedup_key,
        event=event,
        name=decision.name or ruleset.name,
        description=decision.description,
        message=(
            f"Opened by ruleset {ruleset.name} once maintenance ended: its last event, "
            "suppressed, still matches"
        ),
        data={"maintenance_window_id": str(ended)},
    )
    book.keep()
    book.flush()
    return opened


# --- status pages ------------------------------------------------------------------------------

ANNOUNCED_AHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Announcement:
    """What a public page shows of a window: plain values, nothing internal."""

    reason: str
    start: datetime
    end: datetime
    active: bool
    components: list[str]


def announced(
    page: StatusPage, components: list[Component], now: datetime | None = None
) -> list[Announcement]:
    """Windows active now or starting within ``ANNOUNCED_AHEAD`` that cover a ruleset holding
    one of the page's ``components`` (its ``trigger-alerts`` actions), with their next time."""
    now = now or timezone.now()
    soon = []
    for window in windows.load(ending_after=now, organization_id=page.organization_id):
        # From a day back: an occurrence under way is shown from its start.
        times = [
            (start, end)
            for start, end in window.occurrences(now - timedelta(days=1), now + ANNOUNCED_AHEAD)
            if end > now
        ]
        if times:
            soon.append((window, times[0]))
    if not soon:
        return []
    names = {str(c.pk): c.public_name for c in components}
    held: dict[Any, set[str]] = {}  # ruleset id -> names of this page's components it holds
    team_of: dict[Any, Any] = {}
    actions = RulesetAction.objects.filter(
        type=TRIGGER_ALERTS, ruleset__organization_id=page.organization_id
    ).values_list("ruleset_id", "ruleset__team_id", "settings")
    for ruleset_id, team_id, settings in actions:
        for setting in settings if isinstance(settings, list) else []:
            name = names.get(str(setting.get("component_id")))
            if name is not None:
                held.setdefault(ruleset_id, set()).add(name)
                team_of[ruleset_id] = team_id
    listening: dict[Any, set] = {ruleset_id: set() for ruleset_id in held}
    for ruleset_id, webhook_id in Ruleset.webhooks.through.objects.filter(
        ruleset_id__in=held
    ).values_list("ruleset_id", "webhook_id"):
        listening[ruleset_id].add(webhook_id)
    shown = []
    for window, (start, end) in soon:
        affected = set()
        for ruleset_id, names_held in held.items():
            # A ruleset listening to every webhook hears the window's webhooks too.
            heard = listening[ruleset_id] or window.webhook_ids or {None}
            if any(
                window.covers(webhook_id=w, ruleset_id=ruleset_id, team_id=team_of[ruleset_id])
                for w in heard
            ):
                affected |= names_held
        if affected:
            shown.append(
                Announcement(window.reason, start, end, window.active_at(now), sorted(affected))
            )
    return sorted(shown, key=lambda a: (a.start, a.end, a.reason))
