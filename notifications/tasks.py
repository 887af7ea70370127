from celery import shared_task

from notifications import services
from notifications.delivery import DeliveryError

DELIVERY_MAX_RETRIES = 4


@shared_task(acks_late=True)
def notify_assignees(incident_id: str, assignees: list[dict] | None, reason: str) -> int:
    return services.notify_assignees(incident_id, assignees, reason)


@shared_task(acks_late=True)
def notify_opened(incident_ids: list[str]) -> None:
    services.notify_opened_incidents(incident_ids)


@shared_task(bind=True, acks_late=True, max_retries=DELIVERY_MAX_RETRIES)
def deliver(self, incident_id: str, user_id: str, channel_id: str, reason: str) -> None:
    try:
        services.deliver(
            incident_id,
            user_id,
            channel_id,
            reason,
            final_attempt=self.request.retries >= self.max_retries,
        )
    except (DeliveryError, OSError) as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from None


@shared_task(acks_late=True)
def escalate_due() -> int:
    return services.escalate_due()


@shared_task(acks_late=True)
def escalate(incident_id: str, token: str) -> bool:
    return services.escalate(incident_id, token)
