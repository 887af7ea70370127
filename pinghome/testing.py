"""Builders for tests: personas (a user with a token and an API client) and common objects."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Organization, Team, TeamMember, User
from accounts.services import bootstrap


@dataclass
class Persona:
    organization: Organization
    team: Team
    member: TeamMember
    user: User
    token: str
    api: APIClient


def make_persona(org: str, team: str, email: str, *, role: str = "manager") -> Persona:
    """A user in ``team`` of ``org`` with this team ``role`` (the organization's first user is
    its admin)."""
    result = bootstrap(org_name=org, team_name=team, email=email)
    if result.team_member.role != role:
        result.team_member.role = role
        result.team_member.save(update_fields=["role"])
    # In use already: a token's first request in a minute also stamps ``last_used_at``, which
    # would count against the query bounds of list endpoints.
    ApiToken.objects.filter(user=result.user).update(last_used_at=timezone.now())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {result.token}")
    return Persona(
        result.organization, result.team, result.team_member, result.user, result.token, api
    )


def client_with_scopes(user: User, scopes: list[str]) -> APIClient:
    """An API client with a fresh token of ``user`` with these scopes."""
    _, raw = ApiToken.issue(user, name="scoped", scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


PASSWORD = "correct horse battery staple"


def sign_in(page, persona: Persona) -> None:
    """Give the persona a password and sign in through the login page."""
    persona.user.set_password(PASSWORD)
    persona.user.save(update_fields=["password"])
    page.goto("/login")
    page.fill("input[name=username]", persona.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def assert_fits(page, width: int, height: int = 900) -> None:
    """At ``width`` px the page scrolls vertically only (wide tables scroll in their own box)."""
    page.set_viewport_size({"width": width, "height": height})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than a {width} px viewport"


WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious_violations(page) -> list[str]:
    """What axe-core finds on the page as it is: its serious or critical WCAG 2.1 A/AA
    violations, one line each with the first elements concerned."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + "; ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation on the page as it is."""
    serious = serious_violations(page)
    assert not serious, "\n".join(serious)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of a browser test as an artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- API assertions shared by the endpoint tests ---------------------------------------------

BAD_TOKEN = "Bearer ph_not-a-real-token"
UNKNOWN_ID = "6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77"
MALFORMED_ID = "not-a-uuid"


def send_raw(api, method: str, path: str, raw: bytes):
    """Send ``raw`` bytes as an application/json body, bypassing the client's encoder."""
    return api.generic(method, path, raw, content_type="application/json")


def deeply_nested(depth: int = 200) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def assert_invalid(response, *fields: str) -> dict[str, list[str]]:
    """A 422 in the documented format naming each of ``fields``; returns the errors."""
    assert response.status_code == 422, (response.status_code, response.content)
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    errors = body["errors"]
    assert isinstance(errors, dict)
    for name in fields:
        assert name in errors, (name, errors)
        assert errors[name] and all(isinstance(reason, str) for reason in errors[name])
    return errors


def assert_not_found(response) -> None:
    assert response.status_code == 404, (response.status_code, response.content)
    assert response.json() == {"message": "Not found."}


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, (response.status_code, response.content)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["message"], str)


# --- One object of every kind, and a request for every write route ----------------------------
#
# The tenant-isolation test (pinghome/tests/test_tenant_isolation.py) walks every route of the
# URLconf and calls it as another organization with these ids. A route whose path has a
# parameter that is not in KINDS (or WORDS), or an API write that has no entry in PAYLOADS, makes
# that test fail: add a builder or a payload here when you add a route.

Ids = dict[str, str]


def _created(persona: Persona, path: str, body: dict | None = None) -> dict:
    response = persona.api.post(path, body or {}, format="json")
    assert response.status_code == 201, (path, response.content)
    return response.json()


def _member_body(ids: Ids) -> dict:
    return {"email": f"new-{ids['organization_id'][:8]}@example.test", "role": "responder"}


