from celery import shared_task

from escalation import services


@shared_task(acks_late=True)
def escalate_due() -> int:
    return services.escalate_due()
