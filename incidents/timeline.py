"""The incident timeline: every change, with its time and actor."""

from typing import Any

from accounts.models import User
from incidents.models import Incident, TimelineEntry


def record(
    incident: Incident,
    kind: str,
    *,
    by: User | None = None,
    actor: str = "system",
    message: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Append a timeline entry; ``by`` (a user) wins over the ``actor`` label."""
    return TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        actor_user=by,
        actor=by.email if by else actor,
        message=message,
        data=data or {},
    )
