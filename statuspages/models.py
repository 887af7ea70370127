import uuid

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
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status_page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    updated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.status_page}: {self.name}"


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
