"""Ruleset use cases: create, update, delete and replace actions, with who may do it."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, Team, User
from accounts.permissions import Forbidden, ensure_team_manager
from audit import services as audit
from audit.models import AuditAction
from incidents.services import save_actions
from pinghome.api import Conflict
from rulesets.models import Level, Ruleset, RuleType


def rulesets_of(team: Team) -> tuple[str, list[str]]:
    """What keeps the team from being deleted (``accounts.services.delete_team``): the rulesets
    whose incidents it receives."""
    from accounts.services import named

    rulesets = Ruleset.objects.filter(team=team).order_by("name")
    return "rulesets", named(rulesets, lambda ruleset: f"{ruleset.name} ({ruleset.pk})")


def ensure_can_manage(user: User, *, level: str, team: Team) -> None:
    """Team rulesets are managed by the team's managers, organization rulesets by admins."""
    if user.is_org_admin:
        return
    if level == Level.ORGANIZATION:
        raise Forbidden("Only organization admins manage organization rulesets.")
    ensure_team_manager(user, team)


def _apply(ruleset: Ruleset, data: dict[str, Any]) -> None:
    webhook_ids = data.pop("webhook_ids", None)
    for field, value in data.items():
        setattr(ruleset, field, value)
    if ruleset.escalation_policy_id and ruleset.escalation_policy.team_id != ruleset.team_id:
        ruleset.escalation_policy = None  # its former team's: now its new team's default
    ruleset.updated_at = timezone.now()
    ruleset.save()
    if webhook_ids is not None:
        ruleset.webhooks.set(webhook_ids)


def _audited(ruleset: Ruleset) -> dict[str, Any]:
    """What the audit log keeps of a ruleset: its fields and the webhooks it listens to."""
    state = audit.snapshot(ruleset)
    state.pop("updated_at")
    state["webhook_ids"] = sorted(str(pk) for pk in ruleset.webhooks.values_list("pk", flat=True))
    return state


def _audited_actions(ruleset: Ruleset) -> dict[str, Any]:
    return {"actions": [{"type": a.type, "settings": a.settings} for a in ruleset.actions.all()]}


HEARTBEAT_MADE_BY_WEBHOOK = "a heartbeat ruleset comes with a webhook's expect_every_seconds"


def _check_heartbeat(ruleset: Ruleset | None, data: dict[str, Any]) -> None:
    """A heartbeat ruleset is made and removed with its webhook's heartbeat: it stays one, and
    what makes it a heartbeat (no conditions, no dedup key, its webhook alone) stays as is."""
    is_heartbeat = ruleset is not None and ruleset.rule_type == RuleType.HEARTBEAT
    if (data["rule_type"] == RuleType.HEARTBEAT) != is_heartbeat:
        reason = "a heartbeat ruleset stays one" if is_heartbeat else HEARTBEAT_MADE_BY_WEBHOOK
        raise ValidationError({"rule_type": [reason]})
    if not is_heartbeat:
        return
    fixed = {
        "conditions": [],
        "resolve_conditions": None,
        "dedup_key": "",
        "webhook_ids": [ruleset.heartbeat_of_id],
        "auto_resolve_after_seconds": None,  # its next event resolves it
    }
    errors = {
        field: ["fixed for a heartbeat ruleset"]
        for field, value in fixed.items()
        if field in data and data[field] != value
    }
    if errors:
        raise ValidationError(errors)
    for field in fixed:
        data.pop(field, None)


@transaction.atomic
def create_ruleset(organization: Organization, *, by: User, data: dict[str, Any]) -> Ruleset:
    data = dict(data)
    _check_heartbeat(None, data)
    ensure_can_manage(by, level=data["level"], team=data["team"])
    ruleset = Ruleset(organization=organization, created_by=by)
    _apply(ruleset, data)
    audit.record(by, AuditAction.CREATED, ruleset, after=_audited(ruleset))
    return ruleset


@transaction.atomic
def update_ruleset(ruleset: Ruleset, *, by: User, data: dict[str, Any]) -> Ruleset:
    """Replaces the documented fields; extensions left out of ``data`` keep their value.

    ``assignees`` is a documented (optional) field: left out, the ruleset has none.
    """
    ruleset = Ruleset.objects.select_for_update().get(pk=ruleset.pk)
    ensure_can_manage(by, level=ruleset.level, team=ruleset.team)
    data = {"assignees": [], **data}
    _check_heartbeat(ruleset, data)
    ensure_can_manage(by, level=data["level"], team=data["team"])
    before = _audited(ruleset)
    _apply(ruleset, data)
    audit.record_update(by, ruleset, before, _audited(ruleset))
    return ruleset


@transaction.atomic
def delete_ruleset(ruleset: Ruleset, *, by: User) -> None:
    ensure_can_manage(by, level=ruleset.level, team=ruleset.team)
    if ruleset.heartbeat_of_id is not None:
        raise Conflict(
            "This ruleset is a webhook's heartbeat: switch the heartbeat off on the webhook "
            "(expect_every_seconds null) instead."
        )
    audit.record(by, AuditAction.DELETED, ruleset, before=_audited(ruleset))
    ruleset.delete()


@transaction.atomic
def replace_actions(ruleset: Ruleset, *, by: User, actions: list[dict[str, Any]]) -> None:
    ensure_can_manage(by, level=ruleset.level, team=ruleset.team)
    before = _audited_actions(ruleset)
    save_actions(ruleset.actions, actions, delete_missing=True)
    audit.record_update(by, ruleset, before, _audited_actions(ruleset))
