from celery import shared_task

from notifications import contacts, deliveries, services


@shared_task(acks_late=True)
def notify_opened(incident_ids: list[str]) -> None:
    services.notify_opened_incidents(incident_ids)


@shared_task(acks_late=True)
def send_delivery(delivery_id: str) -> None:
    """Retries are not Celery's: a failed delivery is due again later (``send_due_deliveries``),
    so a retry never waits inside a worker, nor inside a request in the embedded default."""
    deliveries.send(delivery_id)


@shared_task(acks_late=True)
def send_deliveries(delivery_ids: list[str]) -> None:
    deliveries.send_each(delivery_ids)


@shared_task(acks_late=True)
def send_due_deliveries() -> int:
    return deliveries.send_due()


@shared_task(acks_late=True)
def send_verification_code(contact_method_id: str, code: str) -> None:
    contacts.send_verification_code(contact_method_id, code)
