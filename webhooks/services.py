import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, Team, User
from accounts.permissions import ensure_org_admin
from audit import services as audit
from audit.models import AuditAction
from pinghome import metrics
from pinghome.api import Conflict
from pinghome.jobs import BatchingHandoff
from rulesets import heartbeats
from rulesets.models import Level, Ruleset
from rulesets.services import ensure_can_manage
from rulesets.tasks import evaluate_events
from webhooks import limits
from webhooks.models import DEFAULT_EVENTS_PER_MINUTE, Webhook, WebhookEvent, WebhookIngestKey

# Ids of stored events go to evaluation in batches, after commit, off the request path. At
# 700 events/s, batches of 100 ms instead of 50 ms raised the rate evaluation keeps up with
# live from about 580 to 720-880 incidents/s (bench/ingest.py).
handoff = BatchingHandoff(
    evaluate_events, min_interval_seconds=settings.EVALUATION_HANDOFF_MS / 1000
)


def store_event(
    key: uuid.UUID,
    *,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    ip: str | None,
) -> uuid.UUID | None:
    """Store one event received at the ingest URL of ``key`` (committed before the caller
    answers) and hand it to evaluation.

    The id of the stored event; None when no webhook accepts the key (unknown, rotated past its
    grace period, or its webhook deleted). One statement: ``INSERT ... SELECT`` reads the key
    by primary key and inserts nothing when it is not accepted. ``limits.OverLimit`` when the
    webhook is over its ``max_events_per_minute``: nothing is stored.
    """
    if not limits.admit(key):
        return None
    event_id = uuid.uuid4()
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the ``connection`` proxy looks it up
    try:
        webhook_id = _insert(
            db, event_id, key, timezone.now(), content_type[:255], body, headers, ip
        )
    except IntegrityError:  # its webhook removed from the database in the meantime
        return None
    if webhook_id is None:
        return None
    metrics.event_received(webhook_id)
    if db.in_atomic_block:
        handoff.add_on_commit(str(event_id))
    else:
        handoff.add(str(event_id))  # committed already
    return event_id


# What ingest sets; the evaluation columns start empty (NULL), the webhook comes from its key.
_INSERTED = [
    WebhookEvent._meta.get_field(name)
    for name in ("id", "webhook", "received_at", "content_type", "body", "headers", "ip")
]
_ID, _, _RECEIVED_AT, _CONTENT_TYPE, _BODY, _HEADERS, _IP = _INSERTED
_KEY = WebhookIngestKey._meta.get_field("key")
_WEBHOOK_ID = Webhook._meta.get_field("id")


def _insert(
    db: BaseDatabaseWrapper,
    event_id: uuid.UUID,
    key: uuid.UUID,
    received_at,
    content_type: str,
    body: bytes,
    headers: dict[str, str],
    ip: str | None,
) -> uuid.UUID | None:
    """Insert an event row for the webhook of an accepted key, without building a model
    instance or compiling a statement per request; the values still go through each field's own
    conversion for the database in use. The webhook's id when a row was inserted."""
    sql = _insert_sql.get(db.vendor)
    if sql is None:
        quote = db.ops.quote_name
        columns = ", ".join(quote(field.column) for field in _INSERTED)
        keys = quote(WebhookIngestKey._meta.db_table)
        expires = quote("expires_at")
        sql = (
            f"INSERT INTO {quote(WebhookEvent._meta.db_table)} ({columns}) "
            f"SELECT %s, {quote('webhook_id')}, %s, %s, %s, %s, %s FROM {keys} "
            f"WHERE {quote('key')} = %s AND ({expires} IS NULL OR {expires} > %s) "
            f"RETURNING {quote('webhook_id')}"
        )
        _insert_sql[db.vendor] = sql
    now = _RECEIVED_AT.get_db_prep_save(received_at, db)
    values = [
        _ID.get_db_prep_save(event_id, db),
        now,
        _CONTENT_TYPE.get_db_prep_save(content_type, db),
        _BODY.get_db_prep_save(body, db),
        _HEADERS.get_db_prep_save(headers, db),
        _IP.get_db_prep_save(ip, db),
        _KEY.get_db_prep_save(key, db),
        now,
    ]
    with db.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return _WEBHOOK_ID.to_python(row[0]) if row else None


_insert_sql: dict[str, str] = {}


@transaction.atomic
def create_webhook(
    organization: Organization,
    *,
    name: str = "",
    description: str = "",
    team: Team | None = None,
    by: User | None = None,
    max_events_per_minute: int = DEFAULT_EVENTS_PER_MINUTE,
    **heartbeat: Any,
) -> Webhook:
    """A new webhook; with ``expect_every_seconds`` (``heartbeats.FIELDS``), its heartbeat
    ruleset too. By the managers of its team, or organization admins for a webhook of no team
    (``by`` None: the system, e.g. the demo command)."""
    webhook = Webhook(
        organization=organization,
        name=name,
        description=description,
        team=team,
        max_events_per_minute=max_events_per_minute,
    )
    if by is not None:
        ensure_can_change(by, webhook)
    heartbeats.configure(webhook, heartbeat)
    webhook.save()
    heartbeats.sync_ruleset(webhook, by=by)
    audit.record(by, AuditAction.CREATED, webhook, after=_audited(webhook))
    return webhook


