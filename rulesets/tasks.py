from celery import shared_task

from rulesets import evaluation


@shared_task(bind=True, acks_late=True, max_retries=5)
def evaluate_event(self, event_id: str) -> None:
    """Evaluate a stored event (idempotent). If this never runs, the periodic re-drive will."""
    try:
        evaluation.evaluate_and_follow_up(event_id)
    except Exception as exc:  # noqa: BLE001 - e.g. database briefly down; bounded retries
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 60)) from None


@shared_task(acks_late=True)
def redrive_pending_events() -> int:
    """Enqueue events stored but still not evaluated after the configured delay."""
    return evaluation.redrive_pending(enqueue=evaluate_event.delay)
