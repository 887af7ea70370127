import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Team, TeamMember


def _feed_secret() -> str:
    return secrets.token_urlsafe(32)


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


class Override(models.Model):
    """For [start, end), a member takes over (from one member, or from everyone)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="overrides")
    team_member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="overrides")
    replaces_team_member = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, null=True, blank=True, related_name="replaced_by"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["start", "created_at"]
        indexes = [models.Index(fields=["team", "end"], name="override_team_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="override_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_member_id} {self.start:%Y-%m-%d %H:%M}..{self.end:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A revocable secret URL serving as iCalendar a team's shifts, one member's, or one user's
    across all their teams (``user``, no team)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_feeds",
    )
    team_member = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    secret = models.CharField(max_length=64, unique=True, default=_feed_secret, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar of {self.team_member_id or self.team_id or self.user_id}"

    @property
    def public_url(self) -> str:
        return f"{settings.SITE_URL}/v1/calendar/{self.secret}.ics"


class ShiftLength(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    CUSTOM = "custom"


class Rotation(models.Model):
    """Participants taking turns; its settings over time are its versions (never rewritten)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rotations")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Deleted after it had started: kept so that past shifts still render.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["team", "created_at"], name="rotation_team")]

    def __str__(self) -> str:
        return self.name


class RotationVersion(models.Model):
    """A rotation's settings from ``effective_from`` until the next version's (PUT appends one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="versions")
    effective_from = models.DateTimeField()
    layer = models.PositiveSmallIntegerField(default=1)
    participants = models.JSONField(default=list, help_text="Team member ids, in turn order.")
    shift_length = models.CharField(max_length=10, choices=ShiftLength.choices)
    shift_hours = models.PositiveIntegerField(null=True, blank=True)
    handoff_date = models.DateField(help_text="Local date of the first handoff.")
    handoff_time = models.TimeField(help_text="Local wall-clock time of every handoff.")
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA name; blank: the team's."
    )
    end = models.DateTimeField(null=True, blank=True)
    restrictions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["rotation", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "effective_from"], name="rotation_version_once_an_instant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rotation_id} from {self.effective_from:%Y-%m-%d %H:%M:%S}"


class CoverRequest(models.Model):
    """A member asks teammates to cover [start, end) of their shifts; taking it is an override."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="cover_requests")
    requester = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, related_name="cover_requests"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    taken_by = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, null=True, blank=True, related_name="covers_taken"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    override = models.OneToOneField(
        Override, on_delete=models.SET_NULL, null=True, blank=True, related_name="cover_request"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "created_at"]
        indexes = [models.Index(fields=["team", "end"], name="cover_request_team_end")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="cover_request_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"cover for {self.requester_id} {self.start:%Y-%m-%d %H:%M}..{self.end:%H:%M}"

    @property
    def is_open(self) -> bool:
        return self.taken_at is None and self.cancelled_at is None


class ShiftReminder(models.Model):
    """A reminder sent once for one shift of one member (the constraint makes it once even with
    two beat processes)."""

    class Kind(models.TextChoices):
        BEFORE = "before"
        HANDOFF = "handoff"

    id = models.BigAutoField(primary_key=True)
    team_member = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, related_name="shift_reminders"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    shift_start = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team_member", "kind", "shift_start"], name="shift_reminder_once"
            )
        ]
        indexes = [models.Index(fields=["sent_at"], name="shift_reminder_sent")]

    def __str__(self) -> str:
        return f"{self.kind} reminder, {self.team_member_id} at {self.shift_start:%Y-%m-%d %H:%M}"


class ReminderPreference(models.Model):
    """How long before each of their shifts a person is reminded (and whether at all)."""

    DEFAULT_MINUTES = 60

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="shift_reminder_preference",
    )
    minutes_before = models.PositiveIntegerField(
        default=DEFAULT_MINUTES, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.minutes_before} min before, for {self.user_id}"


class ImportedLayer(models.Model):
    """Fixed shifts read from an iCalendar file, a layer of the final schedule like a rotation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="imported_layers")
    name = models.CharField(max_length=200)
    layer = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class ImportedShift(models.Model):
    id = models.BigAutoField(primary_key=True)
    layer = models.ForeignKey(ImportedLayer, on_delete=models.CASCADE, related_name="shifts")
    team_member = models.ForeignKey(
        TeamMember, on_delete=models.CASCADE, related_name="imported_shifts"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["layer", "end"], name="imported_shift_layer_end")]

    def __str__(self) -> str:
        return f"{self.team_member_id} {self.start:%Y-%m-%d %H:%M}..{self.end:%Y-%m-%d %H:%M}"
