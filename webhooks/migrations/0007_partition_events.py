"""On PostgreSQL, the events table becomes partitioned by week of ``received_at`` (see
``webhooks.retention``), every event copied over. SQLite (the embedded default) keeps its one
table: nothing to do.

The partitioned table's primary key is (id, received_at): a key must hold the partition key.
Django still knows ``id`` as the primary key (state unchanged), and nothing refers to an event
through a database constraint any more (``incidents`` 0010). The copy runs in the migration's
transaction: ingest waits for it (or answers 503, and senders send again), no event is lost.
"""

from datetime import UTC, datetime, timedelta

from django.db import migrations

TABLE = "webhooks_webhookevent"
OLD = f"{TABLE}_unpartitioned"
WEEK = timedelta(days=7)
WEEKS_AHEAD = 2


def _week_start(instant: datetime) -> datetime:
    day = instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _indexes_and_keys(table: str, *, partitioned: bool) -> list[str]:
    key = "id, received_at" if partitioned else "id"
    return [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({key})',
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_webhook_id_fk_webhooks_webhook_id" '
        'FOREIGN KEY (webhook_id) REFERENCES "webhooks_webhook" (id) '
        "DEFERRABLE INITIALLY DEFERRED",
        f'CREATE INDEX "event_webhook_recent" ON "{table}" '
        "(webhook_id, received_at DESC, id DESC)",
        f'CREATE INDEX "event_pending_evaluation" ON "{table}" (received_at) '
        "WHERE evaluated_at IS NULL",
    ]


def _set_aside(cursor) -> None:
    """Rename the table and what holds a name in the schema (its indexes)."""
    cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{OLD}"')
    for index in (f"{TABLE}_pkey", "event_webhook_recent", "event_pending_evaluation"):
        cursor.execute(f'ALTER INDEX "{index}" RENAME TO "{index}_old"')


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        _set_aside(cursor)
        cursor.execute(
            f'CREATE TABLE "{TABLE}" (LIKE "{OLD}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
            "PARTITION BY RANGE (received_at)"
        )
        for statement in _indexes_and_keys(TABLE, partitioned=True):
            cursor.execute(statement)
        cursor.execute(f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT')
        cursor.execute(f'SELECT min(received_at), now() FROM "{OLD}"')
        oldest, now = cursor.fetchone()
        start, last = _week_start(oldest or now), _week_start(now) + WEEKS_AHEAD * WEEK
        while start <= last:
            # Literals: a statement of DDL takes no parameters (times, not input, go there).
            cursor.execute(
                f'CREATE TABLE "{TABLE}_w{start:%Y%m%d}" PARTITION OF "{TABLE}" '
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{(start + WEEK).isoformat()}')"
            )
            start += WEEK
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{OLD}"')
        cursor.execute(f'DROP TABLE "{OLD}"')


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        _set_aside(cursor)
        cursor.execute(
            f'CREATE TABLE "{TABLE}" (LIKE "{OLD}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{OLD}"')
        cursor.execute(f'DROP TABLE "{OLD}"')  # and its partitions
        for statement in _indexes_and_keys(TABLE, partitioned=False):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0006_ingest_limit"),
        # Its foreign key to events dropped first: a partitioned table's keys include the
        # partition key.
        ("incidents", "0010_incidentevent_event_no_db_constraint"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
