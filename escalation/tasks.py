from celery import shared_task

from escalation import services


@shared_task(acks_late=True)
def escalate_due() -> int:
    return services.escalate_due()


@shared_task(acks_late=True)
def send_pages(
    users: list[list[str]], channels: list[list[str]], announcements: list[list[str]]
) -> None:
    services.send_pages(users, channels, announcements)
