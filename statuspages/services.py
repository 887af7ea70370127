"""Status pages and components: organization admins change them (they are public), audited.

A component a ruleset's ``trigger-alerts`` action names cannot be deleted (409 naming the
rulesets): removing it from the actions silently would change what the rulesets do.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import ensure_org_admin
from audit import services as audit
from audit.models import AuditAction
from incidents.models import IncidentStatus
from pinghome.api import Conflict, parse_uuid
from rulesets.models import RulesetAction
from statuspages.models import Component, ComponentHold, ComponentStatus, StatusPage


def _in(page: StatusPage) -> dict[str, Any]:
    return {"organization_id": page.organization_id}


@transaction.atomic
def create_status_page(
    organization: Organization, *, name: str, by: User | None = None
) -> StatusPage:
    """``by`` None: the system (no permission asked)."""
    if by is not None:
        ensure_org_admin(by)
    page = StatusPage.objects.create(organization=organization, name=name)
    audit.record(by, AuditAction.CREATED, page, after=audit.snapshot(page, ["name"]))
    return page


@transaction.atomic
def rename_status_page(page: StatusPage, *, by: User, name: str) -> StatusPage:
    ensure_org_admin(by)
    with audit.recorded(by, page, fields=["name"]):
        page.name = name
        page.save(update_fields=["name"])
    return page


@transaction.atomic
def delete_status_page(page: StatusPage, *, by: User) -> None:
    """With its components; refused (409) while a ruleset's action names one of them."""
    ensure_org_admin(by)
    _ensure_unused(page, [str(pk) for pk in page.components.values_list("pk", flat=True)])
    before = {
        "name": page.name,
        "components": list(page.components.order_by("name").values_list("name", flat=True)),
    }
    audit.record(by, AuditAction.DELETED, page, before=before)
    page.delete()


@transaction.atomic
def add_component(status_page: StatusPage, *, name: str, by: User | None = None) -> Component:
    """``by`` None: the system (no permission asked)."""
    if by is not None:
        ensure_org_admin(by)
    component = Component.objects.create(status_page=status_page, name=name)
    audit.record(
        by,
        AuditAction.CREATED,
        component,
        after=audit.snapshot(component, ["status_page_id", "name"]),
        **_in(status_page),
    )
    return component


@transaction.atomic
def rename_component(component: Component, *, by: User, name: str) -> Component:
    ensure_org_admin(by)
    with audit.recorded(by, component, fields=["name"], **_in(component.status_page)):
        component.name = name
        component.save(update_fields=["name"])
    return component


@transaction.atomic
def delete_component(component: Component, *, by: User) -> None:
    """Refused (409 naming the rulesets) while a ruleset's ``trigger-alerts`` action names it;
    incidents holding it let go."""
    ensure_org_admin(by)
    page = component.status_page
    _ensure_unused(page, [str(component.pk)])
    before = audit.snapshot(component, ["status_page_id", "name", "status"])
    audit.record(by, AuditAction.DELETED, component, before=before, **_in(page))
    component.delete()


def _ensure_unused(page: StatusPage, component_ids: list[str]) -> None:
    """409 naming the rulesets whose ``trigger-alerts`` actions name one of the components.

    Read in Python: the actions of one organization are few, and JSON containment queries are
    not portable (SQLite)."""
    wanted = {parse_uuid(pk) for pk in component_ids}
    actions = RulesetAction.objects.filter(
        ruleset__organization_id=page.organization_id, type="trigger-alerts"
    ).select_related("ruleset")
    naming = {
        action.ruleset
        for action in actions
        for item in action.settings or []
        if isinstance(item, dict) and parse_uuid(item.get("component_id")) in wanted
    }
    if naming:
        raise Conflict(
            "A ruleset's trigger-alerts action names it: remove it from the actions first.",
            errors={"rulesets": sorted(f"{ruleset.name} ({ruleset.pk})" for ruleset in naming)},
        )


def refresh_status(component: Component) -> Component:
    """The component takes the worst status held by an unresolved incident, else operational.

    Call with the component row locked (``select_for_update``) so concurrent holds serialize.
    """
    held = (
        ComponentHold.objects.filter(component=component)
        .exclude(incident__status=IncidentStatus.RESOLVED)
        .values_list("status", flat=True)
    )
    status = max(held, key=ComponentStatus.severity, default=ComponentStatus.OPERATIONAL)
    if status != component.status:
        component.status = status
        component.updated_at = timezone.now()
        component.save(update_fields=["status", "updated_at"])
    return component
