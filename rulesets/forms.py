"""The ruleset page form: posted rows become the API's body, validated by the API's serializers.

The page posts parallel lists, one item per row: ``conditions-type``, ``conditions-key``,
``conditions-operator``, ``conditions-values`` (one value per line), the same for
``resolve_conditions-*``, and ``action-id`` / ``action-setting`` / ``action-status_page`` /
``action-component`` for trigger-alerts rows. Rows left blank are dropped. Errors come back
under the API's dotted paths ("conditions.1.values.0") and are shown next to their row.
"""

from itertools import zip_longest
from typing import Any

from django.http import QueryDict

from accounts.models import Organization, Team, TeamMember
from escalation.models import EscalationPolicy
from incidents.actions.trigger_alerts import NAME as TRIGGER_ALERTS
from incidents.models import AssigneeType, Urgency
from pinghome.api import flatten_errors
from rulesets.api.serializers import RulesetActionsWriteSerializer, RulesetWriteSerializer
from rulesets.conditions import CONDITION_TYPES, OPERATORS
from rulesets.models import Level, Ruleset, RuleType
from statuspages.models import Component, StatusPage
from webhooks.models import Webhook

CONDITION_LISTS = ("conditions", "resolve_conditions")
# Fields of the ruleset body shown next to their input; list items ("webhook_ids.2") fold in.
FIELDS = (
    "rule_type",
    "level",
    "team_id",
    "name",
    "description",
    "urgency",
    "enabled",
    "webhook_ids",
    "dedup_key",
    "incident_name",
    "auto_resolve_after_seconds",
    "assignees",
    "escalation_policy_id",
)


def condition_rows(post: QueryDict, prefix: str) -> list[dict[str, Any]]:
    """The non-blank condition rows of ``prefix`` as API conditions (values: one per line)."""
    rows = []
    for ctype, key, operator, values in zip_longest(
        *(post.getlist(f"{prefix}-{name}") for name in ("type", "key", "operator", "values")),
        fillvalue="",
    ):
        lines = [line.rstrip("\r") for line in values.split("\n")]
        lines = [line for line in lines if line.strip()]
        if not key.strip() and not lines:
            continue
        rows.append({"type": ctype, "key": key.strip(), "operator": operator, "values": lines})
    return rows


def action_rows(post: QueryDict) -> list[dict[str, str]]:
    """The non-blank trigger-alerts rows: one (status page, component) setting each."""
    rows = []
    for action_id, setting_id, page_id, component_id in zip_longest(
        *(post.getlist(f"action-{name}") for name in ("id", "setting", "status_page", "component")),
        fillvalue="",
    ):
        if page_id or component_id:
            rows.append(
                {
                    "action_id": action_id,
                    "setting_id": setting_id,
                    "status_page_id": page_id,
                    "component_id": component_id,
                }
            )
    return rows


