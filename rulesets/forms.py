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
from rulesets import dry_run
from rulesets.api.serializers import (
    PayloadSerializer,
    RulesetActionsWriteSerializer,
    RulesetWriteSerializer,
)
from rulesets.conditions import CONDITION_TYPES, OPERATORS
from rulesets.models import Level, Ruleset, RuleType
from statuspages.models import Component, StatusPage
from webhooks.models import Webhook

# What the page calls them (the labels of ruleset_form.html): errors are named by these.
LABELS = {
    "name": "Name",
    "rule_type": "Type",
    "level": "Level",
    "team_id": "Team receiving the incidents",
    "urgency": "Urgency",
    "enabled": "Enabled",
    "description": "Description",
    "webhook_ids": "Webhooks it listens to",
    "assignees": "Assignees",
    "dedup_key": "Dedup key",
    "incident_name": "Incident name",
    "incident_description": "Incident description",
    "fields": "Fields shown on incidents",
    "auto_resolve_after_seconds": "Auto-resolve after (seconds)",
    "escalation_policy_id": "Escalation policy",
}
LIST_LABELS = {
    "conditions": ("Condition", "Conditions"),
    "resolve_conditions": ("Resolve condition", "Resolve conditions"),
}
ROW_FIELDS = {
    "type": "type",
    "key": "key",
    "operator": "operator",
    "values": "values",
    "status_page_id": "status page",
    "component_id": "component",
}

CONDITION_LISTS = ("conditions", "resolve_conditions")
# Fields of the ruleset body shown next to their input; list items ("webhook_ids.2") fold in.
FIELDS = (
    "rule_type",
    "level",
    "team_id",
    "name",
    "incident_description",
    "fields",
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


def _row_label(what: str, index: int, field: str) -> str:
    """ "Condition 2", "Condition 2, key", "Condition 2, value 1"."""
    label = f"{what} {index + 1}"
    field, _, item = field.partition(".")
    if field == "values" and item.isdigit():
        return f"{label}, value {int(item) + 1}"
    return f"{label}, {ROW_FIELDS[field]}" if field in ROW_FIELDS else label


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
                "incident_description": "",
                "fields": [],
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
                    "incident_description",
                )
            },
            "enabled": post.get("enabled") == "on",
            "auto_resolve_after_seconds": _seconds(post.get("auto_resolve_after_seconds", "")),
            "fields": [
                line.strip() for line in post.get("fields", "").splitlines() if line.strip()
            ],
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
            "incident_description": ruleset.incident_description,
            "fields": list(ruleset.fields),
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

    def label(self, path: str) -> str:
        """What the page calls the input of an error path: "conditions.1.values.0" is
        "Condition 2, value 1", "actions.0.settings.1.component_id" the component of the
        trigger-alerts row it came from."""
        name, _, rest = path.partition(".")
        if name == "fields" and rest.isdigit():
            return f"{LABELS[name]}, path {int(rest) + 1}"
        if name in LABELS:
            return LABELS[name]
        if name == "actions":
            for row, row_path in enumerate(self.row_paths):
                if path == row_path or path.startswith(row_path + "."):
                    return _row_label("Trigger-alerts row", row, path[len(row_path) + 1 :])
            return "Actions"
        if name in CONDITION_LISTS:
            singular, plural = LIST_LABELS[name]
            index, _, field = rest.partition(".")
            return _row_label(singular, int(index), field) if index.isdigit() else plural
        return "Ruleset" if name == "body" else path

    def _labelled(self, paths: list[str]) -> list[str]:
        return [f"{self.label(path)}: {message}" for path in paths for message in self.errors[path]]

    def messages(self) -> list[str]:
        return self._labelled(list(self.errors))

    def _under(self, prefix: str) -> list[str]:
        return self._labelled(
            [path for path in self.errors if path == prefix or path.startswith(prefix + ".")]
        )

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
                    "errors": self._labelled([name] if name in self.errors else []),
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


class TestInput:
    """The form's "Test without saving" part: the last ``limit`` events of the webhooks the
    form listens to, or a pasted payload with headers (one "Name: value" a line), validated by
    the API's ``PayloadSerializer``. ``errors`` are keyed by field (payload, headers,
    content_type), each message named by its label."""

    def __init__(self, post: QueryDict):
        source = post.get("test-source")
        self.source = source if source in ("payload", "event") else "events"
        self.event_id = post.get("test-event_id", "")  # one stored event, from its webhook's page
        self.limit = dry_run.recent_limit(post.get("test-limit"))
        self.payload = post.get("test-payload", "")
        self.headers_text = post.get("test-headers", "")
        self.content_type = post.get("test-content_type", "") or "application/json"
        self.errors: dict[str, list[str]] = {}
        self.validated: dict[str, Any] = {}

    def _headers(self) -> dict[str, str]:
        headers = {}
        for number, line in enumerate(self.headers_text.splitlines(), start=1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                self.errors.setdefault("headers", []).append(
                    f"Headers, line {number}: expected Name: value"
                )
            headers[name.strip()] = value.strip()
        return headers

    def is_valid(self) -> bool:
        if self.source in ("events", "event"):
            return True
        body = {"payload": self.payload, "headers": self._headers()}
        body["content_type"] = self.content_type
        serializer = PayloadSerializer(data=body)
        if not serializer.is_valid():
            for path, messages in flatten_errors(serializer.errors).items():
                name, _, _ = path.partition(".")
                label = {"content_type": "Content type"}.get(name, name.capitalize())
                self.errors.setdefault(name, []).extend(
                    f"{label}: {message}" for message in messages
                )
        self.validated = serializer.validated_data if not self.errors else {}
        return not self.errors
