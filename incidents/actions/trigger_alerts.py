"""``trigger-alerts``: status-page components take a status that follows the urgency."""

from rest_framework import serializers

from accounts.models import Organization
from statuspages.models import Component

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
