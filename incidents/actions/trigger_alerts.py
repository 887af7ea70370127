"""``trigger-alerts``: status-page components take a status that follows the urgency."""

from rest_framework import serializers

from accounts.models import Organization
from incidents.actions import ActionFailed
from incidents.models import Incident, IncidentAction, Urgency
from statuspages.models import Component, ComponentHold, ComponentStatus
from statuspages.services import refresh_status

NAME = "trigger-alerts"


class SettingSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    status_page_id = serializers.UUIDField()
    component_id = serializers.UUIDField()


def check_settings(
    items: list[dict], organization: Organization
) -> dict[int, dict[str, list[str]]]:
    """Each component must exist in the organization, on the status page named with it."""
    wanted = {item["component_id"] for item in items}
    found = dict(
        Component.objects.filter(pk__in=wanted, status_page__organization=organization).values_list(
            "pk", "status_page_id"
        )
    )
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        page_id = found.get(item["component_id"])
        if page_id is None:
            errors[index] = {"component_id": ["no such component in your organization"]}
        elif page_id != item["status_page_id"]:
            errors[index] = {"status_page_id": ["the component is not on this status page"]}
    return errors


STATUS_BY_URGENCY = {
    Urgency.LOW: ComponentStatus.DEGRADED,
    Urgency.MEDIUM: ComponentStatus.PARTIAL_OUTAGE,
    Urgency.HIGH: ComponentStatus.MAJOR_OUTAGE,
    Urgency.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}


def run(action: IncidentAction) -> str:
    """Hold each component at the status of the incident's urgency (unless it is resolved)."""
    incident = Incident.objects.select_for_update().get(pk=action.incident_id)
    if incident.is_resolved:
        return "Incident already resolved; no component held."
    status = STATUS_BY_URGENCY[incident.urgency]
    ids = sorted({item["component_id"] for item in action.settings})
    components = list(
        Component.objects.select_for_update()
        .filter(pk__in=ids, status_page__organization_id=incident.organization_id)
        .order_by("pk")
    )
    missing = set(ids) - {str(component.pk) for component in components}
    if missing:
        raise ActionFailed(
            f"component(s) no longer exist: {', '.join(sorted(missing))}", permanent=True
        )
    for component in components:
        ComponentHold.objects.update_or_create(
            component=component, incident=incident, defaults={"status": status}
        )
        refresh_status(component)
    _release_unreferenced(incident)
    names = ", ".join(component.name for component in components)
    return f"Components {names} set to {status}."


def undo(incident: Incident) -> str:
    """Release the incident's components; each follows its worst remaining hold."""
    holds = ComponentHold.objects.filter(incident=incident)
    ids = sorted(holds.values_list("component_id", flat=True))
    if not ids:
        return ""
    components = list(Component.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    holds.delete()
    for component in components:
        refresh_status(component)
    names = ", ".join(f"{c.name} ({c.status})" for c in components)
    return f"Components released: {names}."


def _release_unreferenced(incident: Incident) -> None:
    """Holds of components no action of the incident names any more (its settings were edited)."""
    wanted = {
        item["component_id"]
        for settings in incident.actions.filter(type=NAME).values_list("settings", flat=True)
        for item in settings
    }
    stale = ComponentHold.objects.filter(incident=incident).exclude(component_id__in=wanted)
    ids = sorted(stale.values_list("component_id", flat=True))
    if ids:
        components = list(Component.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        stale.delete()
        for component in components:
            refresh_status(component)