def _schedule_body(ids: Ids) -> dict:
    # Every day, all day: its member can ask for cover now.
    return {
        "team_member_id": ids["team_member_id"],
        "week_days": [0, 1, 2, 3, 4, 5, 6],
        "start_time": "00:00",
        "end_time": "00:00",
    }


def _override_body(ids: Ids) -> dict:
    return {
        "team_member_id": ids["team_member_id"],
        "start": "2030-01-01T00:00:00Z",
        "end": "2030-01-02T00:00:00Z",
    }


def _policy_body(ids: Ids) -> dict:
    return {
        "name": "Lead after 10 minutes",
        "repeat": 1,
        "steps": [
            {"delay_minutes": 0, "targets": [{"type": "oncall", "id": ids["team_id"]}]},
            {"delay_minutes": 10, "targets": [{"type": "user", "id": ids["user_id"]}]},
        ],
    }


def _webhook_body(ids: Ids) -> dict:
    return {"name": "Alarms", "description": "Alertmanager", "team_id": ids["team_id"]}


def _ruleset_body(ids: Ids) -> dict:
    condition = {"type": "json-check", "key": "alarm.state", "operator": "equal"}
    return {
        "rule_type": "webhook",
        "conditions": [{**condition, "values": ["ALARM"]}],
        "resolve_conditions": [{**condition, "values": ["OK"]}],
        "level": "team",
        "team_id": ids["team_id"],
        "name": "Alarm",
        "description": "An alarm",
        "urgency": "high",
        "assignees": [
            {"type": "team", "id": ids["team_id"]},
            {"type": "team_member", "id": ids["team_member_id"]},
        ],
        "webhook_ids": [ids["webhook_id"]],
        "escalation_policy_id": ids["policy_id"],
    }


def _actions_body(ids: Ids) -> dict:
    setting = {"id": "", "status_page_id": ids["status_page_id"]}
    setting["component_id"] = ids["component_id"]
    return {"actions": [{"id": "", "type": "trigger-alerts", "settings": [setting]}]}


def _incident_body(ids: Ids) -> dict:
    return {
        "name": "Database down",
        "description": "db-1",
        "urgency": "high",
        "assignees": [{"type": "team_member", "id": ids["team_member_id"]}],
        "escalation_policy_id": ids["policy_id"],
        **_actions_body(ids),
    }


def _rotation_body(ids: Ids) -> dict:
    return {
        "name": "Primary",
        "layer": 1,
        "participants": [ids["team_member_id"]],
        "shift_length": "weekly",
        "handoff": "2025-01-06T09:00:00",
        "time_zone": "Europe/Berlin",
        "end": None,
        "restrictions": [],
    }


def _cover_body(ids: Ids) -> dict:
    start = timezone.now().replace(microsecond=0) + timezone.timedelta(hours=1)
    return {"start": start.isoformat(), "end": (start + timezone.timedelta(hours=2)).isoformat()}


LAYER_ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//pinghome tests//EN",
        "BEGIN:VEVENT",
        "UID:shift-1@example.test",
        "DTSTART:20300101T090000Z",
        "DTEND:20300101T170000Z",
        "SUMMARY:On call",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def _layer_body(ids: Ids) -> dict:
    return {"name": "Imported", "layer": 3, "ics": LAYER_ICS}


def _window_body(ids: Ids) -> dict:
    return {
        "reason": "Database upgrade",
        "start": "2030-03-05T22:00:00Z",
        "end": "2030-03-06T02:00:00Z",
        "webhook_ids": [ids["webhook_id"]],
        "ruleset_ids": [ids["ruleset_id"]],
        "team_ids": [ids["team_id"]],
    }


def _rules_body(ids: Ids) -> dict:
    rule = {"urgency": "high", "contact_method_id": ids["contact_method_id"], "delay_minutes": 0}
    return {"rules": [rule]}


