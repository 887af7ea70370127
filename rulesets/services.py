"""Ruleset use cases: create, update, delete and replace actions, with who may do it."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from accounts.models import Organization, Team, User
from incidents.services import save_actions
from rulesets.models import Level, Ruleset


def ensure_can_manage(user: User, *, level: str, team: Team) -> None:
    """Team rulesets are managed by the team's members, organization rulesets by admins."""
    if user.is_org_admin:
        return
    if level == Level.ORGANIZATION:
        raise PermissionDenied("Only organization admins manage organization rulesets.")
    if not team.members.filter(user=user).exists():
        raise PermissionDenied("Only members of the team manage its rulesets.")


def _apply(ruleset: Ruleset, data: dict[str, Any]) -> None:
    webhook_ids = data.pop("webhook_ids", None)
    for field, value in data.items():
        setattr(ruleset, field, value)
    ruleset.updated_at = timezone.now()
    ruleset.save()
    if webhook_ids is not None:
        ruleset.webhooks.set(webhook_ids)


@transaction.atomic
def create_ruleset(organization: Organization, *, by: User, data: dict[str, Any]) -> Ruleset:
    data = dict(data)
    ensure_can_manage(by, level=data["level"], team=data["team"])
    ruleset = Ruleset(organization=organization, created_by=by)
    _apply(ruleset, data)
    return ruleset


@transaction.atomic
def update_ruleset(ruleset: Ruleset, *, by: User, data: dict[str, Any]) -> Ruleset:
    """Replaces the documented fields; extensions left out of ``data`` keep their value.

    ``assignees`` is a documented (optional) field: left out, the ruleset has none.
    """
    ruleset = Ruleset.objects.select_for_update().get(pk=ruleset.pk)
    ensure_can_manage(by, level=ruleset.level, team=ruleset.team)
    data = {"assignees": [], **data}
    ensure_can_manage(by, level=data["level"], team=data["team"])
    _apply(ruleset, data)
    return ruleset


def delete_ruleset(ruleset: Ruleset, *, by: User) -> None:
    ensure_can_manage(by, level=ruleset.level, team=ruleset.team)
    ruleset.delete()


@transaction.atomic
def replace_actions(ruleset: Ruleset, *, by: User, actions: list[dict[str, Any]]) -> None:
    ensure_can_manage(by, level=ruleset.level, team=ruleset.team)
    save_actions(ruleset.actions, actions, delete_missing=True)
