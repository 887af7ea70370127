from celery import shared_task

from incidents import services

ACTION_MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=ACTION_MAX_RETRIES)
def run_action(self, action_id: str) -> None:
    """Run one incident action; retried with exponential backoff, then recorded as failed."""
    try:
        services.run_action(action_id, final_attempt=self.request.retries >= self.max_retries)
    except Exception as exc:  # noqa: BLE001 - run_action already recorded it on the action
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from None


@shared_task(bind=True, acks_late=True, max_retries=ACTION_MAX_RETRIES)
def undo_actions(self, incident_id: str) -> None:
    """Undo what the actions of a resolved incident did (components back to operational)."""
    try:
        services.undo_actions(incident_id)
    except Exception as exc:  # noqa: BLE001 - retried, bounded
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from None


@shared_task(acks_late=True)
def wake_snoozed_incidents() -> int:
    """Trigger again the snoozed incidents whose time came (each once whoever else runs it)."""
    return services.wake_snoozed()


@shared_task(acks_late=True)
def resolve_silent_incidents() -> int:
    """Resolve the incidents silent for their ruleset's ``auto_resolve_after_seconds``."""
    return services.resolve_silent()
