"""Retention of stored events: kept ``EVENT_RETENTION_DAYS``, except those of unresolved
incidents (README "Retention"). Older events are deleted in batches, a transaction each, with
their incident links.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from incidents.models import IncidentEvent, IncidentStatus
from webhooks.models import WebhookEvent

DELETE_BATCH = 1000


@dataclass
class Pruned:
    events_deleted: int = 0


def prune(now: datetime | None = None) -> Pruned:
    """Delete the events received before the retention's start that no unresolved incident
    holds, a batch per transaction (their incident links too)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    held = IncidentEvent.objects.filter(event_id=OuterRef("pk")).exclude(
        incident__status=IncidentStatus.RESOLVED
    )
    old = WebhookEvent.objects.filter(received_at__lt=cutoff).exclude(Exists(held))
    pruned = Pruned()
    while ids := list(old.values_list("pk", flat=True)[:DELETE_BATCH]):
        with transaction.atomic():
            # Asked again: an event held meanwhile stays.
            _, by_model = old.filter(pk__in=ids).delete()
        if not by_model.get(WebhookEvent._meta.label):
            break  # every one held meanwhile: the next run
        pruned.events_deleted += by_model[WebhookEvent._meta.label]
    return pruned
