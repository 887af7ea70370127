"""Assignees of rulesets and incidents: ``[{"type": "team" | "team_member", "id": uuid}]``."""

from typing import TypedDict

from accounts.models import Organization, Team, TeamMember
from incidents.models import AssigneeType


class Assignee(TypedDict):
    type: str
    id: str


def check_assignees(
    assignees: list[Assignee], organization: Organization
) -> dict[int, dict[str, list[str]]]:
    """Errors by position for assignees whose id is not a team / team member of the organization."""
    ids = {kind: {a["id"] for a in assignees if a["type"] == kind} for kind in AssigneeType.values}
    known = {
        AssigneeType.TEAM: {
            str(pk)
            for pk in Team.objects.filter(
                organization=organization, pk__in=ids[AssigneeType.TEAM]
            ).values_list("pk", flat=True)
        },
        AssigneeType.TEAM_MEMBER: {
            str(pk)
            for pk in TeamMember.objects.filter(
                team__organization=organization, pk__in=ids[AssigneeType.TEAM_MEMBER]
            ).values_list("pk", flat=True)
        },
    }
    return {
        index: {"id": [f"no such {a['type'].replace('_', ' ')} in your organization"]}
        for index, a in enumerate(assignees)
        if a["id"] not in known[a["type"]]
    }
