"""Retention of stored events: kept ``EVENT_RETENTION_DAYS``, except those of unresolved
incidents (README "Retention").

On PostgreSQL the events table is partitioned by range of ``received_at`` (native declarative
partitioning, migrations 0007 and 0009), with no default partition, so that every partition can
be detached ``CONCURRENTLY``:

- ``..._before20261102``: MINVALUE to the first week. It holds the events kept past their
  week's end (those of unresolved incidents), and any older event written by hand.
- ``..._w20261102``: one per week from Monday 00:00 UTC, made ``WEEKS_AHEAD`` weeks ahead by the
  periodic task (``create_weeks``).
- ``..._from20261123``: the week after the last one to MAXVALUE, empty while the task runs (it
  holds what ingest writes should the task not have run for ``WEEKS_AHEAD`` weeks).

Each step, and the locks it takes on the events table (``webhooks_webhookevent``). Ingest
(``INSERT``) takes ROW EXCLUSIVE, which conflicts with neither ROW EXCLUSIVE nor SHARE UPDATE
EXCLUSIVE, so it never waits on a step but the last of ``create_weeks``, which a running task
never takes:

- ``prune``, each week ended before the retention's start: ``DETACH PARTITION ... CONCURRENTLY``
  of those weeks, then of the low partition (SHARE UPDATE EXCLUSIVE on the events table and on
  the partition in a first transaction, which commits; then a wait for every transaction that
  used the events table to end; then SHARE UPDATE EXCLUSIVE on the table and ACCESS EXCLUSIVE on
  the partition, which nothing uses any more). Autocommit: it cannot run in a transaction block.
  Then, in one transaction, a new low partition, MINVALUE to the end of the last week dropped, is
  built aside: a new table (no lock on the events table), a CHECK constraint matching its bound,
  the kept events copied in from the detached tables (those of unresolved incidents, and any not
  past the retention), then ``ATTACH PARTITION`` (SHARE UPDATE EXCLUSIVE on the events table,
  ACCESS EXCLUSIVE on the new table; the CHECK constraint spares the scan; the cloned foreign key
  takes SHARE ROW EXCLUSIVE on ``webhooks_webhook`` for the instant, which an insert's key check,
  ROW SHARE, does not wait on). Then, with no lock on the events table, the incident links of the
  events not kept are deleted and the detached tables dropped. No event is deleted row by row.
  Between the detach and the attach (a wait for the transactions then running, and a copy of
  the few kept events), the kept events of the detached tables are not seen by queries.
- ``prune``, what the low partition holds past the retention that no unresolved incident holds
  any more: deleted in batches (ROW EXCLUSIVE, like ingest). SQLite (the embedded default: one
  plain table) is pruned this way alone.
- ``create_weeks``: the high partition, empty, ``DETACH ... CONCURRENTLY`` (as above), then in one
  transaction each new week and a new high partition created aside with their CHECK constraint
  and attached (SHARE UPDATE EXCLUSIVE on the events table), and the detached table dropped. An
  insert beyond the last week while the high partition is detached fails: ingest writes now, two
  weeks before it. Should the high partition hold events (the task did not run for weeks: ingest
  writes into it), it is detached plainly instead, in one transaction that moves its events into
  the new weeks: ACCESS EXCLUSIVE on the events table till it commits (ingest waits), given up
  after ``LOCK_TIMEOUT`` (the next run tries again).
- Weeks before the low partition's end (``create_weeks(since=...)``, for a bench or a test): the
  low partition is rebuilt as in ``prune``, its events copied into the new weeks.

A run that dies on the way leaves a detach pending (``DETACH ... FINALIZE`` ends it), or
detached tables: the next run finishes the job from them (``_recover`` and ``prune``), never
dropping a detached table before what it must keep is in an attached partition.
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
WEEK = timedelta(days=7)
WEEKS_AHEAD = 2
LOCK_TIMEOUT = "2s"
DELETE_BATCH = 1000
# The partitions and the tables detached from them, by kind and bound (Monday 00:00 UTC).
_NAME = re.compile(rf"{TABLE}_(w|before|from)(\d{{8}})")
LOW, WEEKLY, HIGH = "before", "w", "from"


@dataclass
class Pruned:
    weeks_dropped: int = 0
    events_kept: int = 0  # events of dropped weeks kept for their unresolved incident
    events_deleted: int = 0  # one by one, in batches (SQLite, the low partition)


@dataclass
class Layout:
    """The events table's partitions (PostgreSQL), by bound, and the tables detached from it
    that are not dropped yet."""

    low: tuple[datetime, str] | None  # its end
    weeks: dict[datetime, str]  # by start
    high: tuple[datetime, str] | None  # its start
    pending: str | None  # a partition whose concurrent detach did not finish
    detached: dict[str, tuple[str, datetime]]  # name: (kind, bound)

    def end_of_weeks(self) -> datetime | None:
        """Where the high partition starts, or should."""
        if self.weeks:
            return max(self.weeks) + WEEK
        return self.low[0] if self.low else None


def partitioned() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def week_start(instant: datetime) -> datetime:
    """Monday 00:00 UTC of the instant's week."""
    day = instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def week_end(instant: datetime) -> datetime:
    """Monday 00:00 UTC after the instant: where its week's partition ends. A query of the
    events bounded within one week reads one partition alone, in index order."""
    return week_start(instant) + WEEK


