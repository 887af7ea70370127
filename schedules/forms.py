"""On-call page forms: they collect what the page posts; the API's serializers validate it.

Date-times are typed as local wall-clock times (``datetime-local``): an entry's in its own time
zone (else the team's), an override's in the team's.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from accounts.models import Team
from schedules.api.oncall import OverrideWriteSerializer
from schedules.api.rotations import RotationWriteSerializer
from schedules.api.serializers import ScheduleRuleSerializer
from schedules.calendar_grid import zone_of
from schedules.models import ScheduleEntry

WEEK_DAYS = [(0, "Sun"), (1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat")]
MONTHS = [
    (n, name)
    for n, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        start=1,
    )
]
WEEKS = [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (5, "5th"), (-2, "2nd last"), (-1, "last")]
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(value: datetime | None, zone: ZoneInfo) -> str:
    """An instant as the value of a ``datetime-local`` input in ``zone``."""
    return value.astimezone(zone).strftime(LOCAL_FORMAT) if value else ""


def instant(raw: str, zone: ZoneInfo) -> str | None:
    """A typed local date-time as RFC 3339 in ``zone``; what cannot be parsed goes on as typed
    (the serializer names the error); blank is None."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat()


def names(choices: list[tuple[int, str]], values) -> str:
    labels = dict(choices)
    return ", ".join(labels.get(v, str(v)) for v in values)


def member_choices(team: Team) -> list[tuple[str, str]]:
    return [
        (str(m.pk), m.user.name or m.user.email)
        for m in team.members.select_related("user").order_by("created_at", "id")
    ]


class ApiValidatedForm(forms.Form):
    """A form whose values become an API body; the API serializer's errors land on the fields."""

    api_fields: dict[str, str] = {}  # API field -> form field, where the names differ

    def api_body(self) -> dict[str, Any]:
        raise NotImplementedError

    def serializer(self, body: dict[str, Any]):
        raise NotImplementedError

    def validated(self) -> dict[str, Any] | None:
        """The serializer's validated data, or None with its errors added to the form."""
        if not self.is_valid():
            return None
        body = self.serializer(self.api_body())
        if body.is_valid():
            return dict(body.validated_data)
        for name, messages in body.errors.items():
            target = self.api_fields.get(name, name)
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(target if target in self.fields else None, f"{message}")
        return None


class ScheduleEntryForm(ApiValidatedForm):
    team_member = forms.ChoiceField(label="Member")
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
        help_text="Before the start time: overnight. Equal: 24 hours.",
    )
    start_date = forms.CharField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional: from this local date-time.",
    )
    end_date = forms.CharField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional: until this local date-time (inclusive).",
    )
    months_of_year = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=MONTHS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Months",
        help_text="None checked: every month.",
    )
    weeks_of_month = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=WEEKS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Weeks of the month",
        help_text="Week n is days 7n-6 to 7n; last is the last 7 days. None checked: every week.",
    )
    time_zone = forms.CharField(
        required=False, max_length=64, help_text="IANA name, e.g. Europe/Paris. Blank: the team's."
    )
    api_fields = {"team_member_id": "team_member"}

    def __init__(self, *args, team: Team, entry: ScheduleEntry | None = None, **kwargs):
        self.team, self.entry = team, entry
        if entry is not None and not args and "data" not in kwargs:
            zone = zone_of(entry.time_zone, team.time_zone)
            kwargs["initial"] = {
                "team_member": str(entry.team_member_id),
                "week_days": entry.week_days,
                "start_time": entry.start_time.strftime("%H:%M:%S"),
                "end_time": entry.end_time.strftime("%H:%M:%S"),
                "start_date": local_input(entry.start_date, zone),
                "end_date": local_input(entry.end_date, zone),
                "months_of_year": entry.months_of_year,
                "weeks_of_month": entry.weeks_of_month,
                "time_zone": entry.time_zone,
            }
        super().__init__(*args, **kwargs)
        self.fields["team_member"].choices = member_choices(team)
        if entry is not None:  # the member is part of the entry's identity
            self.fields["team_member"].disabled = True
            self.fields["team_member"].initial = str(entry.team_member_id)

    def api_body(self) -> dict[str, Any]:
        data = self.cleaned_data
        zone = zone_of(data["time_zone"], self.team.time_zone)
        body = {
            "team_member_id": data["team_member"],
            "week_days": data["week_days"],
            "months_of_year": data["months_of_year"],
            "weeks_of_month": data["weeks_of_month"],
            "start_time": data["start_time"],
            "end_time": data["end_time"],
            "start_date": instant(data["start_date"], zone),
            "end_date": instant(data["end_date"], zone),
            "time_zone": data["time_zone"],
        }
        return body

    def serializer(self, body):
        return ScheduleRuleSerializer(data=body)


