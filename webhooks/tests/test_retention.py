"""Retention: events older than EVENT_RETENTION_DAYS let go by the periodic task and
``prune_events``, but those of unresolved incidents. On PostgreSQL the events table is
partitioned by week between two end partitions, weeks made ahead by the periodic task and whole
weeks detached concurrently and dropped, the events kept moved into a new low partition; ingest
never waits on it. On SQLite deletes in batches.

Detaching concurrently cannot run in a transaction: these tests commit (``transaction=True``),
and each starts from the layout a fresh database has (``reset_partitions``)."""

import io
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from incidents.tests.builders import make_incident
from rulesets.tests.pipeline import create_webhook, send
from webhooks import retention
from webhooks.models import WebhookEvent
from webhooks.tasks import prune_events

pytestmark = pytest.mark.django_db(transaction=True)

WEEK = timedelta(days=7)
# The lock modes that conflict with an insert's (ROW EXCLUSIVE).
BLOCKING_INGEST = {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}


def reset_partitions() -> None:
    """The events table's partitions as a fresh database's (this week's and two ahead between
    the end partitions), whatever a test left; their events dropped with them."""
    if connection.vendor != "postgresql":
        return
    found = retention.layout()
    with connection.cursor() as cursor:
        if found.pending:
            cursor.execute(
                f'ALTER TABLE "{retention.TABLE}" DETACH PARTITION "{found.pending}" FINALIZE'
            )
        for name in retention.layout().detached:
            cursor.execute(f'DROP TABLE "{name}"')
        found = retention.layout()
        attached = [*found.weeks.values(), *(end[1] for end in (found.low, found.high) if end)]
        for name in attached:
            cursor.execute(f'DROP TABLE "{name}"')
        start = retention.week_start(timezone.now())
        partitions = {retention.low_name(start): ("MINVALUE", f"'{start.isoformat()}'")}
        for n in range(retention.WEEKS_AHEAD + 1):
            week = start + n * WEEK
            partitions[retention.week_name(week)] = (
                f"'{week.isoformat()}'",
                f"'{(week + WEEK).isoformat()}'",
            )
        end = start + (retention.WEEKS_AHEAD + 1) * WEEK
        partitions[retention.high_name(end)] = (f"'{end.isoformat()}'", "MAXVALUE")
        for name, (low, high) in partitions.items():
            cursor.execute(
                f'CREATE TABLE "{name}" PARTITION OF "{retention.TABLE}" '
                f"FOR VALUES FROM ({low}) TO ({high})"
            )


@pytest.fixture(autouse=True)
def fresh_partitions(transactional_db):
    reset_partitions()
    yield
    reset_partitions()


def stored(webhook, received_at) -> WebhookEvent:
    return WebhookEvent.objects.create(webhook_id=webhook, body=b"{}", received_at=received_at)


def partition_of(event_id) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT tableoid::regclass::text FROM "{retention.TABLE}" WHERE id = %s', [event_id]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def low_partition() -> str:
    return retention.layout().low[1]


def prune_by_hand() -> str:
    call_command("prune_events", stdout=(out := io.StringIO()))
    return out.getvalue()


def elsewhere(work, timeout=30):
    """``work()`` on another connection, in another thread; its result, or what it raised."""
    result = {}

    def run():
        try:
            result["value"] = work()
        except Exception as error:  # noqa: BLE001 - handed to the test
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "still running"
    if "error" in result:
        raise result["error"]
    return result["value"]


def ingest_without_waiting(webhook) -> str:
    """An event written from another connection that gives up if it waits 2 s for a lock."""

    def insert():
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        return str(stored(webhook, timezone.now()).pk)

    return elsewhere(insert)


def locks_on_events(pid) -> set[str]:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT mode FROM pg_locks WHERE pid = %s AND relation = %s::regclass",
            [pid, retention.TABLE],
        )
        return {mode for (mode,) in cursor.fetchall()}


