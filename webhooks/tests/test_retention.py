"""Retention: events older than EVENT_RETENTION_DAYS deleted in batches by the periodic task and
``prune_events``, but those of unresolved incidents; on PostgreSQL and on SQLite."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from incidents.tests.builders import make_incident
from rulesets.tests.pipeline import create_webhook
from webhooks import retention
from webhooks.models import WebhookEvent
from webhooks.tasks import prune_events

pytestmark = pytest.mark.django_db


def stored(webhook, received_at) -> WebhookEvent:
    return WebhookEvent.objects.create(webhook_id=webhook, body=b"{}", received_at=received_at)


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

    assert retention.prune(now).events_deleted == 5

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
        assert prune_events.delay().get() == {"events_deleted": 1}

    stored(webhook, timezone.now() - timedelta(days=2))
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
