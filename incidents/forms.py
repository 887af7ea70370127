"""The incident edit form: the page's widgets, the API's validation (IncidentUpdateSerializer)."""

from typing import Any

from django import forms

from accounts.models import Organization, Team, TeamMember
from incidents.api.serializers import IncidentUpdateSerializer
from incidents.models import AssigneeType, Incident, Urgency
from pinghome.api import flatten_errors


def assignee_value(assignee: dict[str, str]) -> str:
    """``team:<id>`` / ``team_member:<id>``: one option of the assignees select."""
    return f"{assignee.get('type')}:{assignee.get('id')}"


def assignee_choices(organization: Organization) -> list[tuple[str, list[tuple[str, str]]]]:
    """The organization's teams and team members, grouped for a multi-select (two queries)."""
    teams = [
        (assignee_value({"type": AssigneeType.TEAM, "id": str(pk)}), name)
        for pk, name in Team.objects.filter(organization=organization).values_list("pk", "name")
    ]
    members = [
        (
            assignee_value({"type": AssigneeType.TEAM_MEMBER, "id": str(member.pk)}),
            f"{member.user.name or member.user.email} ({member.team.name})",
        )
        for member in TeamMember.objects.filter(team__organization=organization)
        .select_related("user", "team")
        .order_by("user__name", "user__email", "team__name")
    ]
    return [("Teams", teams), ("Team members", members)]


class IncidentEditForm(forms.Form):
    name = forms.CharField(max_length=500)
    description = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgency = forms.ChoiceField(choices=Urgency.choices)
    assignees = forms.MultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Ctrl/Cmd-click to pick several.",
    )

    def __init__(self, *args, organization: Organization, incident: Incident, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": incident.name,
                "description": incident.description,
                "urgency": incident.urgency,
                "assignees": [assignee_value(a) for a in incident.assignees],
            },
        )
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["assignees"].choices = assignee_choices(organization)

    def assignee_labels(self) -> dict[str, str]:
        return {
            value: label for _, group in self.fields["assignees"].choices for value, label in group
        }

    def clean(self) -> dict[str, Any]:
        """Run the API's serializer on what the form parsed, so both accept the same edits."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        body = {
            "name": cleaned["name"],
            "description": cleaned["description"],
            "urgency": cleaned["urgency"],
            "assignees": [
                dict(zip(("type", "id"), value.split(":", 1), strict=True))
                for value in cleaned["assignees"]
            ],
        }
        serializer = IncidentUpdateSerializer(
            data=body, context={"organization": self.organization}
        )
        if not serializer.is_valid():
            for path, reasons in flatten_errors(serializer.errors).items():
                field = path.split(".", 1)[0]
                for reason in reasons:
                    self.add_error(field if field in self.fields else None, reason)
            return cleaned
        self.changes = dict(serializer.validated_data)
        return cleaned
