"""Builders for the ruleset API tests."""

from typing import Any

from accounts.models import Organization, Team
from rulesets.models import Level, Ruleset, RulesetAction, RuleType
from webhooks.models import Webhook

CONDITION = {
    "type": "json-check",
    "key": "products[0].count",
    "operator": "equal",
    "values": ["10"],
}


def ruleset_body(team: Team, **overrides: Any) -> dict[str, Any]:
    """A valid POST/PUT /v1/ruleset body (the reference's example) for ``team``."""
    return {
        "rule_type": "state-change",
        "conditions": [dict(CONDITION)],
        "level": "team",
        "team_id": str(team.id),
        "name": "Name",
        "description": "Description",
        "urgency": "medium",
        "assignees": [{"type": "team", "id": str(team.id)}],
        **overrides,
    }


def make_ruleset(team: Team, **fields: Any) -> Ruleset:
    """A ruleset stored directly (``webhooks`` is a list of Webhook rows)."""
    webhooks = fields.pop("webhooks", [])
    ruleset = Ruleset.objects.create(
        organization_id=team.organization_id,
        team=team,
        level=fields.pop("level", Level.TEAM),
        rule_type=fields.pop("rule_type", RuleType.WEBHOOK),
        name=fields.pop("name", "CPU high"),
        urgency=fields.pop("urgency", "high"),
        conditions=fields.pop("conditions", [dict(CONDITION)]),
        **fields,
    )
    ruleset.webhooks.set(webhooks)
    return ruleset


def make_action(ruleset: Ruleset, settings: list[dict] | None = None, position: int = 0):
    return RulesetAction.objects.create(
        ruleset=ruleset, type="trigger-alerts", settings=settings or [], position=position
    )


def make_webhook(organization: Organization, name: str = "Alertmanager") -> Webhook:
    return Webhook.objects.create(organization=organization, name=name)


def make_team(organization: Organization, name: str) -> Team:
    return Team.objects.create(organization=organization, name=name)
