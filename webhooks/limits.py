"""Per-webhook ingest limits: ``max_events_per_minute``; beyond it, 429 and nothing stored.

Ingest asks ``admit(key)`` before it stores an event. The webhook of an ingest key and its
limit are read once a second per process (a key of a rotated URL counts for its webhook; an
unknown key is refused at no further cost for that second), so in a storm ingest still costs
one statement per event, the insert; the
event is counted with ``pinghome.ratelimit.hit`` under ``ingest:<webhook id>``: one atomic Lua
``INCRBY`` in CACHE_URL's Redis, exact whatever the number of processes and threads (in the
process itself without CACHE_URL). While Redis cannot be reached each process counts on its own
meanwhile, as without CACHE_URL (``ratelimit`` logs it once): the limit holds per process, and
nothing the shared count would accept is refused.

Refused events are counted in /metrics at once (``pinghome_events_rejected`` with reason
``rate_limited``) and in ``Webhook.rejected_events``: added up in memory and written by a
background thread at most once a second per webhook (one ``UPDATE`` each), so a storm that is
refused costs the database next to nothing; counts not yet written when a process is killed are
lost (a normal exit writes them). Without a broker (the embedded default, tests) each refusal is
written at once.
"""

import atexit
import logging
import os
import threading
import time
import uuid
from collections import Counter
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from pinghome import metrics, ratelimit
from pinghome.memo import ShortLived
from webhooks.models import Webhook, WebhookIngestKey

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60

_limits = ShortLived(seconds=1.0)
for _model in (Webhook, WebhookIngestKey):
    post_save.connect(_limits.clear, sender=_model, weak=False)
    post_delete.connect(_limits.clear, sender=_model, weak=False)


class OverLimit(Exception):
    """The webhook is over its ``max_events_per_minute`` (429): nothing is stored."""

    def __init__(self, retry_after: int):
        super().__init__(f"over the limit for {retry_after} s")
        self.retry_after = retry_after  # seconds until the webhook's window ends


def _limit_of(key: uuid.UUID) -> tuple[Any, int] | None:
    """(webhook id, events per minute) of the webhook that ``key`` belongs to; None for an
    unknown key. Whether the key is still accepted (not expired) the insert decides."""
    return (
        WebhookIngestKey.objects.filter(key=key)
        .values_list("webhook_id", "webhook__max_events_per_minute")
        .first()
    )


def admit(key: uuid.UUID) -> bool:
    """Count an event for the webhook of ``key``: False when no webhook has the key,
    ``OverLimit`` (the refusal counted) when it is over the webhook's limit."""
    limit = _limits.get(key, partial(_limit_of, key))
    if limit is None:
        return False
    webhook_id, per_minute = limit
    verdict = ratelimit.hit(
        f"ingest:{webhook_id}", limit=per_minute, window=WINDOW_SECONDS, local_when_down=True
    )
    if not verdict.allowed:
        rejected.add(webhook_id)
        metrics.event_rejected(webhook_id, "rate_limited")
        raise OverLimit(verdict.retry_after)
    return True


class RejectedCounts:
    """Refused events per webhook, added up in this process and written from a background
    thread at most every ``interval`` seconds."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._pid: int | None = None
        self._eager = not settings.CELERY_BROKER_URL

    def add(self, webhook_id: Any) -> None:
        if not self._eager:
            self._start_once_per_process()
        with self._lock:
            self._counts[webhook_id] += 1
        if self._eager:
            self.flush()

    def _start_once_per_process(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child (gunicorn worker)
                self._counts = Counter()
                threading.Thread(target=self._run, name="rejected-events", daemon=True).start()
                atexit.register(self.flush)
                self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            close_old_connections()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        for webhook_id, count in counts.items():
            try:
                Webhook.objects.filter(pk=webhook_id).update(
                    rejected_events=F("rejected_events") + count
                )
            except DatabaseError:  # the database briefly away: counted at the next write
                logger.exception("could not count %s rejected events of %s", count, webhook_id)
                with self._lock:
                    self._counts[webhook_id] += count


rejected = RejectedCounts()
