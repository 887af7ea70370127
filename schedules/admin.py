"""On-call schedules in the admin; rule fields are validated by the recurrence engine's
``validate_rule_fields``, the same check the API runs."""

from datetime import time

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from accounts.admin_base import OrganizationScopedAdmin, ScopedRelatedFilter
from schedules.models import (
    CalendarFeed,
    CoverRequest,
    ImportedLayer,
    ImportedShift,
    Override,
    ReminderPreference,
    Rotation,
    RotationVersion,
    ScheduleEntry,
    ShiftReminder,
)
from schedules.recurrence import validate_rule_fields
from schedules.services import RULE_FIELDS

LIST_FIELDS = ("months_of_year", "weeks_of_month", "week_days")
MEMBER_SELECT_RELATED = ("team", "team_member__user", "team_member__team")


def check_member_of_team(form: forms.ModelForm, *fields: str) -> None:
    team = form.cleaned_data.get("team")
    for name in fields:
        member = form.cleaned_data.get(name)
        if team is not None and member is not None and member.team_id != team.pk:
            form.add_error(name, "Must be a member of the selected team.")


class ScheduleEntryForm(forms.ModelForm):
    class Meta:
        model = ScheduleEntry
        fields = ("team", "team_member", *RULE_FIELDS)
        help_texts = {
            "week_days": "A JSON list: 0 (Sunday) .. 6 (Saturday); at least one.",
            "months_of_year": "A JSON list of 1..12; [] for any month.",
            "weeks_of_month": "A JSON list of 1..5 or -1..-5 (from the end); [] for any week.",
        }

    def clean(self):
        data = super().clean()
        check_member_of_team(self, "team_member")
        rule = {name: data[name] for name in RULE_FIELDS if name in data}
        for name in ("start_time", "end_time"):
            if isinstance(rule.get(name), time):
                rule[name] = rule[name].strftime("%H:%M:%S")
        rule["time_zone"] = rule.get("time_zone") or None
        for name, problems in validate_rule_fields(rule).items():
            if name not in self.errors:  # else already named by the field's own validation
                self.add_error(name if name in self.fields else None, problems)
        for name in LIST_FIELDS:
            if isinstance(data.get(name), list) and name not in self.errors:
                data[name] = sorted(set(data[name]))
        return data


@admin.register(ScheduleEntry)
class ScheduleEntryAdmin(OrganizationScopedAdmin):
    form = ScheduleEntryForm
    organization_path = "team__organization"
    list_display = (
        "team_member",
        "team",
        "week_days",
        "start_time",
        "end_time",
        "time_zone",
        "start_date",
        "end_date",
        "created_at",
    )
    list_select_related = MEMBER_SELECT_RELATED
    list_filter = (("team", ScopedRelatedFilter),)
    search_fields = ("team_member__user__email", "team__name")
    uuid_search_fields = ("pk", "team_id", "team_member_id")
    ordering = ("team__name", "created_at")
    autocomplete_fields = ("team_member",)
    readonly_fields = ("id", "created_at")
    fields = ("id", "team", "team_member", *RULE_FIELDS, "created_at")


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ("team", "team_member", "replaces_team_member", "start", "end")

    def clean(self):
        data = super().clean()
        check_member_of_team(self, "team_member", "replaces_team_member")
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "Must be after the start.")
        return data


@admin.register(Override)
class OverrideAdmin(OrganizationScopedAdmin):
    form = OverrideForm
    organization_path = "team__organization"
    list_display = ("team_member", "replaces_team_member", "team", "start", "end")
    list_select_related = (
        *MEMBER_SELECT_RELATED,
        "replaces_team_member__user",
        "replaces_team_member__team",
    )
    list_filter = (("team", ScopedRelatedFilter),)
    search_fields = ("team_member__user__email", "team__name")
    uuid_search_fields = ("pk", "team_id", "team_member_id", "replaces_team_member_id")
    ordering = ("-start",)
    autocomplete_fields = ("team_member", "replaces_team_member")
    readonly_fields = ("id", "created_at")
    fields = ("id", "team", "team_member", "replaces_team_member", "start", "end", "created_at")


class CalendarFeedForm(forms.ModelForm):
    class Meta:
        model = CalendarFeed
        fields = ("team", "team_member")

    def clean(self):
        data = super().clean()
        check_member_of_team(self, "team_member")
        return data


