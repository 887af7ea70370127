import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization, Team


class MaintenanceWindow(models.Model):
    """A time during which matching events open no incident and page no one.

    Active from ``start`` to ``end`` (end excluded); with a ``recurrence``, only while its weekly
    time window is (``{"week_days", "start_time", "end_time", "time_zone"}``, as a schedule
    entry's). Its scope is the union of its webhooks, rulesets and teams; none: the whole
    organization.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the leading column of "maintenance_org_end".
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        db_index=False,
    )
    reason = models.CharField(max_length=500)
    start = models.DateTimeField()
    end = models.DateTimeField()
    recurrence = models.JSONField(null=True, blank=True)
    webhooks = models.ManyToManyField(
        "webhooks.Webhook", blank=True, related_name="maintenance_windows"
    )
    rulesets = models.ManyToManyField(
        "rulesets.Ruleset", blank=True, related_name="maintenance_windows"
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="maintenance_windows")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "id"]
        indexes = [models.Index(fields=["organization", "end"], name="maintenance_org_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="maintenance_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.reason
