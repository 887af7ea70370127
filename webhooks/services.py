import uuid
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from accounts.models import Organization, Team, User
from accounts.permissions import ensure_org_admin
from audit import services as audit
from pinghome.jobs import BatchingHandoff
from rulesets import heartbeats
from rulesets.models import Level
from rulesets.services import ensure_can_manage
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


@transaction.atomic
def create_webhook(
    organization: Organization,
    *,
    name: str = "",
    description: str = "",
    team: Team | None = None,
    by: User | None = None,
    **heartbeat: Any,
) -> Webhook:
    """A new webhook; with ``expect_every_seconds`` (``heartbeats.FIELDS``), its heartbeat
    ruleset too, which only who manages its team may create."""
    webhook = Webhook(organization=organization, name=name, description=description, team=team)
    heartbeats.configure(webhook, heartbeat)
    if webhook.expect_every_seconds is not None and by is not None:
        ensure_can_manage(by, level=Level.TEAM, team=webhook.team)
    webhook.save()
    heartbeats.sync_ruleset(webhook, by=by)
    return webhook


def _audited(webhook: Webhook) -> dict[str, Any]:
    return audit.snapshot(webhook, ["name", "description", "team_id", *heartbeats.FIELDS])


def ensure_can_change(user: User, webhook: Webhook) -> None:
    """A team's webhook is changed by the team's managers, any other by organization admins."""
    if webhook.team is None:
        ensure_org_admin(user)
    else:
        ensure_can_manage(user, level=Level.TEAM, team=webhook.team)


@transaction.atomic
def update_webhook(webhook: Webhook, *, by: User, changes: dict[str, Any]) -> Webhook:
    """Change the given fields (the others keep their value), audited: name, description, team,
    and the heartbeat (set, change, pause, resume, or switch off with ``expect_every_seconds``
    None)."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    ensure_can_change(by, webhook)
    before = _audited(webhook)
    for field in ("name", "description", "team"):
        if field in changes:
            setattr(webhook, field, changes[field])
    ensure_can_change(by, webhook)
    heartbeats.configure(webhook, changes)
    webhook.save()
    heartbeats.sync_ruleset(webhook, by=by)
    audit.record_update(by, webhook, before, _audited(webhook))
    return webhook
