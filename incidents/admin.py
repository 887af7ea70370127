"""Incidents in the admin: every state change goes through ``incidents.services``.

Status moves only by the "Acknowledge selected" / "Resolve selected" actions (the services'
compare-and-set transitions, on the timeline with the admin as actor); edited fields are saved
by ``update_incident`` (so they are on the timeline too). The timeline, attached events and
action executions are read-only records.
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from rest_framework import serializers

from accounts.admin_base import (
    OrganizationScopedAdmin,
    PrettyJSONField,
    ReadOnlyAdminMixin,
    ScopedInline,
    ScopedRelatedFilter,
    pretty_json,
)
from accounts.admin_pagination import CappedCountPaginator, HighVolumeAdminMixin
from incidents import services
from incidents.api.serializers import AssigneesField
from incidents.models import Incident, IncidentAction, IncidentEvent, SavedFilter, TimelineEntry
from pinghome.api import flatten_errors

TIMELINE_PREVIEW = 20


class _AssigneesBody(serializers.Serializer):
    assignees = AssigneesField()


class IncidentAdminForm(forms.ModelForm):
    assignees = PrettyJSONField(
        required=False,
        empty=[],
        help_text='A JSON list of {"type": "team" | "team_member", "id": "<uuid>"}.',
    )

    class Meta:
        model = Incident
        fields = services.EDITABLE_FIELDS

    def clean_assignees(self):
        body = _AssigneesBody(
            data={"assignees": self.cleaned_data.get("assignees")},
            context={"organization": self.instance.organization},
        )
        if not body.is_valid():
            errors = flatten_errors(body.errors)
            raise forms.ValidationError(
                [f"{path}: {message}" for path, items in errors.items() for message in items]
            )
        return body.validated_data["assignees"]


class IncidentActionInline(ReadOnlyAdminMixin, ScopedInline, admin.TabularInline):
    model = IncidentAction
    organization_path = "incident__organization"
    fields = ("type", "settings_display", "state", "attempts", "error", "started_at", "finished_at")
    readonly_fields = fields
    extra = 0

    @admin.display(description="Settings")
    def settings_display(self, action: IncidentAction) -> str:
        return pretty_json(action.settings)


@admin.register(Incident)
class IncidentAdmin(OrganizationScopedAdmin):
    form = IncidentAdminForm
    inlines = (IncidentActionInline,)
    list_display = (
        "name",
        "status",
        "urgency",
        "team",
        "organization",
        "event_count",
        "created_at",
        "resolved_at",
    )
    list_select_related = ("team", "organization")
    list_filter = ("status", "urgency", ("team", ScopedRelatedFilter))
    search_fields = ("name", "dedup_key")
    uuid_search_fields = ("pk", "ruleset_id", "team_id")
    search_help_text = "Name or dedup key; or an incident, ruleset or team id."
    ordering = ("-created_at", "-id")
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = ("acknowledge_selected", "resolve_selected")
    readonly_fields = (
        "id",
        "organization",
        "team",
        "status",
        "ruleset",
        "dedup_key",
        "event_count",
        "first_event_at",
        "last_event_at",
        "created_at",
        "updated_at",
        "acknowledged_at",
        "resolved_at",
        "created_by",
        "escalation_policy",
        "escalation_cycle",
        "escalation_step",
        "next_escalation_at",
        "timeline_preview",
    )
    fieldsets = (
        (None, {"fields": ("id", "organization", "team", "status", *services.EDITABLE_FIELDS)}),
        (
            "Origin",
            {
                "fields": (
                    "ruleset",
                    "dedup_key",
                    "event_count",
                    "first_event_at",
                    "last_event_at",
                    "created_by",
                )
            },
        ),
        (
            "History",
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "acknowledged_at",
                    "resolved_at",
                    "escalation_policy",
                    "escalation_cycle",
                    "escalation_step",
                    "next_escalation_at",
                    "timeline_preview",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        # Incidents are opened by rulesets, the API or the pages (with their notifications).
        return False

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in services.EDITABLE_FIELDS}
        services.update_incident(obj, by=request.user, changes=changes)

    @admin.display(description=f"Timeline (latest {TIMELINE_PREVIEW})")
    def timeline_preview(self, incident: Incident) -> str:
        entries = incident.timeline.order_by("-created_at", "-id")[:TIMELINE_PREVIEW]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (f"{localtime(e.created_at):%Y-%m-%d %H:%M:%S}", e.kind, e.actor, e.message)
                for e in entries
            ),
        )
        url = reverse("admin:incidents_timelineentry_changelist")
        return format_html(
            '<table>{}</table><a href="{}?incident__id__exact={}">Whole timeline</a>',
            rows,
            url,
            incident.pk,
        )

    @admin.action(description="Acknowledge selected incidents", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        moved = unchanged = 0
        for incident in queryset:
            try:
                acknowledged = services.acknowledge(incident, by=request.user)
            except services.TransitionError:
                acknowledged = False
            moved, unchanged = moved + acknowledged, unchanged + (not acknowledged)
        self._report(request, "Acknowledged", moved, unchanged, "acknowledged or resolved")

    @admin.action(description="Resolve selected incidents", permissions=["change"])
    def resolve_selected(self, request, queryset):
        moved = unchanged = 0
        for incident in queryset:
            resolved = services.resolve(incident, by=request.user)
            moved, unchanged = moved + resolved, unchanged + (not resolved)
        self._report(request, "Resolved", moved, unchanged, "resolved")

    @staticmethod
    def _report(request, verb: str, moved: int, unchanged: int, past: str) -> None:
        messages.success(request, f"{verb} {moved} incident{'s' * (moved != 1)}.")
        if unchanged:
            messages.warning(
                request,
                f"{unchanged} incident{'s were' if unchanged != 1 else ' was'} already {past}: "
                "not changed.",
            )


@admin.register(IncidentAction)
class IncidentActionAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    organization_path = "incident__organization"
    list_display = ("type", "incident", "state", "attempts", "created_at", "finished_at")
    list_select_related = ("incident",)
    list_filter = ("state",)
    uuid_search_fields = ("pk", "incident_id")
    search_help_text = "An action id or an incident id."
    ordering = ("-created_at",)
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = (
        "id",
        "incident",
        "type",
        "settings_display",
        "position",
        "state",
        "attempts",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description="Settings")
    def settings_display(self, action: IncidentAction) -> str:
        return pretty_json(action.settings)


@admin.register(IncidentEvent)
class IncidentEventAdmin(HighVolumeAdminMixin, ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """Which webhook events are attached to which incident."""

    organization_path = "incident__organization"
    list_display = ("id", "incident", "event_link", "created_at")
    list_select_related = ("incident",)
    uuid_search_fields = ("incident_id", "event_id")
    search_help_text = "An incident id or an event id."
    ordering = ("-id",)
    fields = ("id", "incident", "event_link", "created_at")
    readonly_fields = fields

    @admin.display(description="Event")
    def event_link(self, link: IncidentEvent) -> str:
        url = reverse("admin:webhooks_webhookevent_change", args=[link.event_id])
        return format_html('<a href="{}">{}</a>', url, link.event_id)


@admin.register(TimelineEntry)
class TimelineEntryAdmin(HighVolumeAdminMixin, ReadOnlyAdminMixin, OrganizationScopedAdmin):
    organization_path = "incident__organization"
    list_display = ("created_at", "incident", "kind", "actor", "short_message")
    list_select_related = ("incident",)
    uuid_search_fields = ("incident_id",)
    search_help_text = "An incident id."
    # The primary key follows insertion order: the newest entries by an index scan.
    ordering = ("-id",)
    fields = (
        "id",
        "incident",
        "created_at",
        "kind",
        "actor",
        "actor_user",
        "message",
        "data_display",
    )
    readonly_fields = fields

    @admin.display(description="Message")
    def short_message(self, entry: TimelineEntry) -> str:
        return entry.message if len(entry.message) <= 120 else f"{entry.message[:117]}..."

    @admin.display(description="Data")
    def data_display(self, entry: TimelineEntry) -> str:
        return pretty_json(entry.data)


@admin.register(SavedFilter)
class SavedFilterAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """People's saved views of the incident list (they make and delete them on the list)."""

    organization_path = "user__organization"
    list_display = ("name", "user", "query", "created_at")
    list_select_related = ("user",)
    uuid_search_fields = ("pk", "user_id")
    search_help_text = "A saved filter id or a user id."
    ordering = ("user__email", "name")
    fields = ("id", "user", "name", "query", "created_at")
    readonly_fields = fields
