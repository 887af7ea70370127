import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import Urgency


class ContactMethodType(models.TextChoices):
    EMAIL = "email"
    APPRISE = "apprise"  # every service the apprise library reaches (Slack, ntfy, Telegram...)
    WEBHOOK = "webhook"  # our signed JSON POST


def _signing_secret() -> str:
    return secrets.token_hex(32)


class ContactMethod(models.Model):
    """Where a user is paged: an e-mail address, an Apprise URL or an outgoing webhook URL.

    Created unverified: it pages nobody until its owner gives back the 6-digit code it was sent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    type = models.CharField(max_length=10, choices=ContactMethodType.choices)
    target = models.CharField(
        max_length=2000, help_text="E-mail address, Apprise URL or https URL."
    )
    label = models.CharField(max_length=100, blank=True)
    # HMAC-SHA256 key for webhook bodies (header X-Pinghome-Signature).
    secret = models.CharField(max_length=64, default=_signing_secret, editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    # The code sent to verify it: a keyed hash, an expiry and the wrong guesses so far.
    verification_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    verification_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    verification_error = models.CharField(
        max_length=500, blank=True, help_text="Why the last code could not be sent."
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type}:{self.label or self.shown_target}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def shown_target(self) -> str:
        """The target as pages, the API and the timeline show it: an Apprise URL's secrets
        masked."""
        if self.type == ContactMethodType.APPRISE:
            from notifications import apprise_targets

            return apprise_targets.masked(self.target)
        return self.target


class NotificationRule(models.Model):
    """ "High urgency: push now, SMS after 2 minutes": one contact method at one delay."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_rules",
        db_index=False,  # the leading column of "notification_rule_unique"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="rules"
    )
    delay_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["urgency", "delay_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "urgency", "contact_method", "delay_minutes"],
                name="notification_rule_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.urgency}: {self.contact_method} after {self.delay_minutes} min"


class ChatChannel(models.Model):
    """A team's chat channel (Slack, Teams, Mattermost, Discord... as an Apprise URL): it hears
    of the team's incidents being opened, acknowledged, escalated and resolved."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="chat_channels"
    )
    target = models.CharField(max_length=2000, help_text="Apprise URL.")
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.label or self.shown_target

    @property
    def shown_target(self) -> str:
        from notifications import apprise_targets

        return apprise_targets.masked(self.target)


class DeliveryState(models.TextChoices):
    PENDING = "pending"  # waiting for its due time (a delayed rule, or a retry)
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # given up
    CANCELLED = "cancelled"  # the incident was acknowledged or resolved before it was due


class Delivery(models.Model):
    """One message to one contact method (or chat channel), and how sending it went.

    ``key`` is unique: a page (incident, user, step) reaches each contact method once however
    often it is asked for, and a chat post once per change. The database is the source of truth:
    a periodic sweep sends what is due (delayed rules, retries) and what a lost task left.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=300, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # "delivery_team_recent"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,  # "delivery_user_recent"
    )
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chat_channel = models.ForeignKey(
        ChatChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=10, choices=ContactMethodType.choices)
    target = models.CharField(max_length=2000, help_text="As shown: Apprise secrets masked.")
    reason = models.CharField(max_length=30, help_text="opened, escalated, test, reminder...")
    step_label = models.CharField(max_length=200, blank=True)
    delay_minutes = models.PositiveIntegerField(default=0)
    # A personal message (no incident): what to say.
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    url = models.CharField(max_length=2000, blank=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    due_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The message's "Acknowledge" and "Resolve" links work once each.
    acknowledge_link_used_at = models.DateTimeField(null=True, blank=True)
    resolve_link_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="delivery_user_recent",
                condition=models.Q(user__isnull=False),
            ),
            # Included: what a team's report counts of its pages (``incidents.reports``).
            models.Index(
                fields=["team", "-created_at"],
                name="delivery_team_recent",
                condition=models.Q(team__isnull=False),
                include=["user", "state", "incident"],
            ),
            models.Index(
                fields=["due_at"],
                name="delivery_unsent",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} to {self.target} ({self.state})"