@admin.register(CalendarFeed)
class CalendarFeedAdmin(OrganizationScopedAdmin):
    """A feed's URL is its secret: shown on its page (as the API shows it), not in the list."""

    form = CalendarFeedForm
    organization_path = "team__organization"
    list_display = ("__str__", "team", "team_member", "created_at", "revoked_at")
    list_select_related = MEMBER_SELECT_RELATED
    list_filter = (("team", ScopedRelatedFilter),)
    uuid_search_fields = ("pk", "team_id", "team_member_id")
    ordering = ("-created_at",)
    autocomplete_fields = ("team_member",)
    actions = ("revoke_selected",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("team", "team_member")
        return ("id", "team", "team_member", "public_url", "created_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("id", "public_url", "created_at", "revoked_at")

    @admin.action(description="Revoke selected feeds", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"Revoked {revoked} feed(s).")


class RotationVersionInline(admin.TabularInline):
    """A rotation's history: read-only, since a change must apply from its instant on (the API's
    and the pages' PUT appends a version; editing one here would rewrite the past)."""

    model = RotationVersion
    extra = 0
    can_delete = False
    ordering = ("-effective_from",)
    fields = readonly_fields = (
        "effective_from",
        "layer",
        "participants",
        "shift_length",
        "shift_hours",
        "handoff_date",
        "handoff_time",
        "time_zone",
        "end",
        "restrictions",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rotation)
class RotationAdmin(OrganizationScopedAdmin):
    organization_path = "team__organization"
    list_display = ("name", "team", "created_at", "deleted_at")
    list_select_related = ("team",)
    list_filter = (("team", ScopedRelatedFilter),)
    search_fields = ("name", "team__name")
    uuid_search_fields = ("pk", "team_id")
    ordering = ("team__name", "created_at")
    readonly_fields = ("id", "team", "created_at", "deleted_at")
    fields = ("id", "team", "name", "created_at", "deleted_at")
    inlines = (RotationVersionInline,)

    def has_add_permission(self, request):
        return False  # through the API or the on-call page, which validate the participants


@admin.register(RotationVersion)
class RotationVersionAdmin(OrganizationScopedAdmin):
    """Read only: a version is a rotation's past or present, changed by a new version alone."""

    organization_path = "rotation__team__organization"
    list_display = ("rotation", "effective_from", "layer", "shift_length", "handoff_time")
    list_select_related = ("rotation",)
    uuid_search_fields = ("pk", "rotation_id")
    ordering = ("rotation", "-effective_from")
    readonly_fields = ("id", "rotation", *RotationVersionInline.fields)
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CoverRequest)
class CoverRequestAdmin(OrganizationScopedAdmin):
    """Read only: asked, taken and withdrawn through the API and the My shifts page."""

    organization_path = "team__organization"
    list_display = ("requester", "team", "start", "end", "taken_by", "cancelled_at")
    list_select_related = ("team", "requester__user", "taken_by__user")
    list_filter = (("team", ScopedRelatedFilter),)
    search_fields = ("requester__user__email", "team__name")
    uuid_search_fields = ("pk", "team_id", "requester_id", "taken_by_id")
    ordering = ("-start",)
    fields = readonly_fields = (
        "id",
        "team",
        "requester",
        "start",
        "end",
        "created_at",
        "taken_by",
        "taken_at",
        "override",
        "cancelled_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ShiftReminder)
class ShiftReminderAdmin(OrganizationScopedAdmin):
    organization_path = "team_member__team__organization"
    list_display = ("team_member", "kind", "shift_start", "sent_at")
    list_select_related = ("team_member__user", "team_member__team")
    ordering = ("-sent_at",)
    fields = readonly_fields = ("team_member", "kind", "shift_start", "sent_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(OrganizationScopedAdmin):
    organization_path = "user__organization"
    list_display = ("user", "minutes_before", "enabled")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("user__email",)
    autocomplete_fields = ("user",)


class ImportedShiftInline(admin.TabularInline):
    model = ImportedShift
    extra = 0
    fields = ("team_member", "start", "end")
    autocomplete_fields = ("team_member",)


@admin.register(ImportedLayer)
class ImportedLayerAdmin(OrganizationScopedAdmin):
    organization_path = "team__organization"
    list_display = ("name", "team", "layer", "created_at")
    list_select_related = ("team",)
    list_filter = (("team", ScopedRelatedFilter),)
    search_fields = ("name", "team__name")
    uuid_search_fields = ("pk", "team_id")
    ordering = ("team__name", "created_at")
    fields = ("id", "team", "name", "layer", "created_at")
    readonly_fields = ("id", "team", "created_at")
    inlines = (ImportedShiftInline,)

    def has_add_permission(self, request):
        return False  # through the import (API), which reads the file


@admin.register(ImportedShift)
class ImportedShiftAdmin(OrganizationScopedAdmin):
    organization_path = "layer__team__organization"
    list_display = ("team_member", "layer", "start", "end")
    list_select_related = ("layer", "team_member__user", "team_member__team")
    ordering = ("-start",)
    fields = ("layer", "team_member", "start", "end")
    readonly_fields = ("layer",)
    autocomplete_fields = ("team_member",)

    def has_add_permission(self, request):
        return False