def test_the_events_table_is_partitioned_by_week_between_two_end_partitions(owner):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat, partdefid FROM pg_partitioned_table "
            "WHERE partrelid = %s::regclass",
            [retention.TABLE],
        )
        assert cursor.fetchone() == ("r", 0)  # no default partition
    this_week = retention.week_start(timezone.now())
    found = retention.layout()
    assert set(found.weeks) == {this_week + n * WEEK for n in range(3)}
    assert found.low[0] == this_week and found.high[0] == this_week + 3 * WEEK

    event_id = send(create_webhook(owner), {"status": "firing"})  # through ingest
    assert partition_of(event_id) == retention.week_name(this_week)
    long_ago = stored(create_webhook(owner, "other"), timezone.now() - timedelta(days=400))
    assert partition_of(long_ago.pk) == low_partition()


def test_the_periodic_task_makes_the_coming_weeks_and_moves_their_events_in(owner):
    webhook = create_webhook(owner)
    now = timezone.now()
    assert prune_events.apply().successful()  # the periodic task, run as a worker does
    assert retention.create_weeks(now) == []  # made ahead already
    later = now + 5 * WEEK
    early = stored(webhook, later)  # beyond the last week: the high partition holds it
    assert partition_of(early.pk) == retention.layout().high[1]
    earlier = stored(webhook, now - 3 * WEEK)

    made = retention.create_weeks(later, since=now - 4 * WEEK)

    assert retention.week_name(retention.week_start(later)) in made
    found = retention.layout()
    assert set(found.weeks) >= {retention.week_start(later) + n * WEEK for n in range(3)}
    assert set(found.weeks) >= {retention.week_start(now) - n * WEEK for n in range(5)}
    assert found.high[0] == retention.week_start(later) + 3 * WEEK and not found.detached
    assert partition_of(early.pk) == retention.week_name(retention.week_start(later))
    earlier_week = retention.week_start(earlier.received_at)
    assert partition_of(earlier.pk) == retention.week_name(earlier_week)
    assert retention.create_weeks(later) == []  # made once


def test_retention_drops_whole_weeks_but_keeps_the_events_of_unresolved_incidents(owner, settings):
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 10 * WEEK)
    old = now - 8 * WEEK
    held, released, unlinked = (stored(webhook, old + timedelta(hours=n)) for n in range(3))
    recent = stored(webhook, now - timedelta(days=20))
    open_incident = make_incident(owner.team)
    resolved = make_incident(owner.team, status="resolved", resolved_at=now)
    IncidentEvent.objects.create(incident=open_incident, event=held)
    IncidentEvent.objects.create(incident=resolved, event=held)
    IncidentEvent.objects.create(incident=resolved, event=released)
    old_week = retention.week_name(retention.week_start(old))

    out = prune_by_hand()

    assert "(1 of their events kept for unresolved incidents), 0 older event(s)" in out
    found = retention.layout()
    assert old_week not in found.weeks.values() and not found.detached
    # The weeks ended before the retention's start are gone, the low partition ends there.
    assert found.low[0] == min(found.weeks) and found.low[0] + WEEK > now - timedelta(days=30)
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {held.pk, recent.pk}
    assert partition_of(held.pk) == low_partition()
    assert WebhookEvent.objects.get(pk=held.pk).body == held.body
    # The links of the events dropped go with them; the kept event keeps both of its own.
    assert set(IncidentEvent.objects.values_list("incident_id", "event_id")) == {
        (open_incident.pk, held.pk),
        (resolved.pk, held.pk),
    }
    assert unlinked.pk not in set(IncidentEvent.objects.values_list("event_id", flat=True))

    # Once its incident is resolved, the kept event goes too, by a batched delete.
    Incident.objects.filter(pk=open_incident.pk).update(status="resolved", resolved_at=now)
    assert retention.maintain().events_deleted == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {recent.pk}
    assert not IncidentEvent.objects.exists()