def _event(persona: Persona, ids: Ids) -> str:
    response = APIClient().post(
        f"/v1/incident/webhook/{ids['webhook_id']}", {"alarm": {"state": "ALARM"}}, format="json"
    )
    assert response.status_code == 202, response.content
    return response.json()["event_id"]


def _invitation(persona: Persona, ids: Ids) -> str:
    from accounts.models import Invitation

    invited = {"email": f"invited-{ids['organization_id'][:8]}@example.test"}
    member_id = _created(persona, f"/v1/team/{ids['team_id']}/member", invited)["id"]
    return str(Invitation.objects.get(team_member_id=member_id).id)


def _entry_key(ids: Ids) -> dict:
    """What identifies the entry ``entry_id`` in the API: its member and ``created_at``."""
    from schedules.models import ScheduleEntry

    entry = ScheduleEntry.objects.get(pk=ids["entry_id"])
    created_at = entry.created_at.isoformat().replace("+00:00", "Z")
    return {"team_member_id": str(entry.team_member_id), "created_at": created_at}


def _entry(persona: Persona, ids: Ids) -> str:
    return _created(persona, f"/v1/team/{ids['team_id']}/schedule", _schedule_body(ids))["id"]


def _saved_filter(persona: Persona, ids: Ids) -> str:
    from incidents.models import SavedFilter

    return str(SavedFilter.objects.create(user=persona.user, name="Mine", query="mine=true").pk)


Builder = Callable[[Persona, Ids], str]


def _notice_body(ids: Ids) -> dict:
    return {
        "title": "Payments are slow",
        "status": "investigating",
        "message": "Looking into it.",
        "component_ids": [ids["component_id"]],
        "incident_id": ids["incident_id"],
    }


# Path parameter name -> how to make one such object in the persona's organization (given the
# ids made before it, in this order) and return its id.
KINDS: dict[str, Builder] = {
    "organization_id": lambda p, ids: str(p.organization.id),
    "team_id": lambda p, ids: str(p.team.id),
    "team_member_id": lambda p, ids: str(p.member.id),
    "user_id": lambda p, ids: str(p.user.id),
    "invitation_id": _invitation,
    "token_id": lambda p, ids: _created(p, "/v1/token", {"name": "ci", "scopes": ["read"]})["id"],
    "entry_id": _entry,
    "policy_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/escalation-policy", _policy_body(ids)
    )["id"],
    "webhook_id": lambda p, ids: _created(p, "/v1/webhook", _webhook_body(ids))["id"],
    "event_id": _event,
    "status_page_id": lambda p, ids: _created(p, "/v1/status-page", {"name": "Public"})["id"],
    "component_id": lambda p, ids: _created(
        p, f"/v1/status-page/{ids['status_page_id']}/component", {"name": "API"}
    )["id"],
    "ruleset_id": lambda p, ids: _created(p, "/v1/ruleset", _ruleset_body(ids))["id"],
    "incident_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/incident", _incident_body(ids)
    )["id"],
    "override_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/override", _override_body(ids)
    )["id"],
    "feed_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/calendar-feed", {"team_member_id": ids["team_member_id"]}
    )["id"],
    "rotation_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/rotation", _rotation_body(ids)
    )["id"],
    "cover_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/cover-request", _cover_body(ids)
    )["id"],
    "layer_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/layer-import", _layer_body(ids)
    )["id"],
    "contact_method_id": lambda p, ids: _created(
        p, "/v1/user/contact-method", {"type": "email", "target": p.user.email}
    )["id"],
    "chat_channel_id": lambda p, ids: _created(
        p,
        f"/v1/team/{ids['team_id']}/chat-channel",
        {"target": "ntfy://ntfy.example.com/ops", "label": "#ops"},
    )["id"],
    "channel_id": lambda p, ids: _created(
        p, "/v1/notification-channel", {"type": "email", "target": "pager@example.test"}
    )["id"],
    "window_id": lambda p, ids: _created(p, "/v1/maintenance-window", _window_body(ids))["id"],
    # Not a path parameter: the incident merged into "incident_id" (POST .../merge).
    "duplicate_incident_id": lambda p, ids: _created(
        p, f"/v1/team/{ids['team_id']}/incident", _incident_body(ids)
    )["id"],
    "filter_id": _saved_filter,
    "notice_id": lambda p, ids: _created(
        p, f"/v1/status-page/{ids['status_page_id']}/notice", _notice_body(ids)
    )["id"],
}

