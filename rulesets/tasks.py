from celery import shared_task


@shared_task(acks_late=True)
def evaluate_event(event_id: str) -> None:
    """Evaluate a stored event against the rulesets (the pipeline lands in the next issue)."""
