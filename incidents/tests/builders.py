"""Builders for the incident API tests."""

from datetime import datetime
from typing import Any

from accounts.models import Team, User
from incidents import services
from incidents.models import Incident, IncidentAction


def incident_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/team/{id}/incident or PUT /v1/incident/{id} body."""
    return {
        "name": "Checkout is down",
        "description": "Payments time out",
        "urgency": "high",
        **overrides,
    }


def make_incident(team: Team, **fields: Any) -> Incident:
    """An incident stored directly (no timeline), e.g. with a chosen ``created_at``."""
    return Incident.objects.create(
        organization_id=team.organization_id,
        team=team,
        name=fields.pop("name", "Disk full"),
        urgency=fields.pop("urgency", "medium"),
        **fields,
    )


def open_incident(team: Team, by: User, **fields: Any) -> Incident:
    """An incident opened by a person through the service (so it has a timeline)."""
    return services.create_incident(team, by=by, **incident_body(**fields))


def make_incident_action(incident: Incident, settings: list | None = None, position: int = 0):
    return IncidentAction.objects.create(
        incident=incident, type="trigger-alerts", settings=settings or [], position=position
    )


def bulk_incidents(team: Team, created_at: list[datetime], **fields: Any) -> list[Incident]:
    return Incident.objects.bulk_create(
        Incident(
            organization_id=team.organization_id,
            team=team,
            name=f"Incident {index}",
            urgency=fields.get("urgency", "low"),
            created_at=instant,
        )
        for index, instant in enumerate(created_at)
    )
