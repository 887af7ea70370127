"""Escalation policies: who is paged, step after step, while an incident stays triggered."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization, Team

MAX_REPEAT = 9
MAX_DELAY_MINUTES = 7 * 24 * 60


class TargetType(models.TextChoices):
    ONCALL = "oncall"  # a team id: whoever is on call for it at that instant
    USER = "user"  # a user id of the organization
    TEAM = "team"  # a team id: every member
    CHANNEL = "channel"  # a team chat channel id (notifications.ChatChannel)


class EscalationPolicy(models.Model):
    """An ordered chain of steps owned by a team; each team has one default
    (``is_team_default``: a flag here rather than a key on Team, so that neither table needs
    the other to exist first, and a partial unique constraint keeps one per team)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="escalation_policies"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(max_length=200)
    repeat = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_REPEAT)],
        help_text="How many times the whole chain runs again while nobody acknowledges.",
    )
    is_team_default = models.BooleanField(
        default=False, help_text="Followed by the team's incidents that name no other policy."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_team_default", "name", "created_at"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(is_team_default=True),
                name="escalation_policy_one_default_per_team",
                violation_error_message="The team already has a default policy.",
            ),
            models.CheckConstraint(
                condition=models.Q(repeat__lte=MAX_REPEAT), name="escalation_policy_repeat_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """Step ``position + 1`` of its policy: ``delay_minutes`` after the previous one (after the
    incident opened, for the first), page its targets ``[{"type", "id"}]``."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_DELAY_MINUTES)]
    )
    targets = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="escalation_step_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"step {self.position + 1}"


class PagedUser(models.Model):
    """A user paged by one step of one cycle of an incident's escalation: the unique
    constraint makes a page happen at most once, whatever runs the step twice."""

    # No index of its own: the leading column of "paged_user_once".
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    cycle = models.PositiveIntegerField()
    step = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "cycle", "step", "user"], name="paged_user_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at step {self.step} of cycle {self.cycle}"
