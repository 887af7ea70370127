"""Never a 500 for anything a client sends: every authenticated POST/PUT route, any JSON."""

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- strategies

# Lone surrogates cannot be UTF-8 encoded; sent as "\ud800" escapes they are valid JSON text.
surrogates = st.characters(categories=["Cs"])
interesting_strings = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e400",
        "NaN",
        "null",
        "24:00",
        "23:59:59",
        "9:00",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00+02:00",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+14:00",
        "Europe/Paris",
        "Mars/Base",
        "../../etc/passwd",
        "team",
        "team_member",
        "organization",
        "webhook",
        "state-change",
        "trigger-alerts",
        "json-check",
        "header-check",
        "regex",
        "(",
        "a" * 600,
        "x\u0000y",
        str(uuid.UUID(int=0)),
        "🔥" * 3,
    ]
)
hostile_characters = st.one_of(
    surrogates,
    st.sampled_from(["\x00", "\u202e", "\u0301", "\ufeff", "\uffff", "\U0010ffff", "🔥", " "]),
    st.characters(),
)
strings = st.one_of(
    st.text(max_size=20),
    interesting_strings,
    st.text(alphabet=st.one_of(st.characters(), surrogates), min_size=1, max_size=5),
)
integers = st.one_of(
    st.integers(min_value=-10, max_value=13),
    st.integers(),
    st.sampled_from([2**31, 2**63, -(2**63) - 1, 2**64, 10**100]),
    # Large, but below CPython's 4300-digit int/str conversion limit (tested separately).
    st.integers(min_value=-(10**4000), max_value=10**4000),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    strings,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(strings, children, max_size=5),
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every node below ``value`` (dict keys and list indexes)."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    paths = []
    for key, item in items:
        paths.append((*prefix, key))
        paths.extend(_paths(item, (*prefix, key)))
    return paths


@st.composite
def mutated(draw, valid: Any) -> Any:
    """``valid`` with one to three nodes replaced by arbitrary JSON, dropped, or added.

    Mostly-valid payloads get past the first field check, to the deeper validation, the
    services and the database, where 500s hide.
    """
    value = copy.deepcopy(valid)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(value)
        if not paths:
            return draw(json_values)
        *parents, last = draw(st.sampled_from(paths))
        parent = value
        for key in parents:
            parent = parent[key]
        node = parent[last]
        action = draw(st.sampled_from(["replace", "perturb", "perturb", "drop", "add"]))
        if action == "perturb" and isinstance(node, str):
            at = draw(st.integers(min_value=0, max_value=len(node)))
            parent[last] = node[:at] + draw(hostile_characters) + node[at:]
        elif action in ("replace", "perturb"):
            parent[last] = draw(st.one_of(strings, json_values))
        elif action == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(strings)] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return value


def encode(value: Any) -> bytes:
    # ensure_ascii: surrogates become \ud800 escapes, as a hostile client would send them.
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def malformed(raw: bytes) -> bool:
    try:
        json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return True
    return False


malformed_bodies = st.one_of(
    st.binary(min_size=1, max_size=200),
    st.binary(max_size=50).map(lambda tail: b'{"name": "' + tail),
    st.text(max_size=50).map(lambda tail: ("{" + tail).encode()),
).filter(malformed)


# --------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    valid: Callable[[dict], dict]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def ruleset_body(ctx: dict) -> dict:
    condition = {"type": "json-check", "key": "products[0].count", "operator": "equal"}
    return {
        "rule_type": "webhook",
        "conditions": [{**condition, "values": ["10"]}],
        "level": "team",
        "team_id": ctx["team_id"],
        "name": "CPU",
        "description": "CPU high",
        "urgency": "medium",
        "assignees": [{"type": "team", "id": ctx["team_id"]}],
        "webhook_ids": [ctx["webhook_id"]],
        "dedup_key": "alarm.name",
        "resolve_conditions": [{**condition, "values": ["0"]}],
        "enabled": True,
        "incident_name": "CPU on {{ host }}",
        "auto_resolve_after_seconds": 3600,
    }