def week_name(start: datetime) -> str:
    return _name(WEEKLY, start)


def low_name(end: datetime) -> str:
    return _name(LOW, end)


def high_name(start: datetime) -> str:
    return _name(HIGH, start)


def _name(kind: str, bound: datetime) -> str:
    return f"{TABLE}_{kind}{bound:%Y%m%d}"


def _parse(name: str) -> tuple[str, datetime] | None:
    if match := _NAME.fullmatch(name):
        return match.group(1), datetime.strptime(match.group(2), "%Y%m%d").replace(tzinfo=UTC)
    return None


def _cursor():
    return connections[DEFAULT_DB_ALIAS].cursor()


def layout() -> Layout:
    with _cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.inhdetachpending FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        attached = cursor.fetchall()
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
            "AND pg_table_is_visible(oid) AND relname ~ %s",
            [f"^{_NAME.pattern}$"],
        )
        detached = {name: _parse(name) for (name,) in cursor.fetchall()}
    found = Layout(low=None, weeks={}, high=None, pending=None, detached=detached)
    for name, pending in attached:
        if pending:
            found.pending = name
        if parsed := _parse(name):
            kind, bound = parsed
            if kind == LOW:
                found.low = (bound, name)
            elif kind == HIGH:
                found.high = (bound, name)
            else:
                found.weeks[bound] = name
    return found


def weeks() -> dict[datetime, str]:
    """The week partitions of the events table, by start."""
    return layout().weeks


def _outside_transactions() -> None:
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        raise RuntimeError(
            "the events' partitions are detached CONCURRENTLY: not inside a transaction"
        )


def _detach(name: str) -> None:
    """Autocommit; the events table is not locked against ingest while it waits."""
    _outside_transactions()
    with _cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}" CONCURRENTLY')


def _columns() -> str:
    """The events table's columns, for copies between tables whose order may differ."""
    with _cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [TABLE],
        )
        return ", ".join(f'"{name}"' for (name,) in cursor.fetchall())


def _literal(instant: datetime) -> str:
    # Literals: a statement of DDL takes no parameters (times, not input, go there).
    return f"'{instant.isoformat()}'"


def _build(
    name: str,
    start: datetime | None,
    end: datetime | None,
    sources: list[str],
    cutoff: datetime | None,
) -> int:
    """Inside a transaction: a new table for [start, end) (None: MINVALUE, MAXVALUE) with the
    CHECK constraint of that bound, the events of ``sources`` in that range copied in (but
    those past ``cutoff`` that no unresolved incident holds), then attached; how many copied
    from weeks."""
    low = "MINVALUE" if start is None else _literal(start)
    high = "MAXVALUE" if end is None else _literal(end)
    bounds = [f"received_at >= {low}"] if start else []
    bounds += [f"received_at < {high}"] if end else []
    columns, copied = _columns(), 0
    with _cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        cursor.execute(f'ALTER TABLE "{name}" ADD PRIMARY KEY (id, received_at)')
        if bounds:
            cursor.execute(
                f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_bound" CHECK ({" AND ".join(bounds)})'
            )
        for source in sources:
            kept = (
                f'AND (e.received_at >= %s OR e.id IN (SELECT l.event_id FROM '
                f'"{IncidentEvent._meta.db_table}" l JOIN "{Incident._meta.db_table}" i '
                "ON i.id = l.incident_id WHERE i.status <> %s))"
                if cutoff
                else ""
            )
            cursor.execute(
                f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM "{source}" e '
                f"WHERE {' AND '.join(bounds) or 'true'} {kept} ON CONFLICT DO NOTHING",
                [cutoff, IncidentStatus.RESOLVED] if cutoff else [],
            )
            if _parse(source)[0] == WEEKLY:
                copied += cursor.rowcount
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM ({low}) TO ({high})'
        )
    return copied


