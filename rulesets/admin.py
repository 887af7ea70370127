"""Rulesets in the admin, validated by the same code as the API.

Conditions go through the condition engine's ``validate_conditions`` (errors name the condition
path, e.g. ``conditions.0.values.0: invalid regex``) and are stored in the API's shape; the key
path through ``parse_key_path``; assignees through the API's ``AssigneesField``
(``check_assignees``); each action through the API's ``ActionSerializer`` (the action type's
``SettingSerializer`` and ``check_settings``).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.utils import timezone
from rest_framework import serializers

from accounts.admin_base import (
    OrganizationScopedAdmin,
    PrettyJSONField,
    ReadOnlyAdminMixin,
    ScopedInline,
    ScopedRelatedFilter,
)
from accounts.admin_pagination import HighVolumeAdminMixin
from accounts.models import Organization
from incidents.actions import REGISTRY
from incidents.api.serializers import ActionSerializer, AssigneesField
from pinghome.api import flatten_errors
from rulesets.api.serializers import ConditionsField
from rulesets.conditions import KeyPathError, parse_key_path, validate_conditions
from rulesets.incident_fields import field_errors
from rulesets.models import DedupState, Ruleset, RulesetAction
from rulesets.templating import template_errors

CONDITIONS_HELP = (
    'A JSON list of {"type": "json-check" | "header-check", "key": "a.path", '
    '"operator": "equal", "values": ["..."]}; all must hold. [] holds for every event.'
)


def error_lines(errors: dict[str, list[str]]) -> list[str]:
    """``{"conditions.0.key": ["reason"]}`` as ``["conditions.0.key: reason"]``."""
    return [f"{path}: {message}" for path, messages in errors.items() for message in messages]


def checked_conditions(value: Any, name: str) -> list[dict[str, Any]]:
    errors = validate_conditions(value, field=name)
    if errors:
        raise forms.ValidationError(error_lines(errors))
    # Stored in the API's shape (documented keys only, ``values`` defaulting to []).
    return ConditionsField().to_internal_value(value)


def checked_template(value: str) -> str:
    if errors := template_errors(value):
        raise forms.ValidationError(errors)
    return value


def organization_stub(organization_id) -> Organization | None:
    """An Organization to scope the API's lookups with (they filter by it; nothing is read)."""
    return Organization(pk=organization_id) if organization_id else None


class _AssigneesBody(serializers.Serializer):
    assignees = AssigneesField()


class RulesetAdminForm(forms.ModelForm):
    conditions = PrettyJSONField(required=False, help_text=CONDITIONS_HELP)
    resolve_conditions = PrettyJSONField(
        required=False,
        help_text="Same shape as the conditions; blank (or null) when no event resolves.",
    )
    assignees = PrettyJSONField(
        required=False,
        empty=[],
        help_text='A JSON list of {"type": "team" | "team_member", "id": "<uuid>"}.',
    )
    fields = PrettyJSONField(
        required=False,
        empty=[],
        help_text='Key paths shown on its incidents\' page, e.g. ["commonLabels.severity"].',
    )

    class Meta:
        model = Ruleset
        fields = (
            "organization",
            "team",
            "level",
            "rule_type",
            "name",
            "description",
            "urgency",
            "conditions",
            "resolve_conditions",
            "dedup_key",
            "incident_name",
            "incident_description",
            "fields",
            "assignees",
            "webhooks",
            "enabled",
            "auto_resolve_after_seconds",
        )

    def clean_conditions(self):
        value = self.cleaned_data.get("conditions")
        if value is None:
            raise forms.ValidationError("Required: a JSON list of conditions ([] for none).")
        return checked_conditions(value, "conditions")

    def clean_resolve_conditions(self):
        value = self.cleaned_data.get("resolve_conditions")
        return None if value is None else checked_conditions(value, "resolve_conditions")

    def clean_dedup_key(self):
        value = self.cleaned_data.get("dedup_key", "")
        if value:
            try:
                parse_key_path(value)
            except KeyPathError as exc:
                raise forms.ValidationError(f"invalid key path: {exc}") from None
        return value

    def clean_incident_name(self):
        return checked_template(self.cleaned_data.get("incident_name", ""))

    def clean_incident_description(self):
        return checked_template(self.cleaned_data.get("incident_description", ""))

    def clean_fields(self):
        value = self.cleaned_data.get("fields", [])
        if errors := field_errors(value):
            raise forms.ValidationError(error_lines(errors))
        return value

    def clean(self):
        data = super().clean()
        organization = data.get("organization")
        if "assignees" in data and organization is not None:
            body = _AssigneesBody(
                data={"assignees": data["assignees"]}, context={"organization": organization}
            )
            if body.is_valid():
                data["assignees"] = body.validated_data["assignees"]
            else:
                self.add_error("assignees", error_lines(flatten_errors(body.errors)))
        return data


