import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Team, TeamMember


class ScheduleEntry(models.Model):
    """A recurring on-call window of one team member; identified by (member, created_at)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedule_entries")
    team_member = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, related_name="schedule_entries"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    months_of_year = models.JSONField(default=list, blank=True)
    weeks_of_month = models.JSONField(default=list, blank=True)
    week_days = models.JSONField(default=list)
    start_time = models.TimeField()
    end_time = models.TimeField()
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA name; blank: the team's."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team_member", "created_at"], name="schedule_entry_identity"
            )
        ]
        indexes = [models.Index(fields=["team", "created_at"], name="schedule_team")]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.team_member_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"
