"""On PostgreSQL, the events table's default partition gives way to two end partitions (see
``webhooks.retention``): ``..._before<first week>`` from MINVALUE and ``..._from<week after the
last>`` to MAXVALUE, so that pruning can detach partitions ``CONCURRENTLY`` (PostgreSQL refuses
it while a default partition exists). Missing weeks between the first and the last, and ahead up
to ``WEEKS_AHEAD`` weeks after now's (or the newest event's, within a year), are made, so that
the high partition starts empty. Every event of the default partition is copied into its place.

It runs in the migration's transaction, and the plain detach of the default partition locks the
events table (ACCESS EXCLUSIVE) till it commits: ingest waits meanwhile (or answers 503, and
senders send again), no event is lost. The default partition holds few events (those kept for
unresolved incidents past their week), so this is short. SQLite: nothing to do. Reversible: the
end partitions' events go back into a default partition.
"""

import re
from datetime import UTC, datetime, timedelta

from django.db import migrations

TABLE = "webhooks_webhookevent"
DEFAULT = f"{TABLE}_default"
WEEK = timedelta(days=7)
WEEKS_AHEAD = 2
_WEEK = re.compile(rf"{TABLE}_w(\d{{8}})")


def _week_start(instant: datetime) -> datetime:
    day = instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _literal(instant: datetime) -> str:
    # Literals: a statement of DDL takes no parameters (times, not input, go there).
    return f"'{instant.isoformat()}'"


def _partitions(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [TABLE],
    )
    return [name for (name,) in cursor.fetchall()]


def _columns(cursor) -> str:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [TABLE],
    )
    return ", ".join(f'"{name}"' for (name,) in cursor.fetchall())


def end_partitions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        weeks = {
            datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC)
            for name in _partitions(cursor)
            if (match := _WEEK.fullmatch(name))
        }
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{DEFAULT}"')
        cursor.execute(f'SELECT max(received_at), now() FROM "{DEFAULT}"')
        newest, now = cursor.fetchone()
        last = _week_start(now) + WEEKS_AHEAD * WEEK
        if newest and newest < now + timedelta(days=365):
            last = max(last, _week_start(newest))
        first = min(weeks, default=_week_start(now))
        last = max([last, *weeks])
        start = first
        while start <= last:
            if start not in weeks:
                cursor.execute(
                    f'CREATE TABLE "{TABLE}_w{start:%Y%m%d}" PARTITION OF "{TABLE}" '
                    f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(start + WEEK)})"
                )
            start += WEEK
        cursor.execute(
            f'CREATE TABLE "{TABLE}_before{first:%Y%m%d}" PARTITION OF "{TABLE}" '
            f"FOR VALUES FROM (MINVALUE) TO ({_literal(first)})"
        )
        cursor.execute(
            f'CREATE TABLE "{TABLE}_from{start:%Y%m%d}" PARTITION OF "{TABLE}" '
            f"FOR VALUES FROM ({_literal(start)}) TO (MAXVALUE)"
        )
        columns = _columns(cursor)
        cursor.execute(f'INSERT INTO "{TABLE}" ({columns}) SELECT {columns} FROM "{DEFAULT}"')
        cursor.execute(f'DROP TABLE "{DEFAULT}"')


def default_partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        ends = [
            name
            for name in _partitions(cursor)
            if name.startswith((f"{TABLE}_before", f"{TABLE}_from"))
        ]
        for name in ends:
            cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
        cursor.execute(f'CREATE TABLE "{DEFAULT}" PARTITION OF "{TABLE}" DEFAULT')
        columns = _columns(cursor)
        for name in ends:
            cursor.execute(f'INSERT INTO "{TABLE}" ({columns}) SELECT {columns} FROM "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0008_event_pending_by_webhook")]

    operations = [migrations.RunPython(end_partitions, default_partition, elidable=False)]