def _recover() -> Layout:
    """What a run that died left: a pending detach finished, a detached high partition put back
    (or its events moved in, once a new one is attached). Detached weeks and low partitions
    are ``prune``'s."""
    found = layout()
    if found.pending:
        _outside_transactions()
        with _cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{found.pending}" FINALIZE')
        found = layout()
    for name, (kind, bound) in sorted(found.detached.items(), key=lambda item: item[1][1]):
        if kind != HIGH:
            continue
        if found.high is None and bound == found.end_of_weeks():
            with _cursor() as cursor:  # its CHECK constraint, from the detach, spares a scan
                cursor.execute(
                    f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" '
                    f"FOR VALUES FROM ({_literal(bound)}) TO (MAXVALUE)"
                )
        elif found.high is not None:
            columns = _columns()
            with transaction.atomic(), _cursor() as cursor:
                # Rows ingest wrote there in the instant before the detach: few, if any.
                cursor.execute(
                    f'INSERT INTO "{TABLE}" ({columns}) SELECT {columns} FROM "{name}" '
                    "ON CONFLICT DO NOTHING"
                )
                cursor.execute(f'DROP TABLE "{name}"')
        found = layout()
    return found


def create_weeks(now: datetime | None = None, *, since: datetime | None = None) -> list[str]:
    """Make the week partitions from ``since``'s week (default: now's) to ``WEEKS_AHEAD``
    weeks after now's, those missing; the names of those made. Events of such a week that the
    low or the high partition holds move into it."""
    now = now or timezone.now()
    found = _recover()
    made = []
    if since and found.low and week_start(since) < found.low[0]:
        made += _replace_low(found, week_start(since), cutoff=None).made
        found = layout()
    start, last = found.end_of_weeks() or week_start(since or now), week_start(now)
    end = last + (WEEKS_AHEAD + 1) * WEEK
    if start < end:
        made += _extend(found, start, end)
    return made


def _extend(found: Layout, start: datetime, end: datetime) -> list[str]:
    """The weeks from ``start`` to ``end`` made, and the high partition moved to ``end``."""
    names = [week_name(start + n * WEEK) for n in range((end - start) // WEEK)]
    old = found.high[1] if found.high else None
    busy = False
    if old is not None:
        with _cursor() as cursor:
            cursor.execute(f'SELECT EXISTS (SELECT FROM "{old}")')
            busy = cursor.fetchone()[0]
    if busy:
        # Ingest writes into the high partition: it waits while its events move.
        with transaction.atomic(), _cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{old}"')
            for n, name in enumerate(names):
                _build(name, start + n * WEEK, start + (n + 1) * WEEK, [old], None)
            _build(high_name(end), end, None, [old], None)
            cursor.execute(f'DROP TABLE "{old}"')
        logger.warning("the high partition held events: moved into weeks %s", names)
        return names
    if old is not None:
        _detach(old)
    with transaction.atomic():
        for n, name in enumerate(names):
            _build(name, start + n * WEEK, start + (n + 1) * WEEK, [], None)
        _build(high_name(end), end, None, [], None)
    if old is not None:
        _recover()  # what ingest wrote into it meanwhile (nothing, as it writes now) moved in
    return names


# Held by the run making and dropping partitions: runs at once (beat and the command) take turns.
_ADVISORY_LOCK = 0x7068_6576  # "phev"


def maintain(now: datetime | None = None) -> Pruned:
    """The periodic task: the coming weeks' partitions made (PostgreSQL), then ``prune``.
    Nothing when another run is at it."""
    if not partitioned():
        return prune(now)
    with _cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_LOCK])
        if not cursor.fetchone()[0]:
            return Pruned()
        try:
            try:
                create_weeks(now)
            except OperationalError:  # the lock not granted in time, say: the next run
                logger.warning("the coming weeks' partitions not made yet", exc_info=True)
            return prune(now)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_LOCK])


