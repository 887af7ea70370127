"""Builders and assertions shared by the API tests of statuspages, rulesets and incidents."""

from typing import Any

from accounts.models import Organization
from statuspages.models import Component, ComponentStatus, StatusPage

BAD_TOKEN = "Bearer ph_not-a-real-token"
UNKNOWN_ID = "6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"
MALFORMED_ID = "not-a-uuid"


def make_status_page(organization: Organization, name: str = "Public") -> StatusPage:
    return StatusPage.objects.create(organization=organization, name=name)


def make_component(
    page: StatusPage, name: str = "API", status: str = ComponentStatus.OPERATIONAL
) -> Component:
    return Component.objects.create(status_page=page, name=name, status=status)


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


def call(api, method: str, path: str, body: Any = None):
    """Send ``body`` as JSON (when given) with ``method``."""
    send = getattr(api, method.lower())
    return send(path) if body is None else send(path, body, format="json")


def send_raw(api, method: str, path: str, raw: bytes):
    """Send ``raw`` bytes as an application/json body, bypassing the client's encoder."""
    return api.generic(method, path, raw, content_type="application/json")


def deeply_nested(depth: int = 200) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def assert_invalid(response, *fields: str) -> dict[str, list[str]]:
    """A 422 in the documented format naming each of ``fields``; returns the errors."""
    assert response.status_code == 422, (response.status_code, response.content)
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    errors = body["errors"]
    assert isinstance(errors, dict)
    for name in fields:
        assert name in errors, (name, errors)
        assert errors[name] and all(isinstance(reason, str) for reason in errors[name])
    return errors


def assert_not_found(response) -> None:
    assert response.status_code == 404, (response.status_code, response.content)
    assert response.json() == {"message": "Not found."}


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, (response.status_code, response.content)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["message"], str)
