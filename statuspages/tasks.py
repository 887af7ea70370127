from celery import shared_task

from statuspages import subscriptions


@shared_task(acks_late=True)
def send_confirmation(subscriber_id: str) -> None:
    subscriptions.send_confirmation(subscriber_id)


@shared_task(acks_late=True)
def mail_update(update_id: str) -> int:
    """Mail a notice's update to the confirmed subscribers (once, whoever runs it)."""
    return subscriptions.mail_update(update_id)


@shared_task(acks_late=True)
def mail_unmailed_updates() -> int:
    return subscriptions.mail_unmailed_updates()
