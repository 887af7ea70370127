from django import forms
from django.contrib import admin
from rest_framework import serializers

from accounts.admin_base import OrganizationScopedAdmin
from notifications.api.views import ChannelWriteSerializer
from notifications.models import NotificationChannel


class NotificationChannelForm(forms.ModelForm):
    """The target is checked as the API checks it: an e-mail address, or an http(s) URL."""

    class Meta:
        model = NotificationChannel
        fields = ("user", "type", "target", "enabled")

    def clean(self):
        data = super().clean()
        if "type" in data and "target" in data:
            body = ChannelWriteSerializer(data={"type": data["type"], "target": data["target"]})
            try:
                body.is_valid(raise_exception=True)
            except serializers.ValidationError as exc:
                for name, problems in exc.detail.items():
                    self.add_error(
                        name if name in self.fields else None, [str(p) for p in problems]
                    )
        return data


@admin.register(NotificationChannel)
class NotificationChannelAdmin(OrganizationScopedAdmin):
    """The signing secret of webhook channels is never shown."""

    form = NotificationChannelForm
    organization_path = "user__organization"
    list_display = ("target", "type", "user", "enabled", "created_at")
    list_select_related = ("user",)
    list_filter = ("type", "enabled")
    search_fields = ("target", "user__email")
    uuid_search_fields = ("pk", "user_id")
    ordering = ("-created_at",)
    autocomplete_fields = ("user",)
    readonly_fields = ("id", "created_at")
    fields = ("id", "user", "type", "target", "enabled", "created_at")