def test_ingest_does_not_wait_while_prune_detaches_a_week(owner, settings):
    """A transaction that read the events table stays open: the concurrent detach waits for
    it, holding its locks. An insert meanwhile is not kept waiting (2 s lock timeout)."""
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 7 * WEEK)
    old = stored(webhook, now - 6 * WEEK)
    reader = connection.get_new_connection(connection.get_connection_params())
    try:
        reader.execute(f'SELECT count(*) FROM "{retention.TABLE}"')  # a transaction opens
        pruning = threading.Thread(target=lambda: (prune_by_hand(), connections.close_all()))
        pruning.start()
        pid = None
        for _ in range(600):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND wait_event_type "
                    "= 'Lock' AND pid <> pg_backend_pid()",
                    ["%DETACH PARTITION % CONCURRENTLY"],
                )
                row = cursor.fetchone()
            if row:
                pid = row[0]
                break
            time.sleep(0.05)
        assert pid, "the detach did not wait for the open transaction"

        assert not locks_on_events(pid) & BLOCKING_INGEST
        event_id = ingest_without_waiting(webhook)
    finally:
        reader.rollback()
        reader.close()
    pruning.join(60)
    assert not pruning.is_alive()
    # The week went (its event with it), the event written meanwhile is there.
    assert {str(pk) for pk in WebhookEvent.objects.values_list("pk", flat=True)} == {event_id}
    assert str(old.pk) != event_id and not retention.layout().detached


def test_ingest_does_not_wait_while_prune_attaches_the_kept_events(owner, settings):
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 7 * WEEK)
    held = stored(webhook, now - 6 * WEEK)
    IncidentEvent.objects.create(incident=make_incident(owner.team), event=held)
    seen = []

    def meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "ATTACH PARTITION" in sql:  # its transaction still open
            pid = connection.connection.info.backend_pid
            seen.append((locks_on_events_elsewhere(pid), ingest_without_waiting(webhook)))
        return result

    with connection.execute_wrapper(meanwhile):
        pruned = retention.maintain()

    assert pruned.events_kept == 1
    assert seen and all(
        "ShareUpdateExclusiveLock" in locks and not locks & BLOCKING_INGEST for locks, _ in seen
    )
    assert partition_of(held.pk) == low_partition()
    stored_ids = {str(pk) for pk in WebhookEvent.objects.values_list("pk", flat=True)}
    assert {pk for _, pk in seen} <= stored_ids


def locks_on_events_elsewhere(pid) -> set[str]:
    return elsewhere(lambda: locks_on_events(pid))


def cancelled_detach(name: str) -> None:
    """A concurrent detach cancelled while it waits, as a run that dies there leaves it."""
    reader = connection.get_new_connection(connection.get_connection_params())
    detacher = connection.get_new_connection(connection.get_connection_params())
    detacher.autocommit = True
    try:
        reader.execute(f'SELECT count(*) FROM "{retention.TABLE}"')
        detacher.execute("SET statement_timeout = '300ms'")
        with pytest.raises(Exception, match="statement timeout"):
            detacher.execute(
                f'ALTER TABLE "{retention.TABLE}" DETACH PARTITION "{name}" CONCURRENTLY'
            )
    finally:
        reader.rollback()
        reader.close()
        detacher.close()


@pytest.mark.parametrize("dies_in", ["detach", "_build", "_drop_detached"])
def test_a_prune_that_died_is_finished_by_the_next_run(owner, settings, monkeypatch, dies_in):
    """The run dies with a detach pending, with weeks detached and the new low partition not
    attached, or before it drops what it detached: the next run finishes, and keeps what it
    must."""
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 7 * WEEK)
    held, released = (stored(webhook, now - 6 * WEEK + timedelta(hours=n)) for n in range(2))
    kept_before = stored(webhook, now - 50 * WEEK)  # in the low partition, held
    IncidentEvent.objects.create(incident=make_incident(owner.team), event=held)
    IncidentEvent.objects.create(incident=make_incident(owner.team), event=kept_before)
    resolved = make_incident(owner.team, status="resolved", resolved_at=now)
    IncidentEvent.objects.create(incident=resolved, event=released)
    week = retention.week_name(retention.week_start(released.received_at))

    if dies_in == "detach":
        cancelled_detach(week)
        assert retention.layout().pending == week
    else:
        real = getattr(retention, dies_in)

        def die(*args, **kwargs):
            raise RuntimeError("killed")

        monkeypatch.setattr(retention, dies_in, die)
        with pytest.raises(RuntimeError):
            retention.maintain(now)
        assert retention.layout().detached  # left behind
        monkeypatch.setattr(retention, dies_in, real)
    assert ingest_without_waiting(webhook)  # meanwhile

    pruned = retention.maintain(now)

    found = retention.layout()
    assert not found.detached and not found.pending and found.low[0] > held.received_at
    assert week not in found.weeks.values()
    assert pruned.weeks_dropped >= 1
    assert {held.pk, kept_before.pk} <= set(WebhookEvent.objects.values_list("pk", flat=True))
    assert not WebhookEvent.objects.filter(pk=released.pk).exists()
    assert partition_of(held.pk) == partition_of(kept_before.pk) == low_partition()
    assert set(IncidentEvent.objects.values_list("event_id", flat=True)) == {
        held.pk,
        kept_before.pk,
    }


