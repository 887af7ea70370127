import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ChannelType(models.TextChoices):
    EMAIL = "email"
    WEBHOOK = "webhook"


def _signing_secret() -> str:
    return secrets.token_hex(32)


class NotificationChannel(models.Model):
    """Where a user is told about incidents: an e-mail address or an outgoing webhook URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_channels"
    )
    type = models.CharField(max_length=10, choices=ChannelType.choices)
    target = models.CharField(max_length=2000, help_text="E-mail address or https URL.")
    # HMAC-SHA256 key for webhook bodies (header X-Pinghome-Signature).
    secret = models.CharField(max_length=64, default=_signing_secret, editable=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type}:{self.target}"
