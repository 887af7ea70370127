from django.utils import timezone

from accounts.models import Organization
from incidents.models import IncidentStatus
from statuspages.models import Component, ComponentHold, ComponentStatus, StatusPage


def create_status_page(organization: Organization, *, name: str) -> StatusPage:
    return StatusPage.objects.create(organization=organization, name=name)


def add_component(status_page: StatusPage, *, name: str) -> Component:
    return Component.objects.create(status_page=status_page, name=name)


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
