"""Retention of stored events: kept ``EVENT_RETENTION_DAYS``, except those of unresolved
incidents (README "Retention").

On PostgreSQL the events table is partitioned by week of ``received_at`` (native range
partitioning, migration 0007): one partition per week from Monday 00:00 UTC, made
``WEEKS_AHEAD`` weeks ahead by the periodic task, and a default partition for what no week
holds (events kept past their week's end, and any event received should the task not have run
for weeks). Pruning takes whole weeks. A week ended before the retention's start is detached
and the events of it an unresolved incident holds are put back into the table (they land in
the default partition), in one short transaction: the detach locks the events table until it
commits, and gives up after ``LOCK_TIMEOUT`` (the next run tries again) rather than make ingest
queue behind it. Then, with no lock on the events table, the incident links of the week's other
events are deleted and its table dropped. No event is deleted row by row. The default
partition, and SQLite (the embedded default: one plain table), are pruned by deletes in
batches.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, IncidentStatus
from webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)

TABLE = WebhookEvent._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
WEEK = timedelta(days=7)
WEEKS_AHEAD = 2
LOCK_TIMEOUT = "2s"
DELETE_BATCH = 1000
_WEEK_NAME = re.compile(rf"{TABLE}_w(\d{{8}})")


@dataclass
class Pruned:
    weeks_dropped: int = 0
    events_kept: int = 0  # events of dropped weeks kept for their unresolved incident
    events_deleted: int = 0  # one by one, in batches (SQLite, the default partition)


def partitioned() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def week_start(instant: datetime) -> datetime:
    """Monday 00:00 UTC of the instant's week."""
    day = instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def week_end(instant: datetime) -> datetime:
    """Monday 00:00 UTC after the instant: where its week's partition ends. A query of the
    events bounded within one week reads that week's partition alone, in index order."""
    return week_start(instant) + WEEK


def week_name(start: datetime) -> str:
    return f"{TABLE}_w{start:%Y%m%d}"


def weeks() -> dict[datetime, str]:
    """The week partitions of the events table, by start."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    return {
        datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC): name
        for name in names
        if (match := _WEEK_NAME.fullmatch(name))
    }


def create_weeks(now: datetime | None = None, *, since: datetime | None = None) -> list[str]:
    """Make the week partitions from ``since``'s week (default: now's) to ``WEEKS_AHEAD``
    weeks after now's, those missing; the names of those made. Events of such a week that
    the default partition holds move into it."""
    now = now or timezone.now()
    existing = weeks()
    start, last = week_start(since or now), week_start(now) + WEEKS_AHEAD * WEEK
    made = []
    while start <= last:
        if start not in existing:
            _create_week(start)
            made.append(week_name(start))
        start += WEEK
    return made


@transaction.atomic
def _create_week(start: datetime) -> None:
    """A new table holding the week's events from the default partition, then attached:
    attaching locks the events table in a mode that lets ingest go on."""
    name, end = week_name(start), start + WEEK
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" '
            "WHERE received_at >= %s AND received_at < %s RETURNING *) "
            f'INSERT INTO "{name}" SELECT * FROM moved',
            [start, end],
        )
        # Literals: a statement of DDL takes no parameters (times, not input, go there).
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" '
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )


# Held by the run making and dropping partitions: runs at once (beat and the command) take turns.
_ADVISORY_LOCK = 0x7068_6576  # "phev"


def maintain(now: datetime | None = None) -> Pruned:
    """The periodic task: the coming weeks' partitions made (PostgreSQL), then ``prune``.
    Nothing when another run is at it."""
    if not partitioned():
        return prune(now)
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_LOCK])
        if not cursor.fetchone()[0]:
            return Pruned()
        try:
            create_weeks(now)
            return prune(now)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_LOCK])


def prune(now: datetime | None = None) -> Pruned:
    """Drop the weeks ended before the retention's start (PostgreSQL), then delete in batches
    the older events no week holds (every one on SQLite), but those linked to an unresolved
    incident."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    pruned = Pruned()
    if partitioned():
        for name in _detached_weeks():
            _drop_detached(name)
        for start, name in sorted(weeks().items()):
            if start + WEEK > cutoff:
                break
            try:
                pruned.events_kept += _drop_week(name)
            except OperationalError:  # the lock not granted in time, say: the next run
                logger.warning("events of week %s not pruned yet", name, exc_info=True)
                break
            pruned.weeks_dropped += 1
        # What no week holds: older than every week left (a week straddling the cutoff
        # stays whole till it ends).
        cutoff = min([cutoff, *weeks()])
    pruned.events_deleted = _delete_in_batches(cutoff)
    return pruned


def _drop_week(name: str) -> int:
    """Detach the week and put back its events held by an unresolved incident (into the
    default partition), then drop it; the events kept."""
    with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
        # From the links of unresolved incidents (few), by the week's primary key: the events
        # table stays locked while this runs.
        cursor.execute(
            f'INSERT INTO "{TABLE}" SELECT e.* FROM "{name}" e WHERE e.id IN ('
            f'SELECT l.event_id FROM "{IncidentEvent._meta.db_table}" l '
            f'JOIN "{Incident._meta.db_table}" i ON i.id = l.incident_id WHERE i.status <> %s)',
            [IncidentStatus.RESOLVED],
        )
        kept = cursor.rowcount
    _drop_detached(name)
    return kept


def _drop_detached(name: str) -> None:
    """Delete the incident links of a detached week's events (but those put back), then drop
    it. No lock on the events table."""
    with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{IncidentEvent._meta.db_table}" l USING "{name}" e '
            f"WHERE l.event_id = e.id AND NOT EXISTS "
            f'(SELECT 1 FROM "{DEFAULT_PARTITION}" k WHERE k.id = e.id)'
        )
        cursor.execute(f'DROP TABLE "{name}"')


def _detached_weeks() -> list[str]:
    """Weeks detached whose drop did not happen (the process died in between)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
            "AND pg_table_is_visible(oid) AND relname ~ %s",
            [f"^{_WEEK_NAME.pattern}$"],
        )
        return [name for (name,) in cursor.fetchall()]


def _delete_in_batches(cutoff: datetime) -> int:
    """Delete events received before ``cutoff`` that no unresolved incident holds, a batch
    per transaction (with their incident links); how many."""
    held = IncidentEvent.objects.filter(event_id=OuterRef("pk")).exclude(
        incident__status=IncidentStatus.RESOLVED
    )
    old = WebhookEvent.objects.filter(received_at__lt=cutoff).exclude(Exists(held))
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:DELETE_BATCH]):
        with transaction.atomic():
            # Asked again: an event held meanwhile stays.
            _, by_model = old.filter(pk__in=ids).delete()
        if not by_model.get(WebhookEvent._meta.label):
            break  # every one held meanwhile: the next run
        deleted += by_model[WebhookEvent._meta.label]
    return deleted