def ruleset_test_body(ctx: dict) -> dict:
    return {
        "ruleset": ruleset_body(ctx),
        "payload": {"products": [{"count": 10}], "alarm": {"name": "cpu"}},
        "headers": {"X-Source": "cloudwatch"},
        "content_type": "application/json",
    }


def actions(ctx: dict) -> list[dict]:
    setting = {"status_page_id": ctx["status_page_id"], "component_id": ctx["component_id"]}
    return [{"id": "", "type": "trigger-alerts", "settings": [{"id": "", **setting}]}]


def incident_body(ctx: dict) -> dict:
    return {
        "name": "Database down",
        "description": "db-1",
        "urgency": "high",
        "assignees": [{"type": "team_member", "id": ctx["member_id"]}],
        "actions": actions(ctx),
        "escalation_policy_id": ctx["policy_id"],
    }


def schedule_body(ctx: dict) -> dict:
    return {
        "team_member_id": ctx["member_id"],
        "start_date": "2024-01-01T00:00:00Z",
        "end_date": "2024-01-31T23:59:59Z",
        "months_of_year": [1],
        "weeks_of_month": [1],
        "week_days": [1],
        "start_time": "00:00:00",
        "end_time": "23:59:59",
        "time_zone": "Europe/Paris",
    }


def policy_body(ctx: dict) -> dict:
    on_call = {"type": "oncall", "id": ctx["team_id"]}
    return {
        "name": "Lead after 10 minutes",
        "repeat": 2,
        "steps": [
            {"delay_minutes": 0, "targets": [on_call]},
            {"delay_minutes": 10, "targets": [{"type": "user", "id": ctx["user_id"]}, on_call]},
        ],
    }


def maintenance_window_body(ctx: dict) -> dict:
    return {
        "reason": "Database upgrade",
        "start": "2030-03-05T22:00:00Z",
        "end": "2030-03-06T02:00:00+02:00",
        "recurrence": {
            "week_days": [2],
            "start_time": "22:00",
            "end_time": "02:00:00",
            "time_zone": "Europe/Berlin",
        },
        "webhook_ids": [ctx["webhook_id"]],
        "ruleset_ids": [ctx["ruleset_id"]],
        "team_ids": [ctx["team_id"]],
    }


