import uuid

from accounts.models import Organization, Team
from pinghome.jobs import enqueue_on_commit
from rulesets.tasks import evaluate_event
from webhooks.models import Webhook, WebhookEvent


def store_event(
    webhook_id: uuid.UUID,
    *,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    ip: str | None,
) -> WebhookEvent | None:
    """Store one received event (committed before the caller answers) and hand it to evaluation.

    None when the webhook does not exist. One indexed lookup, one insert.
    """
    if not Webhook.objects.filter(pk=webhook_id).exists():
        return None
    event = WebhookEvent.objects.create(
        webhook_id=webhook_id,
        body=body,
        content_type=content_type[:255],
        headers=headers,
        ip=ip,
    )
    enqueue_on_commit(evaluate_event, str(event.id))
    return event


def create_webhook(
    organization: Organization, *, name: str = "", description: str = "", team: Team | None = None
) -> Webhook:
    return Webhook.objects.create(
        organization=organization, name=name, description=description, team=team
    )
