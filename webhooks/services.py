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
        _insert(event)
    else:
        # Autocommit (a request): the INSERT commits at once and its foreign key check is the
        # lookup. One round trip.
        try:
            _insert(event)
        except IntegrityError:
            return None
    handoff.add_on_commit(str(event.id))
    return event


def _insert(event: WebhookEvent) -> None:
    """``event.save(force_insert=True)`` without compiling the statement on every request.

    The values still go through each field's own conversion for the database in use.
    """
    fields = WebhookEvent._meta.concrete_fields
    sql = _insert_sql.get(connection.vendor)
    if sql is None:
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        table = connection.ops.quote_name(WebhookEvent._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        _insert_sql[connection.vendor] = sql
    values = [field.get_db_prep_save(field.pre_save(event, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


_insert_sql: dict[str, str] = {}


def create_webhook(
    organization: Organization, *, name: str = "", description: str = "", team: Team | None = None
) -> Webhook:
    return Webhook.objects.create(
        organization=organization, name=name, description=description, team=team
    )