class OverrideForm(ApiValidatedForm):
    team_member = forms.ChoiceField(label="Member on call")
    start = forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    replaces_team_member = forms.ChoiceField(
        required=False,
        label="Replaces",
        help_text="Everyone: the member alone is on call. A member: only while they would be.",
    )
    api_fields = {
        "team_member_id": "team_member",
        "replaces_team_member_id": "replaces_team_member",
    }

    def __init__(self, *args, team: Team, **kwargs):
        self.team = team
        super().__init__(*args, **kwargs)
        members = member_choices(team)
        self.fields["team_member"].choices = members
        self.fields["replaces_team_member"].choices = [("", "Everyone on call"), *members]

    def api_body(self) -> dict[str, Any]:
        data = self.cleaned_data
        zone = zone_of(self.team.time_zone)
        return {
            "team_member_id": data["team_member"],
            "start": instant(data["start"], zone),
            "end": instant(data["end"], zone),
            "replaces_team_member_id": data["replaces_team_member"] or None,
        }

    def serializer(self, body):
        return OverrideWriteSerializer(data=body, context={"team": self.team})


PARTICIPANT_SLOTS = 8
SHIFT_LENGTHS = [("weekly", "Weekly"), ("daily", "Daily"), ("custom", "Custom hours")]


class RotationForm(ApiValidatedForm):
    """A rotation with up to eight participants in turn and one optional restriction window."""

    name = forms.CharField(max_length=200)
    layer = forms.IntegerField(
        min_value=1, max_value=100, initial=1, help_text="A higher layer wins where it has someone."
    )
    shift_length = forms.ChoiceField(choices=SHIFT_LENGTHS)
    shift_hours = forms.IntegerField(required=False, help_text="For custom shifts: hours.")
    handoff = forms.CharField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Local date and time of the first handoff; every handoff keeps this time.",
    )
    time_zone = forms.CharField(
        required=False, max_length=64, help_text="IANA name, e.g. Europe/Berlin. Blank: the team's."
    )
    end = forms.CharField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional: the rotation stops here.",
    )
    restriction_days = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=WEEK_DAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only on",
        help_text="With the times below; none checked and no times: always.",
    )
    restriction_start = forms.CharField(
        required=False, label="Only from", widget=forms.TimeInput(attrs={"type": "time"})
    )
    restriction_end = forms.CharField(
        required=False,
        label="Only until",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Before the start: overnight, owned by its start day.",
    )
    api_fields = {"participants": "participant_1", "restrictions": "restriction_start"}

    def __init__(self, *args, team: Team, initial_body: dict | None = None, **kwargs):
        self.team = team
        if initial_body is not None and not args and "data" not in kwargs:
            kwargs["initial"] = self._initial(initial_body)
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *member_choices(team)]
        for n in range(1, PARTICIPANT_SLOTS + 1):
            self.fields[f"participant_{n}"] = forms.ChoiceField(
                choices=choices, required=False, label=f"Participant {n}"
            )
        order = ["name", "layer", *(f"participant_{n}" for n in range(1, PARTICIPANT_SLOTS + 1))]
        self.order_fields(order)

    def _initial(self, body: dict) -> dict:
        zone = zone_of(body["time_zone"], self.team.time_zone)
        initial = {
            **{k: body[k] for k in ("name", "layer", "shift_length", "shift_hours", "time_zone")},
            "handoff": body["handoff"][:16],
            "end": local_input(body["end"], zone),
        }
        for n, member_id in enumerate(body["participants"], start=1):
            initial[f"participant_{n}"] = member_id
        if body["restrictions"]:
            first = body["restrictions"][0]
            initial.update(
                restriction_days=first["week_days"],
                restriction_start=first["start_time"][:5],
                restriction_end=first["end_time"][:5],
            )
        return initial

    def api_body(self) -> dict[str, Any]:
        data = self.cleaned_data
        zone = zone_of(data["time_zone"], self.team.time_zone)
        restricted = (
            data["restriction_start"] or data["restriction_end"] or data["restriction_days"]
        )
        return {
            "name": data["name"],
            "layer": data["layer"],
            "participants": [
                data[f"participant_{n}"]
                for n in range(1, PARTICIPANT_SLOTS + 1)
                if data[f"participant_{n}"]
            ],
            "shift_length": data["shift_length"],
            "shift_hours": data["shift_hours"],
            "handoff": data["handoff"],
            "time_zone": data["time_zone"],
            "end": instant(data["end"], zone),
            "restrictions": [
                {
                    "week_days": data["restriction_days"],
                    "start_time": data["restriction_start"] or "00:00",
                    "end_time": data["restriction_end"] or "00:00",
                }
            ]
            if restricted
            else [],
        }

    def serializer(self, body):
        return RotationWriteSerializer(data=body, context={"team": self.team})
