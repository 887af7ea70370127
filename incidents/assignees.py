"""Assignees of rulesets and incidents: ``[{"type": "team" | "team_member", "id": uuid}]``."""

import json
from typing import TypedDict

from django.db.models import BooleanField, F, Func

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


class AssignedTo(Func):
    """True for incidents (or rulesets) with an assignee of ``kind`` among ``ids``.

    PostgreSQL: one containment test per id (``assignees @> '[{"type": …, "id": …}]'``), which
    the GIN index "incident_assignees" answers, so "Mine" does not read every incident of the
    organization. SQLite has no ``@>`` (Django's ``contains`` raises there): the array is read
    with ``json_each``.
    """

    output_field = BooleanField()

    def __init__(self, kind: str, ids, field: str = "assignees"):
        super().__init__(F(field))
        self.kind, self.ids = kind, [str(pk) for pk in ids]

    def as_sql(self, compiler, connection, **extra):
        if not self.ids:
            return "FALSE", []
        column, params = compiler.compile(self.source_expressions[0])
        tests = " OR ".join([f"{column} @> %s::jsonb"] * len(self.ids))
        values = [json.dumps([{"type": self.kind, "id": pk}]) for pk in self.ids]
        return f"({tests})", [*params, *values]

    def as_sqlite(self, compiler, connection, **extra):
        if not self.ids:
            return "0", []
        column, params = compiler.compile(self.source_expressions[0])
        placeholders = ", ".join(["%s"] * len(self.ids))
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS assignee "
            "WHERE json_extract(assignee.value, '$.type') = %s "
            f"AND json_extract(assignee.value, '$.id') IN ({placeholders}))"
        )
        return sql, [*params, self.kind, *self.ids]
