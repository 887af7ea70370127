"""The incident edit form: the page's widgets, the API's validation (IncidentUpdateSerializer)."""

from typing import Any

from django import forms

from accounts.models import Organization, Team, TeamMember
from escalation.models import EscalationPolicy
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
    escalation_policy_id = forms.ChoiceField(
        required=False,
        label="Escalation policy",
        help_text="One of the team's; another one restarts the chain at step 1.",
    )

    def __init__(self, *args, organization: Organization, incident: Incident, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": incident.name,
                "description": incident.description,
                "urgency": incident.urgency,
                "assignees": [assignee_value(a) for a in incident.assignees],
                "escalation_policy_id": str(incident.escalation_policy_id or ""),
            },
        )
        super().__init__(*args, **kwargs)
        self.organization, self.team = organization, incident.team
        self.fields["assignees"].choices = assignee_choices(organization)
        # The team's policies only (the serializer checks it again). Left blank: unchanged, as
        # for an incident that follows none (its policy was deleted).
        policies = [
            (str(pk), name)
            for pk, name in EscalationPolicy.objects.filter(team=incident.team)
            .order_by("name", "created_at")
            .values_list("pk", "name")
        ]
        if incident.escalation_policy_id is None:
            policies.insert(0, ("", "none"))
        self.fields["escalation_policy_id"].choices = policies

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
        if cleaned["escalation_policy_id"]:
            body["escalation_policy_id"] = cleaned["escalation_policy_id"]
        serializer = IncidentUpdateSerializer(
            data=body, context={"organization": self.organization, "team": self.team}
        )
        if not serializer.is_valid():
            for path, reasons in flatten_errors(serializer.errors).items():
                field = path.split(".", 1)[0]
                for reason in reasons:
                    self.add_error(field if field in self.fields else None, reason)
            return cleaned
        self.changes = dict(serializer.validated_data)
        return cleaned
