from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.admin_base import OrganizationScopedAdmin, ReadOnlyAdminMixin
from accounts.admin_pagination import HighVolumeAdminMixin
from notifications.contacts import clean_target
from notifications.models import ChatChannel, ContactMethod, Delivery, NotificationRule


class TargetCheckedForm(forms.ModelForm):
    """The target is checked as the API checks it (e-mail address, Apprise URL, http(s) URL)."""

    target_type: str | None = None  # chat channels: Apprise URLs only

    def clean(self):
        data = super().clean()
        kind = self.target_type or data.get("type")
        if kind and data.get("target"):
            try:
                data["target"] = clean_target(kind, data["target"])
            except ValidationError as exc:
                self.add_error("target", exc.message_dict["target"])
        return data


class ContactMethodForm(TargetCheckedForm):
    class Meta:
        model = ContactMethod
        fields = ("user", "type", "target", "label", "enabled", "verified_at")


class SecretTargetAdmin(OrganizationScopedAdmin):
    """An Apprise URL holds tokens: typed in once, then shown masked."""

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            fields[fields.index("target")] = "shown_target"
        return fields

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "shown_target")

    @admin.display(description="Target")
    def shown_target(self, obj) -> str:
        return obj.shown_target


@admin.register(ContactMethod)
class ContactMethodAdmin(SecretTargetAdmin):
    """The signing secret of webhook contact methods is never shown."""

    form = ContactMethodForm
    organization_path = "user__organization"
    list_display = ("shown_target", "type", "label", "user", "verified_at", "enabled", "created_at")
    list_select_related = ("user",)
    list_filter = ("type", "enabled")
    search_fields = ("label", "user__email")
    uuid_search_fields = ("pk", "user_id")
    ordering = ("-created_at",)
    autocomplete_fields = ("user",)
    readonly_fields = ("id", "created_at", "verification_error")
    fields = (
        "id",
        "user",
        "type",
        "target",
        "label",
        "enabled",
        "verified_at",
        "verification_error",
        "created_at",
    )


@admin.register(NotificationRule)
class NotificationRuleAdmin(OrganizationScopedAdmin):
    organization_path = "user__organization"
    list_display = ("user", "urgency", "contact_method", "delay_minutes")
    list_select_related = ("user", "contact_method")
    list_filter = ("urgency",)
    search_fields = ("user__email",)
    uuid_search_fields = ("pk", "user_id", "contact_method_id")
    ordering = ("user__email", "urgency", "delay_minutes")
    autocomplete_fields = ("user",)
    raw_id_fields = ("contact_method",)
    fields = ("user", "urgency", "contact_method", "delay_minutes")


class ChatChannelForm(TargetCheckedForm):
    target_type = "apprise"

    class Meta:
        model = ChatChannel
        fields = ("team", "target", "label")


@admin.register(ChatChannel)
class ChatChannelAdmin(SecretTargetAdmin):
    form = ChatChannelForm
    organization_path = "team__organization"
    list_display = ("__str__", "shown_target", "team", "created_at")
    list_select_related = ("team",)
    search_fields = ("label", "team__name")
    uuid_search_fields = ("pk", "team_id")
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at")
    fields = ("id", "team", "target", "label", "created_at")


@admin.register(Delivery)
class DeliveryAdmin(HighVolumeAdminMixin, ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """What was sent to whom, and how it went (written by the product alone)."""

    organization_path = "organization"
    list_display = ("created_at", "method", "target", "user", "incident", "reason", "state")
    list_select_related = ("user", "incident")
    list_defer = ("text",)
    uuid_search_fields = ("pk", "incident_id", "user_id")
    search_help_text = "A delivery id, an incident id or a user id."
    ordering = ("-created_at", "-id")
    fields = (
        "id",
        "key",
        "incident",
        "user",
        "contact_method",
        "chat_channel",
        "team",
        "method",
        "target",
        "reason",
        "step_label",
        "delay_minutes",
        "subject",
        "text",
        "url",
        "state",
        "attempts",
        "error",
        "created_at",
        "due_at",
        "sent_at",
        "acknowledge_link_used_at",
        "resolve_link_used_at",
    )
    readonly_fields = fields
