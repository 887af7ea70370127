"""pinghome.rows on PostgreSQL: what ``insert_each`` stores (through COPY) and what it raises."""

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from incidents.models import Incident, IncidentEvent, TimelineEntry
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
