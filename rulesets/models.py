import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization, Team
from incidents.models import Urgency


class RuleType(models.TextChoices):
    WEBHOOK = "webhook"
    STATE_CHANGE = "state-change"
    # A webhook's heartbeat: opened by the periodic check when the webhook is silent, resolved
    # by its next event. Made and removed with the webhook's ``expect_every_seconds``.
    HEARTBEAT = "heartbeat"


# Bounds of ``auto_resolve_after_seconds``: as often as the periodic check runs, up to a year.
AUTO_RESOLVE_MIN_SECONDS = 10
AUTO_RESOLVE_MAX_SECONDS = 365 * 24 * 3600


class Level(models.TextChoices):
    TEAM = "team"
    ORGANIZATION = "organization"


class Ruleset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="rulesets"
    )
    # The team that receives the incidents (whatever the level).
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rulesets")
    level = models.CharField(max_length=20, choices=Level.choices)
    rule_type = models.CharField(max_length=20, choices=RuleType.choices)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    conditions = models.JSONField(default=list)
    resolve_conditions = models.JSONField(null=True, blank=True)
    assignees = models.JSONField(default=list, blank=True)
    # Extensions
    webhooks = models.ManyToManyField(
        "webhooks.Webhook",
        blank=True,
        related_name="rulesets",
        help_text="Webhooks this ruleset listens to; none means all of the organization's.",
    )
    dedup_key = models.CharField(max_length=500, blank=True)
    incident_name = models.CharField(max_length=500, blank=True)
    # A template rendered on the opening event; blank: the alert's own description.
    incident_description = models.TextField(blank=True)
    # Key paths whose values the incident's page shows, as labels and links (``incident_fields``).
    fields = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    escalation_policy = models.ForeignKey(
        "escalation.EscalationPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rulesets",
        help_text="Followed by its incidents; none: the team's default policy.",
    )
    # Its unresolved incidents that no event joined for this long resolve themselves
    # (``incidents.services.resolve_silent``); null: only an event or a person resolves them.
    auto_resolve_after_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(AUTO_RESOLVE_MIN_SECONDS),
            MaxValueValidator(AUTO_RESOLVE_MAX_SECONDS),
        ],
        help_text="Resolve its incidents after this many seconds without an event (at least "
        f"{AUTO_RESOLVE_MIN_SECONDS}); empty: never.",
    )
    # Set on the heartbeat ruleset of a webhook (``rule_type`` heartbeat) only.
    heartbeat_of = models.OneToOneField(
        "webhooks.Webhook",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="heartbeat_ruleset",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "created_at"]
        indexes = [models.Index(fields=["organization", "enabled"], name="ruleset_org_enabled")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_resolve_after_seconds__isnull=True)
                | models.Q(
                    auto_resolve_after_seconds__gte=AUTO_RESOLVE_MIN_SECONDS,
                    auto_resolve_after_seconds__lte=AUTO_RESOLVE_MAX_SECONDS,
                ),
                name="ruleset_auto_resolve_bounds",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RulesetAction(models.Model):
    """What runs when the ruleset opens an incident, e.g. ``trigger-alerts``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="actions")
    type = models.CharField(max_length=50)
    settings = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.type} of {self.ruleset_id}"


class DedupState(models.Model):
    """The last event applied per (ruleset, dedup key).

    Its row lock serializes evaluation per key, and its cursor lets an event that arrives late
    (received before one already applied) be recognised as stale instead of undoing newer state.
    """

    # No index of its own: the leading column of "dedup_state_unique".
    ruleset = models.ForeignKey(
        Ruleset, on_delete=models.CASCADE, related_name="dedup_states", db_index=False
    )
    dedup_key = models.CharField(max_length=500)
    last_received_at = models.DateTimeField(null=True, blank=True)
    last_event_id = models.UUIDField(null=True, blank=True)
    # The maintenance window that suppressed the last event, which said "failing": once no
    # window covers the key, its incident opens (``maintenance.services.open_still_failing``).
    # Not a foreign key: a deleted window has ended too.
    suppressed_by = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "dedup_key"], name="dedup_state_unique")
        ]
        indexes = [
            models.Index(
                fields=["suppressed_by"],
                name="dedup_state_suppressed",
                condition=models.Q(suppressed_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ruleset_id}:{self.dedup_key}"
