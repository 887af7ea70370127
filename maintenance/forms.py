"""The maintenance window page form: its values become the API's body, validated by the API's
serializer. Date-times are typed as local wall-clock times in the signed-in user's time zone
(UTC when they have none)."""

from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from accounts.models import Organization, Team
from maintenance.api.serializers import MaintenanceWindowWriteSerializer
from maintenance.models import MaintenanceWindow
from pinghome.api import flatten_errors
from rulesets.models import Ruleset
from schedules.forms import WEEK_DAYS, instant, local_input
from webhooks.models import Webhook

# API error paths (their first part) to the form field that shows them.
FIELD_OF = {
    "recurrence": "weekly",
    "webhook_ids": "webhooks",
    "ruleset_ids": "rulesets",
    "team_ids": "teams",
}


class MaintenanceWindowForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Database upgrade, expect restarts"}),
    )
    start = forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    weekly = forms.BooleanField(
        required=False,
        label="Only at these times each week",
        help_text="Between start and end, active only on the days and times below.",
    )
    week_days = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=WEEK_DAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Days of the week",
    )
    start_time = forms.CharField(
        required=False, widget=forms.TimeInput(attrs={"type": "time", "step": 1})
    )
    end_time = forms.CharField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 1}),
        help_text="Before the start time: overnight, from the day checked.",
    )
    time_zone = forms.CharField(
        required=False, max_length=64, help_text="Of the weekly times; blank: UTC."
    )
    teams = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    rulesets = forms.MultipleChoiceField(required=False)
    webhooks = forms.MultipleChoiceField(required=False)

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        zone: ZoneInfo,
        window: MaintenanceWindow | None = None,
        **kwargs: Any,
    ):
        self.organization, self.zone = organization, zone
        if window is not None:
            recurrence = window.recurrence or {}
            kwargs.setdefault(
                "initial",
                {
                    "reason": window.reason,
                    "start": local_input(window.start, zone),
                    "end": local_input(window.end, zone),
                    "weekly": bool(window.recurrence),
                    "week_days": recurrence.get("week_days", []),
                    "start_time": recurrence.get("start_time", ""),
                    "end_time": recurrence.get("end_time", ""),
                    "time_zone": recurrence.get("time_zone", ""),
                    "teams": [str(t.pk) for t in window.teams.all()],
                    "rulesets": [str(r.pk) for r in window.rulesets.all()],
                    "webhooks": [str(w.pk) for w in window.webhooks.all()],
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["start"].label = f"Start ({zone.key})"
        self.fields["end"].label = f"End ({zone.key})"
        self.fields["teams"].choices = [
            (str(t.pk), t.name)
            for t in Team.objects.filter(organization=organization).order_by("name")
        ]
        self.fields["rulesets"].choices = [
            (str(r.pk), r.name)
            for r in Ruleset.objects.filter(organization=organization).order_by("name")
        ]
        self.fields["webhooks"].choices = [
            (str(w.pk), w.name or str(w.pk))
            for w in Webhook.objects.filter(organization=organization).order_by("name")
        ]
        for name in ("teams", "rulesets", "webhooks"):
            self.fields[name].help_text = "None anywhere: the whole organization."

    def api_body(self) -> dict[str, Any]:
        data = self.cleaned_data
        recurrence = None
        if data["weekly"]:
            recurrence = {
                "week_days": data["week_days"],
                "start_time": data["start_time"],
                "end_time": data["end_time"],
                "time_zone": data["time_zone"] or "UTC",
            }
        return {
            "reason": data["reason"],
            "start": instant(data["start"], self.zone),
            "end": instant(data["end"], self.zone),
            "recurrence": recurrence,
            "team_ids": data["teams"],
            "ruleset_ids": data["rulesets"],
            "webhook_ids": data["webhooks"],
        }

    def validated(self) -> dict[str, Any] | None:
        """The API serializer's validated data, or None with its errors on the fields."""
        if not self.is_valid():
            return None
        body = MaintenanceWindowWriteSerializer(
            data=self.api_body(), context={"organization": self.organization}
        )
        if body.is_valid():
            return dict(body.validated_data)
        for path, messages in flatten_errors(body.errors).items():
            head, _, rest = path.partition(".")
            name = rest.split(".")[0] if head == "recurrence" and rest else head
            name = FIELD_OF.get(name, name) if name not in self.fields else name
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return None
