import uuid

from django.conf import settings
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Organization, Team


class Urgency(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AssigneeType(models.TextChoices):
    TEAM = "team"
    TEAM_MEMBER = "team_member"


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EscalationState(models.TextChoices):
    NONE = "none"  # follows no policy
    RUNNING = "running"  # a next step is due at ``next_escalation_at``
    PAUSED = "paused"  # acknowledged
    FINISHED = "finished"  # every step ran, repeats included
    STOPPED = "stopped"  # resolved


# "Not resolved" written into the statement rather than passed as a parameter: the generic plan
# of a prepared statement can then use the partial unique index, whose condition this states.
NOT_RESOLVED = RawSQL(
    """NOT ("incidents_incident"."status" = 'resolved')""", [], output_field=models.BooleanField()
)


# How long an incident may be snoozed (``services.snooze_incident``).
SNOOZE_MIN_MINUTES = 1
SNOOZE_MAX_MINUTES = 7 * 24 * 60


class Incident(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of their own: the leading columns of "incident_org_recent" and
    # "incident_team_recent" (every index is one more write per incident).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="incidents", db_index=False
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="incidents", db_index=False
    )
    name = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.TRIGGERED
    )
    # [{"type": "team" | "team_member", "id": "<uuid>"}], validated on write. On PostgreSQL, a
    # GIN index "incident_assignees" (migration 0011) answers ``assignees.AssignedTo``.
    assignees = models.JSONField(default=list, blank=True)
    ruleset = models.ForeignKey(
        "rulesets.Ruleset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    dedup_key = models.CharField(max_length=500, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    first_event_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Indexed where set ("incident_created_by"): rule incidents have none.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The escalation policy it follows (its own, else its ruleset's, else its team's default)
    # and where it is in the chain (``escalation.chain``): the last step run in ``cycle``, and
    # when the next one is due. Acknowledging or resolving clears ``next_escalation_at``,
    # indexed where set ("incident_escalation_due"). No index on the policy: deleting one reads
    # the organization's open incidents ("incident_org_recent").
    escalation_policy = models.ForeignKey(
        "escalation.EscalationPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The incident this one was merged into (it is resolved then); indexed where set
    # ("incident_merged_into").
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        db_index=False,
    )
    escalation_cycle = models.PositiveIntegerField(default=0)
    escalation_step = models.PositiveIntegerField(default=0)
    escalation_repeats_left = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # An acknowledged incident snoozed until then: triggered again at that time, its escalation
    # from step 1 (``services.wake_snoozed``). Cleared by any change of status; indexed where
    # set ("incident_snooze_due").
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one unresolved incident per (ruleset, dedup key).
            models.UniqueConstraint(
                fields=["ruleset", "dedup_key"],
                condition=models.Q(ruleset__isnull=False) & ~models.Q(status="resolved"),
                name="incident_one_open_per_dedup_key",
            )
        ]
        indexes = [
            # Its included columns are what a team's report reads (``incidents.reports``): a
            # year of the team's incidents in one index-only range scan, not 10,000 heap rows.
            models.Index(
                fields=["team", "-created_at", "-id"],
                name="incident_team_recent",
                include=["acknowledged_at", "resolved_at", "urgency", "ruleset", "event_count"],
            ),
            models.Index(
                fields=["organization", "status", "-created_at", "-id"], name="incident_org_recent"
            ),
            # Partial: every incident opened by a rule would otherwise add a NULL entry to each.
            models.Index(
                fields=["created_by"],
                name="incident_created_by",
                condition=models.Q(created_by__isnull=False),
            ),
            models.Index(
                fields=["merged_into"],
                name="incident_merged_into",
                condition=models.Q(merged_into__isnull=False),
            ),
            models.Index(
                fields=["next_escalation_at"],
                name="incident_escalation_due",
                condition=models.Q(next_escalation_at__isnull=False),
            ),
            models.Index(
                fields=["snoozed_until"],
                name="incident_snooze_due",
                condition=models.Q(snoozed_until__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_resolved(self) -> bool:
        return self.status == IncidentStatus.RESOLVED

    @property
    def escalation_state(self) -> str:
        if self.escalation_policy_id is None:
            return EscalationState.NONE
        if self.status == IncidentStatus.RESOLVED:
            return EscalationState.STOPPED
        if self.status == IncidentStatus.ACKNOWLEDGED:
            return EscalationState.PAUSED
        if self.next_escalation_at is not None:
            return EscalationState.RUNNING
        return EscalationState.FINISHED


class IncidentEvent(models.Model):
    """A webhook event attached to an incident (the one that opened it, and every duplicate)."""

    # No index of its own: the leading column of "incident_event_unique".
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="event_links", db_index=False
    )
    # No constraint in the database: on PostgreSQL the events table is partitioned, and its
    # keys include the time of receipt. Retention deletes the links of the events it drops
    # (``webhooks.retention``); deleting events through Django deletes their links too.
    event = models.ForeignKey(
        "webhooks.WebhookEvent",
        on_delete=models.CASCADE,
        related_name="incident_links",
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "event"], name="incident_event_unique")
        ]
        indexes = [models.Index(fields=["incident", "-id"], name="incident_event_latest")]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.incident_id}"


class ActionState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class IncidentAction(models.Model):
    """An action of an incident (from its ruleset, or given by a person) and its execution."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actions")
    type = models.CharField(max_length=50)
    settings = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=20, choices=ActionState.choices, default=ActionState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.type} of {self.incident_id}"


class TimelineKind(models.TextChoices):
    CREATED = "created"
    EVENT_ATTACHED = "event-attached"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    EDITED = "edited"
    ACTION_SUCCEEDED = "action-succeeded"
    ACTION_FAILED = "action-failed"
    NOTIFIED = "notified"
    NOTIFICATION_FAILED = "notification-failed"
    NO_ONE_ON_CALL = "no-one-on-call"
    ESCALATED = "escalated"
    SNOOZED = "snoozed"
    SNOOZE_ENDED = "snooze-ended"
    NOTE = "note"
    MERGED = "merged"
    STATUS_UPDATE = "status-update"  # a notice (or its update) posted to a status page


NOTE_MAX_LENGTH = 10_000  # characters of a responder's note (TimelineKind.NOTE)


class TimelineEntry(models.Model):
    # No index of its own: the leading column of "timeline_incident_time".
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(max_length=30, choices=TimelineKind.choices)
    # Who did it: a user, else a label such as "ruleset:<name>" or "system".
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # "timeline_actor_user", where set: most entries are the system's
    )
    actor = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="timeline_incident_time"),
            models.Index(
                fields=["actor_user"],
                name="timeline_actor_user",
                condition=models.Q(actor_user__isnull=False),
            ),
            # Who acknowledged a team's incidents, in a report: a few entries per incident.
            models.Index(
                fields=["incident"],
                name="timeline_acknowledged",
                include=["actor_user", "created_at"],
                condition=models.Q(kind="acknowledged", actor_user__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def staged(
        cls,
        incident_id,
        kind: str,
        actor: str,
        message: str,
        data: dict,
        *,
        actor_user_id=None,
        created_at=None,
    ) -> "TimelineEntry":
        """An unsaved entry for ``insert_each``, built from its values in field order: Django's
        keyword path costs 4 µs more per row, and evaluation stages one or two per incident.
        (A field added to this model goes last, or here too.)"""
        at = created_at or timezone.now()
        return cls(None, incident_id, at, kind, actor_user_id, actor, message, data)


class SavedFilter(models.Model):
    """A person's named view of the incident list: the query string of its filters and sort."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the leading column of "saved_filter_unique_name".
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_filters",
        db_index=False,
    )
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
