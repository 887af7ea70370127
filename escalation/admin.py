"""Escalation policies in the admin, validated by the same code as the API."""

from django import forms
from django.contrib import admin
from rest_framework import serializers

from accounts.admin_base import (
    OrganizationScopedAdmin,
    PrettyJSONField,
    ReadOnlyAdminMixin,
    ScopedInline,
    ScopedRelatedFilter,
)
from escalation import services
from escalation.api.serializers import MAX_TARGETS, TargetSerializer
from escalation.models import EscalationPolicy, EscalationStep, PagedUser
from escalation.targets import check_steps
from pinghome.api import flatten_errors
from rulesets.admin import error_lines


class EscalationStepForm(forms.ModelForm):
    targets = PrettyJSONField(
        required=False,
        empty=[],
        help_text='A JSON list of {"type": "oncall" | "user" | "team" | "channel", "id": '
        '"<uuid>"}: oncall and team name teams, user a user, channel a team chat channel.',
    )

    class Meta:
        model = EscalationStep
        fields = ("policy", "position", "delay_minutes", "targets")

    def clean(self):
        data = super().clean()
        policy = data.get("policy")  # the inline's parent, even when not saved yet
        if policy is None or not policy.organization_id or "targets" not in data:
            return data
        field = serializers.ListField(child=TargetSerializer(), max_length=MAX_TARGETS)
        try:
            targets = field.run_validation(data["targets"])
        except serializers.ValidationError as exc:
            self.add_error("targets", error_lines(flatten_errors({"targets": exc.detail})))
            return data
        errors = check_steps([{"targets": targets}], policy.organization_id)
        if errors:
            self.add_error(
                "targets", error_lines({k.removeprefix("steps.0."): v for k, v in errors.items()})
            )
        data["targets"] = targets
        return data


class EscalationStepInline(ScopedInline, admin.TabularInline):
    model = EscalationStep
    form = EscalationStepForm
    organization_path = "policy__organization"
    ordering = ("position",)
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(OrganizationScopedAdmin):
    """A team's default or a policy an open incident follows is never deleted."""

    inlines = (EscalationStepInline,)
    list_display = ("name", "team", "organization", "repeat", "is_team_default", "updated_at")
    list_select_related = ("team", "organization")
    list_filter = ("is_team_default", ("team", ScopedRelatedFilter))
    search_fields = ("name", "team__name")
    uuid_search_fields = ("pk", "team_id")
    ordering = ("team__name", "-is_team_default", "name")
    readonly_fields = ("id", "created_at", "updated_at")
    fields = (
        "id",
        "organization",
        "team",
        "name",
        "repeat",
        "is_team_default",
        "created_at",
        "updated_at",
    )

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        reasons = [services.why_in_use(policy) for policy in objs]
        return to_delete, model_count, perms_needed, [*protected, *filter(None, reasons)]


@admin.register(EscalationStep)
class EscalationStepAdmin(OrganizationScopedAdmin):
    form = EscalationStepForm
    organization_path = "policy__organization"
    str_select_related = ("policy",)
    list_display = ("__str__", "policy", "delay_minutes")
    list_select_related = ("policy",)
    uuid_search_fields = ("policy_id",)
    ordering = ("policy", "position")
    fields = ("policy", "position", "delay_minutes", "targets")


@admin.register(PagedUser)
class PagedUserAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """Who each escalation step paged: written by the product, once per (incident, cycle,
    step, user)."""

    organization_path = "incident__organization"
    list_display = ("user", "incident", "cycle", "step", "created_at")
    list_select_related = ("user", "incident")
    uuid_search_fields = ("incident_id", "user_id")
    ordering = ("-created_at", "-id")
    fields = ("incident", "cycle", "step", "user", "created_at")
