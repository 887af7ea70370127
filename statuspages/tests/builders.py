"""Status pages and trigger-alerts settings for the tests of several apps."""

from typing import Any

from accounts.models import Organization
from statuspages.models import Component, ComponentStatus, StatusPage


def make_status_page(organization: Organization, name: str = "Public") -> StatusPage:
    return StatusPage.objects.create(organization=organization, name=name)


def make_component(
    page: StatusPage,
    name: str = "API",
    status: str = ComponentStatus.OPERATIONAL,
    *,
    public_name: str = "",
) -> Component:
    component = Component(status_page=page, name=name, public_name=public_name, status=status)
    component.clean()
    component.save()
    return component


def alert_setting(component: Component, **overrides: Any) -> dict[str, Any]:
    """One ``settings`` item of a ``trigger-alerts`` action."""
    return {
        "status_page_id": str(component.status_page_id),
        "component_id": str(component.id),
        **overrides,
    }


def trigger_alerts(*components: Component, **overrides: Any) -> dict[str, Any]:
    """A ``trigger-alerts`` action on the given components."""
    return {
        "type": "trigger-alerts",
        "settings": [alert_setting(c) for c in components],
        **overrides,
    }
