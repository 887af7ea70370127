from celery import shared_task

from rulesets import evaluation, heartbeats


@shared_task(bind=True, acks_late=True, max_retries=5)
def evaluate_events(self, event_ids: list[str]) -> None:
    """Evaluate stored events in receive order (idempotent). What never runs, the re-drive will.

    Chunks with room left take other pending events too (see ``evaluation.evaluate_events``).
    A failure (e.g. the database briefly down) retries the batch; events already evaluated are
    skipped on the retry.
    """
    try:
        evaluation.evaluate_events(event_ids, fill=True)
    except Exception as exc:  # noqa: BLE001 - bounded retries
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60)) from None


@shared_task(acks_late=True)
def redrive_pending_events() -> int:
    """Enqueue events stored but still not evaluated after the configured delay."""
    return evaluation.redrive_pending(enqueue=evaluate_events.delay)


@shared_task
def purge_dedup_states() -> int:
    """Delete the dedup states of keys idle for the retention period (see the service)."""
    return evaluation.purge_dedup_states()


@shared_task(acks_late=True)
def check_heartbeats() -> int:
    """Open the incident of each heartbeat overdue (claimed once whoever else runs it)."""
    return heartbeats.check()
