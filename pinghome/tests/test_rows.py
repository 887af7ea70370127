"""pinghome.rows on PostgreSQL: what ``insert_each`` stores (through COPY) and what it raises."""

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from escalation.models import EscalationPolicy
from incidents.models import Incident, IncidentEvent, IncidentStatus, TimelineEntry, TimelineKind
from pinghome.rows import insert_each
from webhooks.models import WebhookEvent
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(owner):
    return Incident.objects.create(
        organization=owner.organization, team=owner.team, name="Disk full", urgency="high"
    )


@pytest.fixture
def event(owner):
    webhook = create_webhook(owner.organization, name="Alarms")
    return WebhookEvent.objects.create(webhook=webhook, body=b"{}", headers={})


def test_rows_are_stored_with_their_values_and_the_database_defaults(incident, event):
    entries = [
        TimelineEntry(
            incident=incident,
            kind="created",
            actor="ruleset:Disk",
            message='Opened: "100%"\ttab\\ and\nnewline',
            data={"dedup_key": "é", "nested": [1, None]},
        ),
        TimelineEntry(incident=incident, kind="event_attached", actor="system"),
    ]

    insert_each(entries)
    insert_each([IncidentEvent(incident=incident, event=event)])

    stored = list(TimelineEntry.objects.filter(incident=incident).order_by("id"))
    assert [(e.kind, e.actor, e.message, e.data) for e in stored] == [
        ("created", "ruleset:Disk", 'Opened: "100%"\ttab\\ and\nnewline', entries[0].data),
        ("event_attached", "system", "", {}),
    ]
    assert all(entry.pk for entry in stored)  # the serial default applied
    assert IncidentEvent.objects.get(incident=incident).event_id == event.pk


def test_a_violated_constraint_raises_djangos_integrity_error(incident, event):
    insert_each([IncidentEvent(incident=incident, event=event)])

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_each([IncidentEvent(incident=incident, event=event)])

    assert IncidentEvent.objects.filter(incident=incident).count() == 1


def test_a_row_the_database_refuses_raises_djangos_database_error(incident):
    with pytest.raises(DatabaseError), transaction.atomic():
        insert_each([TimelineEntry(incident=incident, kind="x" * 31, actor="system")])


def values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_every_field_reads_back_as_written_whether_copied_as_is_or_converted(owner):
    """Most fields' values go to COPY without Django's conversion (see ``COPIED_AS_IS``): each
    must read back as Django itself would have stored it."""
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    incident = Incident(
        organization=owner.organization,
        team=owner.team,
        name="Disk \\ full\t100%",
        urgency="critical",
        status=IncidentStatus.ACKNOWLEDGED,  # a str subclass
        assignees=[{"type": "team", "id": str(owner.team.id)}],
        dedup_key="é" * 500,
        event_count=2**31 - 1,
        first_event_at=at,
        last_event_at=datetime(2026, 3, 1, 12, 30),  # naive: UTC, as Django makes it aware
        acknowledged_at=at,
        created_by=owner.user,
        escalation_policy_id=EscalationPolicy.objects.get(team=owner.team).pk,
        escalation_cycle=2,
        escalation_step=3,
        escalation_repeats_left=1,
        next_escalation_at=at,
    )
    entry = TimelineEntry(
        incident_id=incident.pk, kind=TimelineKind.CREATED, actor_user=owner.user, actor="x"
    )

    insert_each([incident])
    insert_each([entry])

    expected = values(incident) | {"last_event_at": datetime(2026, 3, 1, 12, 30, tzinfo=UTC)}
    assert values(Incident.objects.get(pk=incident.pk)) == expected
    stored = TimelineEntry.objects.get(incident_id=incident.pk)
    assert values(stored) == values(entry) | {"id": stored.id}
