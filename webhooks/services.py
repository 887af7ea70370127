import uuid

from django.db import IntegrityError, connection

from accounts.models import Organization, Team
from pinghome.jobs import BatchingHandoff
from rulesets.tasks import evaluate_events
from webhooks.models import Webhook, WebhookEvent

# Ids of stored events go to evaluation in batches, after commit, off the request path.
handoff = BatchingHandoff(evaluate_events)


def store_event(
    webhook_id: uuid.UUID,
    *,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    ip: str | None,
) -> WebhookEvent | None:
    """Store one received event (committed before the caller answers) and hand it to evaluation.

    None when the webhook does not exist. One statement: the foreign key is the lookup.
    """
    event = WebhookEvent(
        webhook_id=webhook_id, body=body, content_type=content_type[:255], headers=headers, ip=ip
    )
    if connection.in_atomic_block:
        # Foreign keys are checked at commit (deferred): inside a caller's transaction, look first.
        if not Webhook.objects.filter(pk=webhook_id).exists():
            return None
        event.save(force_insert=True)
    else:
        # Autocommit (a request): the INSERT commits at once and its foreign key check is the
        # lookup. One round trip.
        try:
            event.save(force_insert=True)
        except IntegrityError:
            return None
    handoff.add_on_commit(str(event.id))
    return event


def create_webhook(
    organization: Organization, *, name: str = "", description: str = "", team: Team | None = None
) -> Webhook:
    return Webhook.objects.create(
        organization=organization, name=name, description=description, team=team
    )
