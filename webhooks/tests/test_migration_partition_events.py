"""The partitioning migration: on PostgreSQL an events table with rows becomes partitioned by
week without losing an event or an incident's link (on SQLite it does nothing: the embedded
default's migrate and pruning are tested in test_retention)."""

from datetime import timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from webhooks import retention
from webhooks.tests.test_retention import partition_of

# Incidents 0010 (no database constraint from links to events) comes first; unapplying it
# unapplies the partitioning too.
BEFORE = [("incidents", "0009_saved_filters")]
AFTER = [("webhooks", "0007_partition_events")]

COLUMNS = (
    "id",
    "webhook_id",
    "received_at",
    "content_type",
    "body",
    "headers",
    "ip",
    "evaluated_at",
    "evaluation",
    "evaluation_attempts",
)


def migrate(targets):
    """Migrate to ``targets``; the models of every migration applied then (other apps'
    latest ones included)."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def rows(model) -> list[tuple]:
    """Every column of every event, by id."""
    return [
        (*row[:4], bytes(row[4]), *row[5:])
        for row in model.objects.order_by("id").values_list(*COLUMNS)
    ]


def is_partitioned() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = %s::regclass",
            [retention.TABLE],
        )
        return cursor.fetchone()[0] == 1


def test_an_events_table_with_rows_is_partitioned_without_losing_one(transactional_db):
    now = timezone.now()
    old = migrate(BEFORE)
    try:
        assert not is_partitioned()
        organization = old.get_model("accounts", "Organization").objects.create(name="Acme")
        team = old.get_model("accounts", "Team").objects.create(
            organization=organization, name="Ops"
        )
        webhook = old.get_model("webhooks", "Webhook").objects.create(organization=organization)
        Event = old.get_model("webhooks", "WebhookEvent")  # noqa: N806 - a model class
        events = [
            Event.objects.create(
                webhook=webhook,
                received_at=now - timedelta(days=days),
                content_type="application/json",
                body=b'{"status": "firing", "n": %d}' % days,
                headers={"User-Agent": "Alertmanager/0.27"},
                ip="192.0.2.1",
                evaluated_at=now if days else None,
                evaluation={"rulesets": []} if days else None,
                evaluation_attempts=days % 3,
            )
            for days in (0, 3, 40, 400)
        ]
        incident = old.get_model("incidents", "Incident").objects.create(
            organization=organization, team=team, name="Down", urgency="high"
        )
        old.get_model("incidents", "IncidentEvent").objects.create(
            incident=incident, event=events[2]
        )
        before = rows(Event)
    finally:
        new = migrate(AFTER)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert is_partitioned()
    Event = new.get_model("webhooks", "WebhookEvent")  # noqa: N806 - a model class
    assert rows(Event) == before and len(before) == 4
    # Every event in its week's partition, from the oldest week on.
    for event in events:
        week = retention.week_name(retention.week_start(event.received_at))
        assert partition_of(event.pk) == week
    [link] = new.get_model("incidents", "IncidentEvent").objects.select_related("event")
    assert (link.incident_id, link.event.pk) == (incident.pk, events[2].pk)
