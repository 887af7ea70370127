"""Retention: events older than EVENT_RETENTION_DAYS let go by the periodic task and
``prune_events``, but those of unresolved incidents. On PostgreSQL the events table is
partitioned by week, weeks made ahead by the periodic task and whole weeks dropped, what no
week holds deleted in batches; on SQLite deletes in batches."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from incidents.tests.builders import make_incident
from rulesets.tests.pipeline import create_webhook, send
from webhooks import retention
from webhooks.models import WebhookEvent
from webhooks.tasks import prune_events

pytestmark = pytest.mark.django_db

WEEK = timedelta(days=7)


def stored(webhook, received_at) -> WebhookEvent:
    return WebhookEvent.objects.create(webhook_id=webhook, body=b"{}", received_at=received_at)


def partition_of(event_id) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT tableoid::regclass::text FROM "{retention.TABLE}" WHERE id = %s', [event_id]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def prune(now):
    """The periodic task's work. Foreign keys are checked first, as a commit would: a table
    with checks pending (the test's uncommitted rows) cannot be detached."""
    connection.check_constraints()
    return retention.maintain(now)


def test_the_events_table_is_partitioned_by_week_with_weeks_ahead(owner):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = %s::regclass",
            [retention.TABLE],
        )
        assert cursor.fetchone() == ("r",)
    this_week = retention.week_start(timezone.now())
    assert {this_week + n * WEEK for n in range(3)} <= set(retention.weeks())

    event_id = send(create_webhook(owner), {"status": "firing"})  # through ingest
    assert partition_of(event_id) == retention.week_name(this_week)


def test_the_periodic_task_makes_the_coming_weeks_and_moves_their_events_in(owner):
    webhook = create_webhook(owner)
    later = timezone.now() + 5 * WEEK
    early = stored(webhook, later)  # no week holds it yet
    assert partition_of(early.pk) == retention.DEFAULT_PARTITION

    made = retention.create_weeks(later)

    assert retention.week_name(retention.week_start(later)) in made
    assert set(retention.weeks()) >= {retention.week_start(later) + n * WEEK for n in range(3)}
    assert partition_of(early.pk) == retention.week_name(retention.week_start(later))
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

    pruned = prune(now)

    assert old_week not in retention.weeks().values()
    assert pruned.weeks_dropped >= 1 and pruned.events_kept == 1
    assert pruned.events_deleted == 0  # nothing row by row
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {held.pk, recent.pk}
    assert partition_of(held.pk) == retention.DEFAULT_PARTITION
    assert WebhookEvent.objects.get(pk=held.pk).body == held.body
    # The links of the events dropped go with them; the kept event keeps both of its own.
    assert set(IncidentEvent.objects.values_list("incident_id", "event_id")) == {
        (open_incident.pk, held.pk),
        (resolved.pk, held.pk),
    }
    assert unlinked.pk not in set(IncidentEvent.objects.values_list("event_id", flat=True))

    # Once its incident is resolved, the kept event goes too, by a batched delete.
    Incident.objects.filter(pk=open_incident.pk).update(status="resolved", resolved_at=now)
    assert prune(now).events_deleted == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {recent.pk}
    assert not IncidentEvent.objects.exists()


def test_a_week_detached_but_not_dropped_is_dropped_by_the_next_run(owner, settings, monkeypatch):
    """The process dies between the detach (committed) and the drop: the next run finishes."""
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 5 * WEEK)  # the oldest week: the first dropped
    held, released = (stored(webhook, now - 5 * WEEK + timedelta(hours=n)) for n in range(2))
    IncidentEvent.objects.create(incident=make_incident(owner.team), event=held)
    resolved = make_incident(owner.team, status="resolved", resolved_at=now)
    IncidentEvent.objects.create(incident=resolved, event=released)
    week = retention.week_name(retention.week_start(released.received_at))
    drop = retention._drop_detached

    def die(name):
        raise RuntimeError("killed")

    monkeypatch.setattr(retention, "_drop_detached", die)
    with pytest.raises(RuntimeError):
        prune(now)
    assert week not in retention.weeks().values()
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {held.pk}
    monkeypatch.setattr(retention, "_drop_detached", drop)

    prune(now)

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [week])
        assert cursor.fetchone() == (None,)
    assert set(IncidentEvent.objects.values_list("event_id", flat=True)) == {held.pk}
    assert partition_of(held.pk) == retention.DEFAULT_PARTITION


def test_a_week_not_wholly_past_the_retention_is_kept(owner, settings):
    settings.EVENT_RETENTION_DAYS = 30
    webhook = create_webhook(owner)
    now = timezone.now()
    retention.create_weeks(now, since=now - 6 * WEEK)
    cutoff = now - timedelta(days=30)
    # Its week ends after the cutoff: the week stays whole, older events of it included.
    straddling = stored(webhook, retention.week_start(cutoff) + timedelta(minutes=1))

    prune(now)

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

    assert retention.prune(now).events_deleted == 5  # none in a week: from the default partition

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
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert prune_events.delay().get()["events_deleted"] == 1

    stored(webhook, timezone.now() - timedelta(days=200))
    call_command("prune_events")
    assert "1 older event(s) deleted" in capsys.readouterr().out
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [kept.pk]


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
