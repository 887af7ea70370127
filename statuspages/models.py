import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization


class ComponentStatus(models.TextChoices):
    """Ordered from best to worst: the worst status held by an unresolved incident wins."""

    OPERATIONAL = "operational"
    DEGRADED = "degraded"
    PARTIAL_OUTAGE = "partial-outage"
    MAJOR_OUTAGE = "major-outage"

    @classmethod
    def severity(cls, value: str) -> int:
        return list(cls.values).index(value)


class StatusPage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="status_pages"
    )
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    """``name`` is internal (the dashboard, rulesets); the public page shows ``public_name`` and
    ``description`` only. ``status`` is what the public page shows: ``manual_status`` when set,
    else the worst status held by an unresolved incident (``services.refresh_status``), since
    ``updated_at``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status_page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=200)
    public_name = models.CharField(max_length=200, blank=True, help_text="Blank: the name.")
    description = models.CharField(max_length=1000, blank=True)
    manual_status = models.CharField(max_length=20, choices=ComponentStatus.choices, blank=True)
    status = models.CharField(
        max_length=20, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    updated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.status_page}: {self.name}"

    def clean(self) -> None:
        """Without a public name, the name is public."""
        self.public_name = self.public_name or self.name


class ComponentHold(models.Model):
    """An unresolved incident holding a component at a status (set by a trigger-alerts action)."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="holds")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="component_holds"
    )
    status = models.CharField(max_length=20, choices=ComponentStatus.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component", "incident"], name="hold_unique_incident")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} holds {self.component_id}"


class StatusChange(models.Model):
    """The component's shown status from ``at`` on (until its next change): its history."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(max_length=20, choices=ComponentStatus.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["component", "-at"], name="status_change_recent")]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class ComponentDay(models.Model):
    """Seconds of one UTC day a component spent in each status but operational, summed from its
    closed periods (the open one, since ``Component.updated_at``, is added when read): the
    uptime bars read 90 rows per component however often its status changed."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    degraded_seconds = models.PositiveIntegerField(default=0)
    partial_outage_seconds = models.PositiveIntegerField(default=0)
    major_outage_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component", "day"], name="component_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.component_id} on {self.day}"


class NoticeStatus(models.TextChoices):
    """The stages of a written update, in their usual order."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Notice(models.Model):
    """A public incident report on a status page: a title written for the public and its
    updates. ``incident`` (optional) is the internal incident it was posted from; nothing of it
    is shown publicly. ``status`` is its latest update's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status_page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=NoticeStatus.choices)
    components = models.ManyToManyField(Component, blank=True, related_name="notices")
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status_page", "-created_at"], name="notice_page_recent")]

    def __str__(self) -> str:
        return self.title


class NoticeUpdate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=NoticeStatus.choices)
    message = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Claimed once by the task that mails it to the subscribers (``subscriptions.mail_update``).
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["notice", "-created_at"], name="notice_update_recent"),
            models.Index(
                fields=["created_at"],
                name="notice_update_unmailed",
                condition=models.Q(mailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.message[:50]}"


def _token() -> str:
    return secrets.token_urlsafe(32)


class Subscriber(models.Model):
    """An e-mail address that asked for a status page's notices: mailed once it confirmed (its
    ``token`` is the secret of the confirmation and unsubscribe links)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status_page = models.ForeignKey(
        StatusPage, on_delete=models.CASCADE, related_name="subscribers"
    )
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["status_page", "email"], name="subscriber_unique_email")
        ]

    def __str__(self) -> str:
        return self.email