def _audited(webhook: Webhook) -> dict[str, Any]:
    return audit.snapshot(
        webhook,
        ["name", "description", "team_id", "max_events_per_minute", *heartbeats.FIELDS],
    )


def ensure_can_change(user: User, webhook: Webhook) -> None:
    """A team's webhook is changed by the team's managers, any other by organization admins."""
    if webhook.team is None:
        ensure_org_admin(user)
    else:
        ensure_can_manage(user, level=Level.TEAM, team=webhook.team)


@transaction.atomic
def update_webhook(webhook: Webhook, *, by: User, changes: dict[str, Any]) -> Webhook:
    """Change the given fields (the others keep their value), audited: name, description, team,
    the ingest limit, and the heartbeat (set, change, pause, resume, or switch off with
    ``expect_every_seconds`` None)."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    ensure_can_change(by, webhook)
    before = _audited(webhook)
    for field in ("name", "description", "team", "max_events_per_minute"):
        if field in changes:
            setattr(webhook, field, changes[field])
    ensure_can_change(by, webhook)
    heartbeats.configure(webhook, changes)
    webhook.save()
    heartbeats.sync_ruleset(webhook, by=by)
    audit.record_update(by, webhook, before, _audited(webhook))
    return webhook


@transaction.atomic
def delete_webhook(webhook: Webhook, *, by: User) -> None:
    """Soft deletion: ingest to any of its URLs answers 404 at once, its heartbeat is switched
    off, it leaves lists, pages and rulesets' choices; its stored events stay until they are
    purged. A 409 (``Conflict``) names the rulesets that listen to it: change them first (with
    no webhook left, one would listen to every webhook)."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    ensure_can_change(by, webhook)
    listening = (
        Ruleset.objects.filter(webhooks=webhook, heartbeat_of__isnull=True)
        .order_by("name")
        .values_list("pk", "name")
    )
    if listening:
        raise Conflict(
            f"Rulesets listen to webhook {webhook}: remove it from them first.",
            errors={"rulesets": [f"{name} ({pk})" for pk, name in listening]},
        )
    before = _audited(webhook)
    heartbeats.configure(webhook, {"expect_every_seconds": None})
    webhook.deleted_at = timezone.now()
    webhook.save()
    heartbeats.sync_ruleset(webhook, by=by)
    _expire_keys(webhook, at=webhook.deleted_at)
    audit.record(by, AuditAction.DELETED, webhook, before=before)


def _expire_keys(webhook: Webhook, *, at) -> None:
    """Every key of the webhook still accepted after ``at`` is accepted until ``at`` only."""
    WebhookIngestKey.objects.filter(webhook=webhook).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    ).update(expires_at=at)


DEFAULT_ROTATION_GRACE = timedelta(hours=24)
MAX_ROTATION_GRACE = timedelta(days=7)


@transaction.atomic
def rotate_ingest_url(
    webhook: Webhook, *, by: User, grace: timedelta = DEFAULT_ROTATION_GRACE
) -> datetime:
    """A new ingest URL for the webhook; the current one keeps working for ``grace`` (then 404),
    earlier ones no longer than they would have, nor than that. When the current URL stops
    working."""
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    ensure_can_change(by, webhook)
    now = timezone.now()
    until = now + grace
    WebhookIngestKey.objects.filter(webhook=webhook, expires_at__lte=now).delete()
    WebhookIngestKey.objects.filter(webhook=webhook).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=until)
    ).update(expires_at=until)
    key = WebhookIngestKey.objects.create(key=uuid.uuid4(), webhook=webhook)
    webhook.ingest_key = key.key
    webhook.save(update_fields=["ingest_key"])
    # The keys themselves are secrets: the audit log says when, not which.
    audit.record(
        by,
        AuditAction.UPDATED,
        webhook,
        before={"ingest_url_rotated_at": None},
        after={
            "ingest_url_rotated_at": now.isoformat(),
            "previous_url_valid_until": until.isoformat(),
        },
    )
    return until


def reject_event(key: uuid.UUID, *, reason: str) -> None:
    """Count an event refused for ``reason`` at the ingest URL of ``key`` (for the metrics,
    by webhook: a key is a secret, its webhook's id is not); a key no webhook accepts is not
    counted; one the database cannot look up now is counted for no webhook."""
    try:
        webhook_id = (
            WebhookIngestKey.objects.filter(key=key).values_list("webhook_id", flat=True).first()
        )
    except DatabaseError:
        metrics.event_rejected(None, reason)
        return
    if webhook_id is not None:
        metrics.event_rejected(webhook_id, reason)