def actions_of(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows grouped into API actions by their action id (new rows form one new action).

    Returns the actions and, per row, the error path prefix of its setting
    ("actions.0.settings.1").
    """
    actions: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    paths = []
    for row in rows:
        group = row["action_id"]
        if group not in index_of:
            index_of[group] = len(actions)
            action = {"type": TRIGGER_ALERTS, "settings": []}
            if group:
                action["id"] = group
            actions.append(action)
        settings = actions[index_of[group]]["settings"]
        paths.append(f"actions.{index_of[group]}.settings.{len(settings)}")
        setting = {"status_page_id": row["status_page_id"], "component_id": row["component_id"]}
        if row["setting_id"]:
            setting["id"] = row["setting_id"]
        settings.append(setting)
    return actions, paths


def _seconds(value: str) -> int | str | None:
    """A number input's text: empty is None, an integer its value, else the text (refused by
    the API's serializer, which names the field)."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else value


def _assignee(value: str) -> dict[str, str]:
    kind, _, pk = value.partition(":")
    return {"type": kind, "id": pk}


class RulesetForm:
    """A ruleset as the page edits it: the API body plus its actions, and their errors."""

    def __init__(
        self,
        organization: Organization,
        *,
        data: QueryDict | None = None,
        ruleset: Ruleset | None = None,
        default_team: Team | None = None,
    ):
        self.organization = organization
        self.errors: dict[str, list[str]] = {}
        self.validated: dict[str, Any] = {}
        self.validated_actions: list[dict[str, Any]] = []
        if data is not None:
            self.body = self._body_from_post(data)
            self.rows = action_rows(data)
        elif ruleset is not None:
            self.body, self.rows = self._body_from_ruleset(ruleset)
        else:
            self.body = {
                "rule_type": RuleType.WEBHOOK,
                "level": Level.TEAM,
                "team_id": str(default_team.pk) if default_team else "",
                "name": "",
                "description": "",
                "urgency": Urgency.HIGH,
                "enabled": True,
                "webhook_ids": [],
                "dedup_key": "",
                "incident_name": "",
                "auto_resolve_after_seconds": None,
                "assignees": [],
                "escalation_policy_id": None,
                "conditions": [],
                "resolve_conditions": None,
            }
            self.rows = []
        self.actions, self.row_paths = actions_of(self.rows)

    @staticmethod
    def _body_from_post(post: QueryDict) -> dict[str, Any]:
        return {
            **{
                name: post.get(name, "")
                for name in (
                    "rule_type",
                    "level",
                    "team_id",
                    "name",
                    "description",
                    "urgency",
                    "dedup_key",
                    "incident_name",
                )
            },
            "enabled": post.get("enabled") == "on",
            "auto_resolve_after_seconds": _seconds(post.get("auto_resolve_after_seconds", "")),
            "webhook_ids": post.getlist("webhook_ids"),
            "assignees": [_assignee(value) for value in post.getlist("assignees")],
            # Blank: the team's default.
            "escalation_policy_id": post.get("escalation_policy_id") or None,
            "conditions": condition_rows(post, "conditions"),
            # No resolve rows: none (an empty list would resolve on every event).
            "resolve_conditions": condition_rows(post, "resolve_conditions") or None,
        }

    @staticmethod
    def _body_from_ruleset(ruleset: Ruleset) -> tuple[dict[str, Any], list[dict[str, str]]]:
        body = {
            "rule_type": ruleset.rule_type,
            "level": ruleset.level,
            "team_id": str(ruleset.team_id),
            "name": ruleset.name,
            "description": ruleset.description,
            "urgency": ruleset.urgency,
            "enabled": ruleset.enabled,
            "webhook_ids": [str(webhook.pk) for webhook in ruleset.webhooks.all()],
            "dedup_key": ruleset.dedup_key,
            "incident_name": ruleset.incident_name,
            "auto_resolve_after_seconds": ruleset.auto_resolve_after_seconds,
            "assignees": list(ruleset.assignees),
            "escalation_policy_id": str(ruleset.escalation_policy_id or "") or None,
            "conditions": list(ruleset.conditions),
            "resolve_conditions": ruleset.resolve_conditions,
        }
        rows = [
            {
                "action_id": str(action.pk),
                "setting_id": str(setting.get("id", "")),
                "status_page_id": str(setting.get("status_page_id", "")),
                "component_id": str(setting.get("component_id", "")),
            }
            for action in ruleset.actions.all()
            if action.type == TRIGGER_ALERTS
            for setting in action.settings
        ]
        return body, rows

    def is_valid(self) -> bool:
        """Validate with the API's serializers; errors keyed by the API's dotted paths."""
        context = {"organization": self.organization}
        ruleset = RulesetWriteSerializer(data=self.body, context=context)
        body = RulesetActionsWriteSerializer(data={"actions": self.actions}, context=context)
        valid = ruleset.is_valid() & body.is_valid()
        self.errors = {}
        if not valid:
            self.add_errors({**flatten_errors(ruleset.errors), **flatten_errors(body.errors)})
            return False
        self.validated = ruleset.validated_data
        self.validated_actions = body.validated_data["actions"]
        return True

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for path, messages in errors.items():
            self.errors.setdefault(path, []).extend(messages)

    # ----------------------------------------------------------------- what the page shows

    def messages(self) -> list[str]:
        return [f"{path}: {message}" for path, ms in self.errors.items() for message in ms]

    def _under(self, prefix: str) -> list[str]:
        return [
            f"{path}: {message}"
            for path, ms in self.errors.items()
            if path == prefix or path.startswith(prefix + ".")
            for message in ms
        ]

    def field_errors(self) -> dict[str, list[str]]:
        return {name: self._under(name) for name in FIELDS}

    def condition_lists(self) -> list[dict[str, Any]]:
        """Per list: its rows (each with its errors) and the errors of the list itself."""
        result = []
        for name in CONDITION_LISTS:
            rows = [
                {
                    **row,
                    "values_text": "\n".join(str(v) for v in row.get("values") or []),
                    "errors": self._under(f"{name}.{index}"),
                }
                for index, row in enumerate(self.body.get(name) or [])
            ]
            result.append(
                {
                    "name": name,
                    "rows": rows,
                    "errors": [f"{name}: {m}" for m in self.errors.get(name, [])],
                }
            )
        return result

    def action_list(self) -> dict[str, Any]:
        rows = [
            {**row, "errors": self._under(path)}
            for row, path in zip(self.rows, self.row_paths, strict=True)
        ]
        claimed = {m for row in rows for m in row["errors"]}
        return {"rows": rows, "errors": [m for m in self._under("actions") if m not in claimed]}

    def choices(self) -> dict[str, Any]:
        """Options of every select, with what is selected."""
        org = self.organization
        webhooks = set(self.body.get("webhook_ids") or [])
        assignees = {f"{a.get('type')}:{a.get('id')}" for a in self.body.get("assignees") or []}
        teams = list(Team.objects.filter(organization=org).order_by("name"))
        members = TeamMember.objects.filter(team__organization=org).select_related("team", "user")
        assignee_options = [
            (f"{AssigneeType.TEAM}:{team.pk}", f"Team {team.name}") for team in teams
        ] + [
            (
                f"{AssigneeType.TEAM_MEMBER}:{member.pk}",
                f"{member.user.name or member.user.email} ({member.team.name})",
            )
            for member in members.order_by("team__name", "user__email")
        ]
        policies = EscalationPolicy.objects.filter(team__organization=org).order_by(
            "team__name", "team_id", "name", "created_at"
        )
        pages = list(StatusPage.objects.filter(organization=org).order_by("name"))
        components = Component.objects.filter(status_page__organization=org).order_by(
            "status_page__name", "name"
        )
        return {
            # A heartbeat ruleset is a webhook's (made with its heartbeat) and stays one.
            "rule_types": [
                (value, label)
                for value, label in RuleType.choices
                if (value == RuleType.HEARTBEAT) == (self.body["rule_type"] == RuleType.HEARTBEAT)
            ],
            "levels": Level.choices,
            "urgencies": Urgency.choices,
            "condition_types": CONDITION_TYPES,
            "operators": OPERATORS,
            "teams": [(str(team.pk), team.name) for team in teams],
            "webhooks": [
                (str(w.pk), w.name or str(w.pk), str(w.pk) in webhooks)
                for w in Webhook.objects.live()
                .filter(organization=org)
                .order_by("name", "created_at")
            ],
            "assignees": [(value, label, value in assignees) for value, label in assignee_options],
            # Each policy with its team: the page offers those of the team chosen (forms.js),
            # the API's serializer refuses another team's.
            "escalation_policies": [
                (str(p.pk), p.name, str(p.team_id), str(p.pk) == self.body["escalation_policy_id"])
                for p in policies
            ],
            "status_pages": [(str(page.pk), page.name) for page in pages],
            "components": [(str(c.pk), c.name, str(c.status_page_id)) for c in components],
        }
