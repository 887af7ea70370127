"""``TimelineEntry.staged`` builds an entry from its values in field order: each lands in its
field (a field added in the middle of the model would shift them)."""

import uuid
from datetime import UTC, datetime

from incidents.models import TimelineEntry


def test_a_staged_entry_holds_each_value_in_its_own_field():
    incident_id, user_id = uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    staged = TimelineEntry.staged(
        incident_id,
        "escalated",
        "system",
        "paged",
        {"step": 1},
        actor_user_id=user_id,
        created_at=at,
    )
    expected = TimelineEntry(
        incident_id=incident_id,
        kind="escalated",
        actor="system",
        message="paged",
        data={"step": 1},
        actor_user_id=user_id,
        created_at=at,
    )
    fields = [f.attname for f in TimelineEntry._meta.concrete_fields]
    assert [getattr(staged, f) for f in fields] == [getattr(expected, f) for f in fields]
