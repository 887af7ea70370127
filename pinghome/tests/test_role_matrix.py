"""Who may write what: a responder, a manager and an admin on every write route.

Each row is one route and the answer each role gets (the allowed answer, or 403). Personas:
``teammate`` (a responder of Ops), ``manager`` (a member of the organization who manages Ops),
``owner`` (an organization admin). Every object is made fresh by the owner for each case.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.test import TestCase

from accounts.models import Team
from escalation.tests.builders import policy_body
from rulesets.tests.builders import ruleset_body
from statuspages.tests.builders import make_component, make_status_page
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db

ROLES = ("teammate", "manager", "owner")


@dataclass(frozen=True)
class Write:
    name: str
    method: str
    path: str  # formatted with the ids of ``ctx``
    body: Callable[[dict], dict | None]
    # The answer of each role, in the order of ROLES.
    answers: tuple[int, int, int]


def created(persona, path: str, body: dict) -> dict:
    response = persona.api.post(path, body, format="json")
    assert response.status_code == 201, (path, response.content)
    return response.json()


@pytest.fixture
def ctx(owner, teammate, manager) -> dict:
    team = owner.team
    entry_body = {"team_member_id": str(owner.member.id), "week_days": [1]}
    entry_body |= {"start_time": "09:00", "end_time": "17:00"}
    page = make_status_page(owner.organization)
    with TestCase.captureOnCommitCallbacks(execute=True):
        methods = {
            persona.user.email: created(
                persona, "/v1/user/contact-method", {"type": "email", "target": "p@acme.test"}
            )["id"]
            for persona in (owner, teammate, manager)
        }
    return {
        "team": str(team.id),
        "member": str(teammate.member.id),
        "user": str(teammate.user.id),
        "ruleset": created(owner, "/v1/ruleset", ruleset_body(team))["id"],
        "entry": created(owner, f"/v1/team/{team.id}/schedule", entry_body)["created_at"],
        "entry_body": entry_body,
        "override": created(
            owner,
            f"/v1/team/{team.id}/override",
            {
                "team_member_id": str(owner.member.id),
                "start": "2030-01-01T00:00:00Z",
                "end": "2030-01-02T00:00:00Z",
            },
        )["id"],
        "incident": created(
            owner,
            f"/v1/team/{team.id}/incident",
            {"name": "DB down", "description": "", "urgency": "high"},
        )["id"],
        "duplicate": created(
            owner,
            f"/v1/team/{team.id}/incident",
            {"name": "DB 500s", "description": "", "urgency": "high"},
        )["id"],
        "policy": created(
            owner, f"/v1/team/{team.id}/escalation-policy", policy_body((0, [("team", team.id)]))
        )["id"],
        "team_webhook": str(create_webhook(owner.organization, name="t", team=team).id),
        "org_webhook": str(create_webhook(owner.organization, name="o").id),
        "page": str(page.id),
        "component": str(make_component(page).id),
        "notice": created(
            owner,
            f"/v1/status-page/{page.id}/notice",
            {"title": "Slow", "status": "investigating", "message": "Looking."},
        )["id"],
        "other_team": created(owner, "/v1/team", {"name": "Old"})["id"],
        "methods": methods,
    }


def entry_query(ctx) -> str:
    return urlencode(
        {"team_member_id": ctx["entry_body"]["team_member_id"], "created_at": ctx["entry"]}
    )


FORBIDDEN_TO_RESPONDERS = (403, 200, 200)
ADMINS_ONLY = (403, 403, 200)
EVERYONE = (200, 200, 200)

WRITES = [
    # Teams and members
    Write("create team", "post", "/v1/team", lambda c: {"name": "New"}, (403, 403, 201)),
    Write(
        "rename team",
        "put",
        "/v1/team/{team}",
        lambda c: {"name": "Ops 2"},
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write("delete team", "delete", "/v1/team/{other_team}", lambda c: None, ADMINS_ONLY),
    Write(
        "add member",
        "post",
        "/v1/team/{team}/member",
        lambda c: {"email": "new@acme.test"},
        (403, 201, 201),
    ),
    Write(
        "member role",
        "put",
        "/v1/team/{team}/member/{member}",
        lambda c: {"role": "manager"},
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "remove member",
        "delete",
        "/v1/team/{team}/member/{member}",
        lambda c: None,
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write("organization role", "put", "/v1/user/{user}", lambda c: {"role": "admin"}, ADMINS_ONLY),
    Write("clear lockout", "delete", "/v1/user/{user}/lockout", lambda c: None, ADMINS_ONLY),
    # Tokens and contact methods: one's own
    Write(
        "create token",
        "post",
        "/v1/token",
        lambda c: {"name": "ci", "scopes": ["read"]},
        (201, 201, 201),
    ),
    Write(
        "change own contact method",
        "put",
        "/v1/user/contact-method/{own}",
        lambda c: {"label": "Pager"},
        EVERYONE,
    ),
    # Rulesets (team level)
    Write("create ruleset", "post", "/v1/ruleset", lambda c: ruleset_body_for(c), (403, 201, 201)),
    Write(
        "update ruleset",
        "put",
        "/v1/ruleset/{ruleset}",
        lambda c: ruleset_body_for(c),
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "ruleset actions",
        "put",
        "/v1/ruleset/{ruleset}/actions",
        lambda c: {"actions": []},
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "delete ruleset", "delete", "/v1/ruleset/{ruleset}", lambda c: None, FORBIDDEN_TO_RESPONDERS
    ),
    # Schedules, overrides, escalation policies
    Write(
        "create entry",
        "post",
        "/v1/team/{team}/schedule",
        lambda c: {**c["entry_body"], "week_days": [2]},
        (403, 201, 201),
    ),
    Write(
        "update entry",
        "put",
        "/v1/team/{team}/schedule",
        lambda c: {**c["entry_body"], "created_at": c["entry"], "week_days": [3]},
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "delete entry",
        "delete",
        "/v1/team/{team}/schedule?{entry_query}",
        lambda c: None,
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "create override",
        "post",
        "/v1/team/{team}/override",
        lambda c: {
            "team_member_id": c["member"],
            "start": "2031-01-01T00:00:00Z",
            "end": "2031-01-02T00:00:00Z",
        },
        (403, 201, 201),
    ),
    Write(
        "delete override",
        "delete",
        "/v1/override/{override}",
        lambda c: None,
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "create policy",
        "post",
        "/v1/team/{team}/escalation-policy",
        lambda c: policy_body((0, [("team", c["team"])]), name="Other"),
        (403, 201, 201),
    ),
    Write(
        "update policy",
        "put",
        "/v1/escalation-policy/{policy}",
        lambda c: policy_body((5, [("team", c["team"])])),
        FORBIDDEN_TO_RESPONDERS,
    ),
    # Incidents: responders answer them
    Write(
        "open incident",
        "post",
        "/v1/team/{team}/incident",
        lambda c: {"name": "Disk", "description": "", "urgency": "low"},
        (201, 201, 201),
    ),
    Write(
        "update incident",
        "put",
        "/v1/incident/{incident}",
        lambda c: {
            "name": "DB down",
            "description": "",
            "urgency": "high",
            "status": "acknowledged",
        },
        EVERYONE,
    ),
    Write(
        "snooze incident",
        "post",
        "/v1/incident/{incident}/snooze",
        lambda c: {"minutes": 15},
        EVERYONE,
    ),
    Write(
        "note on incident",
        "post",
        "/v1/incident/{incident}/note",
        lambda c: {"text": "Rolled back."},
        (201, 201, 201),
    ),
    Write(
        "merge incidents",
        "post",
        "/v1/incident/{incident}/merge",
        lambda c: {"incident_ids": [c["duplicate"]]},
        EVERYONE,
    ),
    # Webhooks: a team's by its managers, the organization's by admins
    Write(
        "create team webhook",
        "post",
        "/v1/webhook",
        lambda c: {"name": "w", "team_id": c["team"]},
        (403, 201, 201),
    ),
    Write(
        "create webhook of no team", "post", "/v1/webhook", lambda c: {"name": "w"}, (403, 403, 201)
    ),
    Write(
        "update team webhook",
        "put",
        "/v1/webhook/{team_webhook}",
        lambda c: {"name": "x"},
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "rotate team webhook",
        "post",
        "/v1/webhook/{team_webhook}/rotate",
        lambda c: {},
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "delete team webhook",
        "delete",
        "/v1/webhook/{team_webhook}",
        lambda c: None,
        FORBIDDEN_TO_RESPONDERS,
    ),
    Write(
        "update webhook of no team",
        "put",
        "/v1/webhook/{org_webhook}",
        lambda c: {"name": "x"},
        ADMINS_ONLY,
    ),
    Write(
        "delete webhook of no team",
        "delete",
        "/v1/webhook/{org_webhook}",
        lambda c: None,
        ADMINS_ONLY,
    ),
    # Status pages and components: organization admins
    Write(
        "create status page", "post", "/v1/status-page", lambda c: {"name": "P"}, (403, 403, 201)
    ),
    Write(
        "rename status page", "put", "/v1/status-page/{page}", lambda c: {"name": "P"}, ADMINS_ONLY
    ),
    Write("delete status page", "delete", "/v1/status-page/{page}", lambda c: None, ADMINS_ONLY),
    Write(
        "add component",
        "post",
        "/v1/status-page/{page}/component",
        lambda c: {"name": "C"},
        (403, 403, 201),
    ),
    Write(
        "rename component",
        "put",
        "/v1/status-page/{page}/component/{component}",
        lambda c: {"name": "C"},
        ADMINS_ONLY,
    ),
    Write(
        "delete component",
        "delete",
        "/v1/status-page/{page}/component/{component}",
        lambda c: None,
        ADMINS_ONLY,
    ),
    # Written updates and a component's manual status: anyone of a team
    Write(
        "manual status",
        "put",
        "/v1/status-page/{page}/component/{component}",
        lambda c: {"manual_status": "degraded"},
        EVERYONE,
    ),
    Write(
        "post notice",
        "post",
        "/v1/status-page/{page}/notice",
        lambda c: {"title": "Slow", "status": "investigating", "message": "Looking."},
        (201, 201, 201),
    ),
    Write(
        "update notice",
        "post",
        "/v1/status-page/{page}/notice/{notice}/update",
        lambda c: {"status": "resolved", "message": "Fixed."},
        (201, 201, 201),
    ),
]


def ruleset_body_for(ctx) -> dict:
    return ruleset_body(Team.objects.get(pk=ctx["team"]), name="Matrix")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_each_role_gets_the_answer_its_role_allows(ctx, write, role, request):
    persona = request.getfixturevalue(role)
    ids = {key: value for key, value in ctx.items() if isinstance(value, str)}
    path = write.path.format(
        **ids, own=ctx["methods"][persona.user.email], entry_query=entry_query(ctx)
    )

    response = getattr(persona.api, write.method)(path, write.body(ctx), format="json")

    expected = write.answers[ROLES.index(role)]
    assert response.status_code == expected, (write.name, role, response.content)
    if expected == 403:
        assert isinstance(response.json()["message"], str)
