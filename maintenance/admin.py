from django import forms
from django.contrib import admin

from accounts.admin_base import OrganizationScopedAdmin, PrettyJSONField
from maintenance.api.serializers import RecurrenceSerializer
from maintenance.models import MaintenanceWindow
from pinghome.api import flatten_errors


class MaintenanceWindowForm(forms.ModelForm):
    recurrence = PrettyJSONField(
        required=False,
        help_text='null, or {"week_days": [2], "start_time": "22:00:00", "end_time": '
        '"02:00:00", "time_zone": "Europe/Berlin"} (0 = Sunday), as in the API.',
    )

    class Meta:
        model = MaintenanceWindow
        fields = (
            "organization",
            "reason",
            "start",
            "end",
            "recurrence",
            "webhooks",
            "rulesets",
            "teams",
        )

    def clean_recurrence(self):
        """Validated as the API does: evaluation relies on it."""
        value = self.cleaned_data["recurrence"]
        if value is None:
            return None
        recurrence = RecurrenceSerializer(data=value)
        if not recurrence.is_valid():
            raise forms.ValidationError(
                [f"{path}: {' '.join(m)}" for path, m in flatten_errors(recurrence.errors).items()]
            )
        return recurrence.validated_data


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(OrganizationScopedAdmin):
    form = MaintenanceWindowForm
    list_display = ("reason", "organization", "start", "end", "created_at")
    list_select_related = ("organization",)
    search_fields = ("reason",)
    uuid_search_fields = ("pk",)
    ordering = ("-start",)
    fields = (
        "id",
        "organization",
        "reason",
        "start",
        "end",
        "recurrence",
        "webhooks",
        "rulesets",
        "teams",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("id", "created_by", "created_at", "updated_at")
    filter_horizontal = ("webhooks", "rulesets", "teams")
