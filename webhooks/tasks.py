from dataclasses import asdict

from celery import shared_task

from webhooks import retention, sns


@shared_task(bind=True, acks_late=True, max_retries=4)
def confirm_sns_subscription(self, event_id: str) -> None:
    try:
        sns.confirm_subscription(event_id, final_attempt=self.request.retries >= self.max_retries)
    except sns.TransientError as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 10, 300)) from None


@shared_task(acks_late=True)
def prune_events() -> dict[str, int]:
    """Make the coming weeks' partitions, then let go of the events the retention does."""
    return asdict(retention.maintain())
