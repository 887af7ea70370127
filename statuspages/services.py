"""Status pages and components: organization admins change them (they are public), audited.
Written updates (notices) and a component's manual status are also posted by team members.

A component a ruleset's ``trigger-alerts`` action names cannot be deleted (409 naming the
rulesets): removing it from the actions silently would change what the rulesets do.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import ensure_in_a_team, ensure_org_admin
from audit import services as audit
from audit.models import AuditAction
from incidents.models import Incident, IncidentStatus, TimelineKind
from incidents.timeline import record
from pinghome.api import Conflict, invalid, parse_uuid
from pinghome.jobs import enqueue_on_commit
from rulesets.models import RulesetAction
from statuspages import tasks, uptime
from statuspages.models import (
    Component,
    ComponentHold,
    ComponentStatus,
    Notice,
    NoticeStatus,
    NoticeUpdate,
    StatusChange,
    StatusPage,
)

COMPONENT_FIELDS = ("name", "public_name", "description")


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
def add_component(
    status_page: StatusPage,
    *,
    name: str,
    public_name: str = "",
    description: str = "",
    by: User | None = None,
) -> Component:
    """``by`` None: the system (no permission asked). Without a ``public_name`` the public page
    shows ``name``: say otherwise when the name is internal."""
    if by is not None:
        ensure_org_admin(by)
    now = timezone.now()
    component = Component(
        status_page=status_page,
        name=name,
        public_name=public_name,
        description=description,
        created_at=now,
        updated_at=now,
    )
    component.clean()
    component.save()
    StatusChange.objects.create(
        component=component, status=component.status, at=component.updated_at
    )
    audit.record(
        by,
        AuditAction.CREATED,
        component,
        after=audit.snapshot(component, ["status_page_id", *COMPONENT_FIELDS]),
        **_in(status_page),
    )
    return component


@transaction.atomic
def update_component(component: Component, *, by: User, **changes: Any) -> Component:
    """Change ``name``, ``public_name``, ``description`` (organization admins) and
    ``manual_status`` (also team members; empty or None: the status follows the incidents)."""
    if set(changes) - {"manual_status"}:
        ensure_org_admin(by)
    else:
        ensure_in_a_team(by)
    component = Component.objects.select_for_update().get(pk=component.pk)
    if "manual_status" in changes:
        changes["manual_status"] = changes["manual_status"] or ""
    fields = [*COMPONENT_FIELDS, "manual_status"]
    with audit.recorded(by, component, fields=fields, **_in(component.status_page)):
        for field, value in changes.items():
            setattr(component, field, value)
        component.clean()
        component.save(update_fields=[*changes, "public_name"])
        if "manual_status" in changes:
            refresh_status(component)
    return component


@transaction.atomic
def delete_component(component: Component, *, by: User) -> None:
    """Refused (409 naming the rulesets) while a ruleset's ``trigger-alerts`` action names it;
    incidents holding it let go."""
    ensure_org_admin(by)
    page = component.status_page
    _ensure_unused(page, [str(component.pk)])
    before = audit.snapshot(component, ["status_page_id", *COMPONENT_FIELDS, "status"])
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
    """The component takes its manual status when set, else the worst status held by an
    unresolved incident, else operational; a change closes the period of the previous status
    in its history.

    Call with the component row locked (``select_for_update``) so concurrent holds serialize.
    """
    status = component.manual_status
    if not status:
        held = (
            ComponentHold.objects.filter(component=component)
            .exclude(incident__status=IncidentStatus.RESOLVED)
            .values_list("status", flat=True)
        )
        status = max(held, key=ComponentStatus.severity, default=ComponentStatus.OPERATIONAL)
    if status != component.status:
        _change_status(component, status, timezone.now())
    return component


def _change_status(component: Component, status: str, at: datetime) -> None:
    uptime.add_period(component, component.status, component.updated_at, at)
    component.status, component.updated_at = status, at
    component.save(update_fields=["status", "updated_at"])
    StatusChange.objects.create(component=component, status=status, at=at)


# --- Written updates -------------------------------------------------------------------------


@transaction.atomic
def post_notice(
    page: StatusPage,
    *,
    by: User,
    title: str,
    status: str,
    message: str,
    component_ids: list[Any] = (),
    incident: Incident | None = None,
) -> Notice:
    """Publish a notice on ``page`` with its first update. ``component_ids`` must be of the
    page (422 naming ``component_ids.N``); ``incident`` (of the page's organization) is never
    published: the notice and its updates go on its timeline."""
    ensure_in_a_team(by)
    components = _components_of(page, component_ids)
    now = timezone.now()
    notice = Notice.objects.create(
        status_page=page,
        title=title,
        status=status,
        incident=incident,
        created_at=now,
        updated_at=now,
        resolved_at=now if status == NoticeStatus.RESOLVED else None,
    )
    notice.components.set(components)
    update = NoticeUpdate.objects.create(
        notice=notice, status=status, message=message, created_at=now, created_by=by
    )
    _published(notice, update, page, by)
    after = audit.snapshot(notice, ["status_page_id", "title", "status", "incident_id"])
    after.update(message=message, components=[c.public_name for c in components])
    audit.record(by, AuditAction.CREATED, notice, after=after, **_in(page))
    return notice


@transaction.atomic
def post_notice_update(notice: Notice, *, by: User, status: str, message: str) -> NoticeUpdate:
    """A further update; a resolved notice takes none (409)."""
    ensure_in_a_team(by)
    notice = Notice.objects.select_for_update().select_related("status_page").get(pk=notice.pk)
    if notice.status == NoticeStatus.RESOLVED:
        raise Conflict("This notice is resolved; post a new one.")
    now = timezone.now()
    update = NoticeUpdate.objects.create(
        notice=notice, status=status, message=message, created_at=now, created_by=by
    )
    _published(notice, update, notice.status_page, by)
    notice.status, notice.updated_at = status, now
    if status == NoticeStatus.RESOLVED:
        notice.resolved_at = now
    notice.save(update_fields=["status", "updated_at", "resolved_at"])
    after = audit.snapshot(update, ["notice_id", "status", "message"])
    audit.record(by, AuditAction.CREATED, update, after=after, **_in(notice.status_page))
    return update


def _published(notice: Notice, update: NoticeUpdate, page: StatusPage, by: User) -> None:
    """Mail ``update`` to the page's subscribers, and put it on the timeline of the incident
    the notice was posted from."""
    enqueue_on_commit(tasks.mail_update, str(update.pk))
    if notice.incident_id is None:
        return
    record(
        Incident(pk=notice.incident_id),
        TimelineKind.STATUS_UPDATE,
        by=by,
        message=f"{update.get_status_display()} on {page.name}: {notice.title}\n{update.message}",
        data={
            "status_page_id": str(page.pk),
            "notice_id": str(notice.pk),
            "update_id": str(update.pk),
            "status": update.status,
        },
    )


def _components_of(page: StatusPage, component_ids: list[Any]) -> list[Component]:
    wanted = [parse_uuid(pk) for pk in component_ids]
    found = {
        c.pk: c for c in Component.objects.filter(status_page=page, pk__in=set(wanted) - {None})
    }
    errors = {
        f"component_ids.{index}": ["no such component on this status page"]
        for index, pk in enumerate(wanted)
        if pk not in found
    }
    if errors:
        raise invalid(errors)
    return list({pk: found[pk] for pk in wanted}.values())