def test_a_week_not_wholly_past_the_retention_is_kept(owner, settings):
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 6 * WEEK)
    cutoff = now - timedelta(days=30)
    # Its week ends after the cutoff: the week stays whole, older events of it included.
    straddling = stored(webhook, retention.week_start(cutoff) + timedelta(minutes=1))

    retention.maintain(now)

    assert WebhookEvent.objects.filter(pk=straddling.pk).exists()
    assert retention.week_start(cutoff) in retention.weeks()


def test_old_events_go_but_those_of_unresolved_incidents(owner, settings, monkeypatch):
    settings.EVENT_RETENTION_DAYS = 30
    monkeypatch.setattr(retention, "DELETE_BATCH", 2)  # several batches
    webhook = create_webhook(owner)
    now = timezone.now()
    held, released, *unlinked = (stored(webhook, now - timedelta(days=31 + n)) for n in range(6))
    recent = stored(webhook, now - timedelta(days=29))
    open_incident = make_incident(owner.team)
    resolved = make_incident(owner.team, status="resolved", resolved_at=now)
    IncidentEvent.objects.create(incident=open_incident, event=held)
    IncidentEvent.objects.create(incident=resolved, event=held)
    IncidentEvent.objects.create(incident=resolved, event=released)

    assert retention.prune(now).events_deleted == 5  # none in a week: from the low partition

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {held.pk, recent.pk}
    # The links of the events deleted go with them; the kept event keeps both of its own.
    assert set(IncidentEvent.objects.values_list("incident_id", "event_id")) == {
        (open_incident.pk, held.pk),
        (resolved.pk, held.pk),
    }

    # Once its incident is resolved, the kept event goes too.
    Incident.objects.filter(pk=open_incident.pk).update(status="resolved", resolved_at=now)
    assert retention.prune(now).events_deleted == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {recent.pk}
    assert not IncidentEvent.objects.exists()


def test_the_periodic_task_and_the_command_prune(owner, settings, capsys):
    settings.EVENT_RETENTION_DAYS = 1
    webhook = create_webhook(owner)
    stored(webhook, timezone.now() - timedelta(days=400))
    kept = stored(webhook, timezone.now())
    assert prune_events.apply().result["events_deleted"] == 1

    stored(webhook, timezone.now() - timedelta(days=200))
    call_command("prune_events")
    assert "1 older event(s) deleted" in capsys.readouterr().out
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_detaching_inside_a_transaction_is_refused(owner):
    from django.db import transaction

    with transaction.atomic():
        assert retention.maintain() == retention.Pruned()  # nothing to detach: nothing done
        with pytest.raises(RuntimeError, match="not inside a transaction"):
            retention.create_weeks(since=timezone.now() - 3 * WEEK)  # the low end detached


def test_on_sqlite_the_embedded_default_prunes_too(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "DATA_DIR": str(tmp_path),
        "EVENT_RETENTION_DAYS": "30",
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=django_settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    script = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from accounts.models import Organization\n"
        "from webhooks.models import Webhook, WebhookEvent\n"
        "org = Organization.objects.create(name='Embedded')\n"
        "webhook = Webhook.objects.create(organization=org)\n"
        "for days in (1, 40, 400):\n"
        "    WebhookEvent.objects.create(webhook=webhook, body=b'{}',\n"
        "        received_at=timezone.now() - timedelta(days=days))\n"
    )
    manage("shell", "-v", "0", "-c", script)
    assert "2 older event(s) deleted" in manage("prune_events")
    count = "from webhooks.models import WebhookEvent; print(WebhookEvent.objects.count())"
    assert manage("shell", "-v", "0", "-c", count).strip() == "1"
