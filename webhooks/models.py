import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization, Team
from pinghome.jsondata import json_problem, loads_strict

# Deeper documents are shown as text: rendering them could exhaust the recursion limit.
MAX_RENDERED_DEPTH = 200

# Heartbeat periods: from 10 seconds (the periodic check runs every 10) to 30 days.
MIN_HEARTBEAT_SECONDS = 10
MAX_HEARTBEAT_SECONDS = 30 * 86_400


# Events a webhook accepts per minute (``max_events_per_minute``): beyond, ingest answers 429.
DEFAULT_EVENTS_PER_MINUTE = 6000
MAX_EVENTS_PER_MINUTE = 1_000_000


class HeartbeatState(models.TextChoices):
    OK = "ok"
    OVERDUE = "overdue"  # claimed by the periodic check: its incident is open; an event re-arms


class WebhookQuerySet(models.QuerySet):
    def live(self):
        """Not deleted: what lists, pages and rulesets offer."""
        return self.filter(deleted_at__isnull=True)


class Webhook(models.Model):
    """An ingest endpoint. The secret part of its public ingest URL is its id until the URL is
    rotated, ``ingest_key`` after (``WebhookIngestKey`` holds every key still accepted: made
    by ``save``, so a webhook made by ``bulk_create`` accepts nothing)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhooks"
    )
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Heartbeat (dead-man's switch): when no event arrived for ``expect_every_seconds`` plus
    # ``grace_seconds``, the periodic check opens an incident through the webhook's heartbeat
    # ruleset (``rulesets.heartbeats``). Ingest writes none of this.
    expect_every_seconds = models.PositiveIntegerField(null=True, blank=True)
    grace_seconds = models.PositiveIntegerField(default=0)
    heartbeat_paused = models.BooleanField(default=False)
    heartbeat_state = models.CharField(
        max_length=10, choices=HeartbeatState.choices, default=HeartbeatState.OK, editable=False
    )
    # The heartbeat's clock starts here (set, changed or resumed), not at an older event.
    heartbeat_since = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_overdue_at = models.DateTimeField(null=True, blank=True, editable=False)
    ingest_key = models.UUIDField(
        null=True, blank=True, editable=False, help_text="Its ingest URL's key; empty: its id."
    )
    # Ingest limit: events accepted per minute (a window from the first event, counted in
    # CACHE_URL's Redis when set, shared by every process); beyond, 429 and nothing stored.
    # ``rejected_events`` counts those refused (``webhooks.limits``): added up in each web
    # process and written at most once a second.
    max_events_per_minute = models.PositiveIntegerField(
        default=DEFAULT_EVENTS_PER_MINUTE,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EVENTS_PER_MINUTE)],
        help_text="Events accepted per minute; beyond, ingest answers 429 and stores nothing.",
    )
    rejected_events = models.PositiveBigIntegerField(default=0, editable=False)
    # Soft deletion: ingest answers 404 at once, the stored events stay until they are purged.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or str(self.id)

    def save(self, *args, **kwargs):
        """A new webhook's first ingest key is its id, accepted from the start."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            WebhookIngestKey.objects.create(key=self.ingest_key or self.id, webhook=self)

    @property
    def heartbeat_status(self) -> str:
        """off, paused, ok or overdue."""
        if self.expect_every_seconds is None:
            return "off"
        return "paused" if self.heartbeat_paused else self.heartbeat_state

    @property
    def ingest_url(self) -> str:
        return f"{settings.SITE_URL}/v1/incident/webhook/{self.ingest_key or self.id}"


class WebhookIngestKey(models.Model):
    """A key ingest accepts for a webhook: the current one (no expiry) and, after a rotation,
    the previous ones for their grace period. Ingest's one statement reads this table by key:
    ``INSERT ... SELECT webhook_id FROM keys WHERE key = ... AND not expired``."""

    key = models.UUIDField(primary_key=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="ingest_keys")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ingest key of {self.webhook_id}"


class WebhookEvent(models.Model):
    """One POST to a webhook, exactly as received. Written before the 202 is answered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the leading column of "event_webhook_recent".
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    received_at = models.DateTimeField(default=timezone.now)
    content_type = models.CharField(max_length=255, blank=True)
    body = models.BinaryField(blank=True)
    headers = models.JSONField(default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Evaluation bookkeeping: null until every ruleset has seen the event.
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluation = models.JSONField(null=True, blank=True)
    # Evaluations of this event alone that failed; at EVALUATION_MAX_ATTEMPTS it is given up.
    evaluation_attempts = models.PositiveSmallIntegerField(db_default=0, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["webhook", "-received_at", "-id"], name="event_webhook_recent"),
            models.Index(
                fields=["received_at"],
                name="event_pending_evaluation",
                condition=models.Q(evaluated_at__isnull=True),
            ),
            # Each webhook's pending events, for a chunk's fill to take the oldest of each other
            # webhook in one descent (``rulesets.evaluation``). ``evaluation`` is written with
            # ``evaluated_at``: this predicate says pending too, but one the index above cannot
            # serve. Trusting statistics that say nothing is pending (they mostly do), the
            # planner would otherwise probe each webhook through it, reading every pending event
            # from the bound: a storm's whole backlog, once per webhook.
            models.Index(
                fields=["webhook", "received_at"],
                name="event_pending_by_webhook",
                condition=models.Q(evaluation__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.id} of {self.webhook_id}"

    @property
    def text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")

    def parsed_body(self) -> Any:
        return body_document(bytes(self.body))


def body_document(raw: bytes) -> Any:
    """The JSON document when the body is JSON (whatever the content type), else its text.

    A document strict JSON cannot render back (NaN, lone surrogates, extreme nesting) is
    answered as its text too.
    """
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return text
    try:
        document = loads_strict(text)
    except (ValueError, RecursionError):
        return text
    if json_problem(document, max_depth=MAX_RENDERED_DEPTH, allow_nul=True):
        return text
    return document
