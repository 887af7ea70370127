import uuid

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from accounts.models import Organization, Team
from pinghome.jobs import BatchingHandoff
from rulesets.tasks import evaluate_events
from webhooks.models import Webhook, WebhookEvent

# Ids of stored events go to evaluation in batches, after commit, off the request path. At
# 700 events/s, batches of 100 ms instead of 50 ms raised the rate evaluation keeps up with
# live from about 580 to 720-880 incidents/s (bench/ingest.py).
handoff = BatchingHandoff(
    evaluate_events, min_interval_seconds=settings.EVALUATION_HANDOFF_MS / 1000
)


def store_event(
    webhook_id: uuid.UUID,
    *,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    ip: str | None,
) -> uuid.UUID | None:
    """Store one received event (committed before the caller answers) and hand it to evaluation.

    The id of the stored event; None when the webhook does not exist. One statement: the
    foreign key is the lookup.
    """
    event_id = uuid.uuid4()
    row = (event_id, webhook_id, timezone.now(), content_type[:255], body, headers, ip)
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the ``connection`` proxy looks it up
    if db.in_atomic_block:
        # Foreign keys are checked at commit (deferred): inside a caller's transaction, look first.
        if not Webhook.objects.filter(pk=webhook_id).exists():
            return None
        _insert(db, row)
        handoff.add_on_commit(str(event_id))
        return event_id
    # Autocommit (a request): the INSERT commits at once and its foreign key check is the
    # lookup. One round trip.
    try:
        _insert(db, row)
    except IntegrityError:
        return None
    handoff.add(str(event_id))  # committed already
    return event_id


# What ingest sets; the evaluation columns start empty (NULL).
_INSERTED = [
    WebhookEvent._meta.get_field(name)
    for name in ("id", "webhook", "received_at", "content_type", "body", "headers", "ip")
]


def _insert(db: BaseDatabaseWrapper, row: tuple) -> None:
    """Insert an event row without building a model instance or compiling a statement per
    request; the values still go through each field's own conversion for the database in use."""
    sql = _insert_sql.get(db.vendor)
    if sql is None:
        columns = ", ".join(db.ops.quote_name(field.column) for field in _INSERTED)
        table = db.ops.quote_name(WebhookEvent._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_INSERTED))})"
        _insert_sql[db.vendor] = sql
    values = [f.get_db_prep_save(value, db) for f, value in zip(_INSERTED, row, strict=True)]
    with db.cursor() as cursor:
        cursor.execute(sql, values)


_insert_sql: dict[str, str] = {}


def create_webhook(
    organization: Organization, *, name: str = "", description: str = "", team: Team | None = None
) -> Webhook:
    return Webhook.objects.create(
        organization=organization, name=name, description=description, team=team
    )