@dataclass
class _Replaced:
    made: list[str]
    kept: int


def _upper(kind: str, bound: datetime) -> datetime:
    """Where a partition (or a table detached from one) of the low end or a week ends."""
    return bound + WEEK if kind == WEEKLY else bound


def _replace_low(found: Layout, end: datetime, *, cutoff: datetime | None) -> _Replaced:
    """The low partition replaced by one up to ``end``: the weeks before ``end`` and the low
    partition detached, then, from every table detached (these and those a run that died
    left), the events kept (all, without a ``cutoff``) copied into the new low partition and
    into the weeks made from ``end`` to the first week attached; then the detached tables
    dropped, with the incident links of the events not kept."""
    for start, name in sorted(found.weeks.items()):
        if start + WEEK <= end:
            _detach(name)
    if found.low and found.low[0] != end:
        _detach(found.low[1])
    found = layout()
    starts = [*found.weeks, *([found.high[0]] if found.high else [])]
    first = min(starts, default=max(end, week_start(timezone.now())))
    # Every detached table before ``first``: what lies beyond (none but by hand) stays.
    sources = sorted(
        name
        for name, (kind, bound) in found.detached.items()
        if kind != HIGH and _upper(kind, bound) <= first
    )
    made, kept = [], 0
    with transaction.atomic():
        if not found.low:
            kept += _build(low_name(end), None, end, sources, cutoff)
        start = end
        while start < first:
            made.append(week_name(start))
            kept += _build(made[-1], start, start + WEEK, sources, cutoff)
            start += WEEK
    _drop_detached(sources)
    return _Replaced(made=made, kept=kept)


def _drop_detached(names: list[str]) -> None:
    """Delete the incident links of detached tables' events (but those copied back into the
    events table: into the low partition, or weeks made before the detached tables' end),
    then drop the tables. No lock on the events table."""
    if not names:
        return
    found = layout()
    end = max(_upper(*_parse(name)) for name in names)
    holders = [found.low[1]] if found.low else []
    holders += [name for start, name in found.weeks.items() if start < end]
    copied = " ".join(
        f'AND NOT EXISTS (SELECT 1 FROM "{table}" k WHERE k.id = e.id)' for table in holders
    )
    for name in names:
        with transaction.atomic(), _cursor() as cursor:
            cursor.execute(
                f'DELETE FROM "{IncidentEvent._meta.db_table}" l USING "{name}" e '
                f"WHERE l.event_id = e.id {copied}"
            )
            cursor.execute(f'DROP TABLE "{name}"')


def prune(now: datetime | None = None) -> Pruned:
    """Drop the weeks ended before the retention's start (PostgreSQL), keeping the events of
    unresolved incidents in the low partition, then delete in batches the older events the low
    partition holds (every one on SQLite), but those linked to an unresolved incident."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    pruned = Pruned()
    if partitioned():
        found = _recover()
        left = {
            name: (kind, bound) for name, (kind, bound) in found.detached.items() if kind != HIGH
        }
        ends = [start + WEEK for start in found.weeks if start + WEEK <= cutoff]
        ends += [_upper(kind, bound) for kind, bound in left.values()]
        if not found.low and not ends and found.weeks:  # no low partition: an empty one
            ends = [min(found.weeks)]
        end = max(ends, default=None)
        pruned.weeks_dropped = sum(1 for kind, _ in left.values() if kind == WEEKLY)
        if end is not None and (found.low is None or end > found.low[0]):
            pruned.weeks_dropped += sum(1 for start in found.weeks if start + WEEK <= end)
            pruned.events_kept = _replace_low(found, end, cutoff=cutoff).kept
        else:  # a run died after its new low partition was attached: what it left dropped
            _drop_detached(sorted(left))
        found = layout()
        # What the low partition holds: events kept for incidents, some since resolved.
        cutoff = min(cutoff, found.low[0]) if found.low else cutoff
    pruned.events_deleted = _delete_in_batches(cutoff)
    return pruned


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
