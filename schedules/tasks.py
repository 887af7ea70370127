"""Schedule tasks: thin wrappers over ``schedules.personal`` (take primary keys, idempotent)."""

from celery import shared_task

from schedules import personal


@shared_task(acks_late=True)
def cover_requested(cover_id: str) -> int:
    return personal.tell_cover_requested(cover_id)


@shared_task(acks_late=True)
def cover_taken(cover_id: str) -> int:
    return personal.tell_cover_taken(cover_id)


@shared_task(acks_late=True)
def send_shift_reminders() -> int:
    return personal.send_shift_reminders()
