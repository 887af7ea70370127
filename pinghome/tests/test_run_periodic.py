from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from rulesets.tests.pipeline import create_ruleset, create_webhook, incidents
from webhooks.models import WebhookEvent


@pytest.mark.django_db
def test_run_periodic_once_redrives_pending_events(owner, settings):
    settings.EVALUATION_REDRIVE_AFTER_SECONDS = 60
    webhook = create_webhook(owner)
    create_ruleset(owner)
    WebhookEvent.objects.create(
        webhook_id=webhook, body=b"{}", received_at=timezone.now() - timedelta(minutes=5)
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("run_periodic", "--once")
    assert len(incidents(owner)) == 1