# Path parameters that are words, not ids: every value a route understands.
WORDS: dict[str, list[str]] = {
    "transition": ["acknowledge", "resolve", "escalate"],
    "action": [
        "rename",
        "delete",
        "role",
        "remove",
        "resend",
        "revoke",
        "take",
        "cancel",
        "edit",
        "status",
    ],
    "urgency": ["high"],
}


def one_of_every_kind(persona: Persona) -> Ids:
    """The id of one object of every kind of KINDS, made in the persona's organization (mostly
    through the API, as a client would)."""
    ids: Ids = {}
    for name, build in KINDS.items():
        ids[name] = build(persona, ids)
    return ids


Payload = Callable[[Ids], dict | None]
_NONE: Payload = lambda ids: None  # noqa: E731 - reads as a constant

# "METHOD route" (the route as the URLconf spells it) -> a valid JSON body (POST, PUT, PATCH) or
# query (GET, DELETE) made of the ids of one organization. Every API write route needs one
# (None: no body); the ids in it are swapped one at a time for another organization's.
PAYLOADS: dict[str, Payload] = {
    "POST v1/status-page/<str:status_page_id>/notice": lambda ids: _notice_body(ids),
    "POST v1/status-page/<str:status_page_id>/notices": lambda ids: _notice_body(ids),
    "POST v1/status-page/<str:status_page_id>/notice/<str:notice_id>/update": lambda ids: {
        "status": "monitoring",
        "message": "A fix is out.",
    },
    "GET v1/reports": lambda ids: {
        "team_id": ids["team_id"],
        "from": "2025-01-01",
        "to": "2025-01-31",
    },
    "PUT v1/team/<str:team_id>": lambda ids: {
        "name": "Ops",
        "time_zone": "Europe/Paris",
        "escalation_policy_id": ids["policy_id"],
    },
    "POST v1/team": lambda ids: {"name": "Payments"},
    "POST v1/team/<str:team_id>/member": _member_body,
    "PUT v1/team/<str:team_id>/member/<str:team_member_id>": lambda ids: {"role": "manager"},
    "POST v1/token": lambda ids: {"name": "ci", "scopes": ["read"]},
    "POST v1/ruleset": _ruleset_body,
    "PUT v1/ruleset/<str:ruleset_id>": _ruleset_body,
    "PUT v1/ruleset/<str:ruleset_id>/actions": _actions_body,
    "POST v1/ruleset/test": lambda ids: {
        "ruleset": _ruleset_body(ids),
        "event_ids": [ids["event_id"]],
    },
    "POST v1/ruleset/<str:ruleset_id>/test": lambda ids: {
        "ruleset": _ruleset_body(ids),
        "event_ids": [ids["event_id"]],
    },
    "POST v1/webhook": _webhook_body,
    "PUT v1/webhook/<str:webhook_id>": _webhook_body,
    "POST v1/webhook/<str:webhook_id>/rotate": lambda ids: {"grace_seconds": 60},
    "POST v1/team/<str:team_id>/incident": _incident_body,
    "PUT v1/incident/<str:incident_id>": lambda ids: {
        **_incident_body(ids),
        "status": "acknowledged",
    },
    "POST v1/incident/<str:incident_id>/escalate": _NONE,
    "POST v1/incident/<str:incident_id>/snooze": lambda ids: {"minutes": 15},
    "POST v1/incident/<str:incident_id>/note": lambda ids: {"text": "Rolled back."},
    "POST v1/incident/<str:incident_id>/merge": lambda ids: {
        "incident_ids": [ids["duplicate_incident_id"]]
    },
    "POST v1/team/<str:team_id>/schedule": lambda ids: {**_schedule_body(ids), "week_days": [1]},
    "PUT v1/team/<str:team_id>/schedule": lambda ids: {
        **_schedule_body(ids),
        **_entry_key(ids),
        "week_days": [2],
    },
    "DELETE v1/team/<str:team_id>/schedule": _entry_key,
    "POST v1/team/<str:team_id>/override": _override_body,
    "POST v1/team/<str:team_id>/overrides": _override_body,
    "POST v1/team/<str:team_id>/calendar-feed": lambda ids: {
        "team_member_id": ids["team_member_id"]
    },
    "POST v1/team/<str:team_id>/calendar-feeds": lambda ids: {
        "team_member_id": ids["team_member_id"]
    },
    "POST v1/team/<str:team_id>/rotation": _rotation_body,
    "POST v1/team/<str:team_id>/rotations": _rotation_body,
    "PUT v1/rotation/<str:rotation_id>": _rotation_body,
    "POST v1/team/<str:team_id>/cover-request": _cover_body,
    "POST v1/team/<str:team_id>/cover-requests": _cover_body,
    "POST v1/cover-request/<str:cover_id>/take": _NONE,
    "POST v1/team/<str:team_id>/layer-import": _layer_body,
    "POST v1/user/contact-method": lambda ids: {"type": "email", "target": "pager@example.test"},
    "PUT v1/user/contact-method/<str:contact_method_id>": lambda ids: {"label": "Phone"},
    "POST v1/user/contact-method/<str:contact_method_id>/verify": lambda ids: {"code": "123456"},
    "POST v1/user/contact-method/<str:contact_method_id>/verification": _NONE,
    "PUT v1/user/notification-rules": _rules_body,
    "POST v1/user/test-page": _NONE,
    "POST v1/team/<str:team_id>/chat-channel": lambda ids: {
        "target": "ntfy://ntfy.example.com/dev",
        "label": "#dev",
    },
    "POST v1/team/<str:team_id>/chat-channels": lambda ids: {
        "target": "ntfy://ntfy.example.com/dev",
        "label": "#dev",
    },
    "POST v1/team/<str:team_id>/escalation-policy": _policy_body,
    "POST v1/team/<str:team_id>/escalation-policies": _policy_body,
    "PUT v1/escalation-policy/<str:policy_id>": _policy_body,
    "POST v1/notification-channel": lambda ids: {"type": "email", "target": "ops@example.test"},
    "PUT v1/notification-channel/<str:channel_id>": lambda ids: {"target": "ops@example.test"},
    "POST v1/maintenance-window": _window_body,
    "PUT v1/maintenance-window/<str:window_id>": _window_body,
    "POST v1/status-page": lambda ids: {"name": "Status"},
    "PUT v1/status-page/<str:status_page_id>": lambda ids: {"name": "Status"},
    "POST v1/status-page/<str:status_page_id>/component": lambda ids: {"name": "Web"},
    "PUT v1/status-page/<str:status_page_id>/component/<str:component_id>": lambda ids: {
        "name": "Web",
        "public_name": "Website",
    },
    "PUT v1/user/<str:user_id>": lambda ids: {"role": "admin"},
}


def at_once(*works: Callable[[], object], times: int = 2) -> list:
    """Results of ``works``, each run by its own thread, the threads released together and each
    closing its own database connection: periodic checks, ticks or requests racing for the same
    rows. A single work is run by ``times`` threads."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if len(works) == 1:
        works *= times
    start = threading.Barrier(len(works))

    def run(work):
        try:
            start.wait(timeout=10)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))