class RulesetActionForm(forms.ModelForm):
    type = forms.ChoiceField(choices=[(name, name) for name in sorted(REGISTRY)])
    settings = PrettyJSONField(
        help_text='trigger-alerts: [{"status_page_id": "<uuid>", "component_id": "<uuid>"}]'
    )

    class Meta:
        model = RulesetAction
        fields = ("type", "settings", "position")

    def clean(self):
        data = super().clean()
        ruleset = data.get("ruleset")  # the inline's parent, even when not saved yet
        organization = organization_stub(ruleset.organization_id if ruleset else None)
        if organization is None or "type" not in data or "settings" not in data:
            return data
        action = ActionSerializer(
            data={"type": data["type"], "settings": data["settings"]},
            context={"organization": organization},
        )
        if action.is_valid():
            data["settings"] = action.validated_data["settings"]
        else:
            for path, messages in flatten_errors(action.errors).items():
                field = "type" if path == "type" else "settings"
                self.add_error(field, [f"{path}: {message}" for message in messages])
        return data


class RulesetActionInline(ScopedInline, admin.StackedInline):
    model = RulesetAction
    form = RulesetActionForm
    organization_path = "ruleset__organization"
    extra = 0
    ordering = ("position", "created_at")


@admin.register(Ruleset)
class RulesetAdmin(OrganizationScopedAdmin):
    form = RulesetAdminForm
    inlines = (RulesetActionInline,)
    list_display = (
        "name",
        "organization",
        "team",
        "level",
        "rule_type",
        "urgency",
        "enabled",
        "updated_at",
    )
    list_select_related = ("organization", "team")
    list_filter = ("enabled", "level", "rule_type", "urgency", ("team", ScopedRelatedFilter))
    search_fields = ("name", "description", "dedup_key")
    uuid_search_fields = ("pk", "team_id")
    ordering = ("name", "created_at")
    autocomplete_fields = ("webhooks",)
    readonly_fields = ("id", "created_at", "updated_at", "created_by")
    fieldsets = (
        (None, {"fields": ("id", "organization", "team", "level", "name", "description")}),
        (
            "Incidents",
            {
                "fields": (
                    "rule_type",
                    "urgency",
                    "incident_name",
                    "incident_description",
                    "fields",
                    "assignees",
                    "auto_resolve_after_seconds",
                )
            },
        ),
        (
            "Matching",
            {"fields": ("webhooks", "conditions", "resolve_conditions", "dedup_key", "enabled")},
        ),
        ("History", {"fields": ("created_at", "updated_at", "created_by")}),
    )

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RulesetAction)
class RulesetActionAdmin(OrganizationScopedAdmin):
    """Also editable inline on its ruleset; validated by the same form."""

    form = RulesetActionForm
    organization_path = "ruleset__organization"
    list_display = ("type", "ruleset", "position", "created_at")
    list_select_related = ("ruleset",)
    list_filter = ("type",)
    uuid_search_fields = ("pk", "ruleset_id")
    search_help_text = "An action id or a ruleset id."
    ordering = ("ruleset__name", "position", "created_at")
    autocomplete_fields = ("ruleset",)
    fields = ("id", "ruleset", "type", "settings", "position", "created_at")
    readonly_fields = ("id", "created_at")


@admin.register(DedupState)
class DedupStateAdmin(HighVolumeAdminMixin, ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """The per-key cursor of evaluation (its row lock serializes events of one key)."""

    organization_path = "ruleset__organization"
    list_display = ("dedup_key", "ruleset", "last_received_at", "last_event_id")
    list_select_related = ("ruleset",)
    search_fields = ("dedup_key",)
    uuid_search_fields = ("ruleset_id", "last_event_id")
    ordering = ("-id",)