ROUTES = [
    Route("POST", "/v1/ruleset", ruleset_body),
    Route("PUT", "/v1/ruleset/{ruleset_id}", ruleset_body),
    Route("PUT", "/v1/ruleset/{ruleset_id}/actions", lambda ctx: {"actions": actions(ctx)}),
    Route("POST", "/v1/ruleset/test", lambda ctx: ruleset_test_body(ctx)),
    Route("POST", "/v1/ruleset/{ruleset_id}/test", lambda ctx: ruleset_test_body(ctx)),
    Route("POST", "/v1/team/{team_id}/incident", incident_body),
    Route(
        "PUT",
        "/v1/incident/{incident_id}",
        lambda ctx: {**incident_body(ctx), "status": "acknowledged"},
    ),
    Route("POST", "/v1/incident/{incident_id}/snooze", lambda ctx: {"minutes": 15}),
    Route("POST", "/v1/incident/{incident_id}/note", lambda ctx: {"text": "Rolled back."}),
    Route(
        "POST",
        "/v1/incident/{incident_id}/merge",
        lambda ctx: {"incident_ids": [ctx["duplicate_id"]]},
    ),
    Route(
        "POST",
        "/v1/webhook",
        lambda ctx: {
            "name": "Alarms",
            "description": "d",
            "team_id": ctx["team_id"],
            "max_events_per_minute": 600,
        },
    ),
    Route(
        "PUT",
        "/v1/webhook/{webhook_id}",
        lambda ctx: {
            "name": "Alarms",
            "team_id": ctx["team_id"],
            "expect_every_seconds": 60,
            "grace_seconds": 30,
            "heartbeat_paused": False,
            "max_events_per_minute": 600,
        },
    ),
    Route("POST", "/v1/maintenance-window", maintenance_window_body),
    Route("PUT", "/v1/maintenance-window/{maintenance_window_id}", maintenance_window_body),
    Route("POST", "/v1/status-page", lambda ctx: {"name": "Public"}),
    Route("POST", "/v1/status-page/{status_page_id}/component", lambda ctx: {"name": "API"}),
    Route("POST", "/v1/webhook/{webhook_id}/rotate", lambda ctx: {"grace_seconds": 60}),
    Route("PUT", "/v1/status-page/{status_page_id}", lambda ctx: {"name": "Status"}),
    Route(
        "PUT",
        "/v1/status-page/{status_page_id}/component/{component_id}",
        lambda ctx: {
            "name": "Web",
            "public_name": "Website",
            "description": "Pages",
            "manual_status": "degraded",
        },
    ),
    Route(
        "POST",
        "/v1/status-page/{status_page_id}/notice",
        lambda ctx: {
            "title": "Slow",
            "status": "investigating",
            "message": "Looking.",
            "component_ids": [ctx["component_id"]],
            "incident_id": ctx["incident_id"],
        },
    ),
    Route(
        "POST",
        "/v1/status-page/{status_page_id}/notice/{notice_id}/update",
        lambda ctx: {"status": "monitoring", "message": "A fix is out."},
    ),
    Route(
        "PUT",
        "/v1/user/contact-method/{contact_method_id}",
        lambda ctx: {"label": "Phone", "enabled": False, "target": "me@acme.test"},
    ),
    Route("POST", "/v1/team/{team_id}/schedule", schedule_body),
    Route(
        "PUT",
        "/v1/team/{team_id}/schedule",
        lambda ctx: {**schedule_body(ctx), "created_at": ctx["schedule_created_at"]},
    ),
    Route(
        "PUT",
        "/v1/team/{team_id}",
        lambda ctx: {"time_zone": "Europe/Berlin", "escalation_policy_id": ctx["policy_id"]},
    ),
    Route(
        "POST",
        "/v1/team/{team_id}/override",
        lambda ctx: {
            "team_member_id": ctx["member_id"],
            "start": "2025-01-01T00:00:00Z",
            "end": "2025-01-02T00:00:00Z",
        },
    ),
    Route(
        "POST",
        "/v1/team/{team_id}/calendar-feed",
        lambda ctx: {"team_member_id": ctx["member_id"]},
    ),
    Route("POST", "/v1/team/{team_id}/escalation-policy", lambda ctx: policy_body(ctx)),
    Route("PUT", "/v1/escalation-policy/{policy_id}", lambda ctx: policy_body(ctx)),
    Route(
        "POST",
        "/v1/notification-channel",
        lambda ctx: {"type": "webhook", "target": "https://hooks.example.com/x"},
    ),
    Route("POST", "/v1/team", lambda ctx: {"name": "Payments", "time_zone": "Europe/Paris"}),
    Route(
        "POST",
        "/v1/team/{team_id}/member",
        lambda ctx: {"email": "new@acme.test", "role": "responder"},
    ),
    Route("PUT", "/v1/team/{team_id}/member/{member_id}", lambda ctx: {"role": "manager"}),
    Route("PUT", "/v1/user/{user_id}", lambda ctx: {"role": "admin"}),
    Route(
        "POST",
        "/v1/user/contact-method",
        lambda ctx: {"type": "email", "target": "pager@acme.test", "label": "Pager"},
    ),
    Route(
        "PUT",
        "/v1/user/notification-rules",
        lambda ctx: {
            "rules": [
                {
                    "urgency": "high",
                    "contact_method_id": ctx["contact_method_id"],
                    "delay_minutes": 2,
                }
            ]
        },
    ),
    Route(
        "POST",
        "/v1/team/{team_id}/chat-channel",
        lambda ctx: {
            "target": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
            "label": "#ops",
        },
    ),
    Route(
        "POST",
        "/v1/token",
        lambda ctx: {"name": "ci", "scopes": ["read"], "expires_at": "2099-01-01T00:00:00Z"},
    ),
]


