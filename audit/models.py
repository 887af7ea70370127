import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Organization


class AuditAction(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class AppendOnly(Exception):
    """Audit records are never changed nor deleted one by one."""


class AuditRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit records cannot be changed")

    def delete(self):
        raise AppendOnly("audit records cannot be deleted")


class AuditRecord(models.Model):
    """One change of configuration: who (a user, through a token or not), when, what, and the
    values before and after. Append-only: written by ``audit.services.record`` alone.

    The actor is kept as ids and a label rather than foreign keys, so that deleting a user or a
    token changes no record.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the leading column of "audit_org_recent".
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    actor_id = models.UUIDField(null=True, blank=True, help_text="The user who acted.")
    actor = models.CharField(max_length=300, help_text="Their e-mail, or 'system'.")
    token_id = models.UUIDField(null=True, blank=True, help_text="The API token they acted with.")
    token_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=100)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_recent"),
            models.Index(
                fields=["organization", "object_type", "object_id", "-created_at"],
                name="audit_org_object",
            ),
            models.Index(
                fields=["organization", "actor_id", "-created_at"], name="audit_org_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_repr or self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit records cannot be deleted")