@pytest.fixture
def ctx(owner) -> dict:
    """Ids of one object of every kind, created through the API as a client would."""

    def create(path: str, body: dict) -> dict:
        response = owner.api.post(path, body)
        assert response.status_code == 201, (path, response.json())
        return response.json()

    ctx = {
        "team_id": str(owner.team.id),
        "member_id": str(owner.member.id),
        "user_id": str(owner.user.id),
    }
    ctx["policy_id"] = create(f"/v1/team/{ctx['team_id']}/escalation-policy", policy_body(ctx))[
        "id"
    ]
    ctx["webhook_id"] = create("/v1/webhook", {"name": "Alarms"})["id"]
    ctx["status_page_id"] = create("/v1/status-page", {"name": "Public"})["id"]
    ctx["component_id"] = create(
        f"/v1/status-page/{ctx['status_page_id']}/component", {"name": "API"}
    )["id"]
    ctx["ruleset_id"] = create("/v1/ruleset", ruleset_body(ctx))["id"]
    ctx["incident_id"] = create(f"/v1/team/{ctx['team_id']}/incident", incident_body(ctx))["id"]
    ctx["duplicate_id"] = create(f"/v1/team/{ctx['team_id']}/incident", incident_body(ctx))["id"]
    ctx["notice_id"] = create(
        f"/v1/status-page/{ctx['status_page_id']}/notice",
        {"title": "Slow", "status": "investigating", "message": "Looking."},
    )["id"]
    ctx["maintenance_window_id"] = create("/v1/maintenance-window", maintenance_window_body(ctx))[
        "id"
    ]
    entry = create(f"/v1/team/{ctx['team_id']}/schedule", {**schedule_body(ctx), "week_days": [2]})
    ctx["schedule_created_at"] = entry["created_at"]
    ctx["contact_method_id"] = create(
        "/v1/user/contact-method", {"type": "email", "target": "me@acme.test"}
    )["id"]
    return ctx


def send(owner, route: Route, ctx: dict, raw: bytes):
    return owner.api.generic(
        route.method, route.path.format(**ctx), raw, content_type="application/json"
    )


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_the_valid_payload_of_each_route_is_accepted(owner, ctx, route):
    response = send(owner, route, ctx, encode(route.valid(ctx)))

    assert response.status_code in (200, 201), response.json()


@pytest.mark.parametrize("route", ROUTES, ids=str)
@PROPERTY
@given(data=st.data())
def test_arbitrary_json_never_causes_a_500(owner, ctx, route, data):
    # Mostly near-valid payloads (they reach the services and the database), some arbitrary.
    arbitrary = data.draw(st.integers(min_value=0, max_value=3), label="arbitrary") == 0
    value = data.draw(json_values if arbitrary else mutated(route.valid(ctx)), label="body")

    response = send(owner, route, ctx, encode(value))

    assert response.status_code < 500
    if response.status_code == 422:
        assert set(response.json()) == {"message", "errors"}
        assert response.json()["errors"]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@PROPERTY
@given(raw=malformed_bodies)
def test_malformed_json_bytes_are_422_naming_the_body(owner, ctx, route, raw):
    response = send(owner, route, ctx, raw)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]


HOSTILE_BODIES = {
    "int beyond 4300 digits": b'{"name": ' + b"9" * 5000 + b"}",
    "nested 100 deep": b"[" * 100 + b"]" * 100,
    "lone surrogate value": b'{"name": "\\ud800", "description": "x"}',
    "lone surrogate key": b'{"\\udfff": 1}',
    "NUL character": b'{"name": "a\\u0000b"}',
    "NaN": b'{"name": NaN}',
    "Infinity": b'{"week_days": [Infinity]}',
    "1e400": b'{"week_days": [1e400]}',
    "invalid UTF-8": b'{"name": "\xff"}',
    "UTF-16": '{"name": "x"}'.encode("utf-16"),
    "whitespace": b"  ",
}


@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_hostile_json_is_422_naming_the_body(owner, ctx, route, raw):
    response = send(owner, route, ctx, raw)

    assert response.status_code == 422
    assert response.json()["message"] == "Invalid request body."
    assert list(response.json()["errors"]) == ["body"]


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_lone_surrogate_deep_inside_a_valid_payload_is_422_not_a_500(owner, ctx, route):
    body = route.valid(ctx)
    key = sorted(body)[0]
    body[key] = {"nested": ["\ud800"]}

    response = send(owner, route, ctx, encode(body))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]
