"""Builders for pipeline tests: rulesets written through the API, events POSTed to ingest."""

import json
from pathlib import Path

from django.test import Client

PAYLOADS = Path(__file__).resolve().parent / "payloads"


def payload(name: str) -> bytes:
    """A real sender's body (copied from the shared reference payloads)."""
    return (PAYLOADS / name).read_bytes()


def create_webhook(persona, name: str = "alerts") -> str:
    response = persona.api.post("/v1/webhook", {"name": name})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def create_ruleset(persona, **fields) -> str:
    body = {
        "rule_type": "webhook",
        "level": "team",
        "team_id": str(persona.team.id),
        "name": "Rule",
        "description": "",
        "urgency": "high",
        "conditions": [],
        **fields,
    }
    response = persona.api.post("/v1/ruleset", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def send(webhook_id: str, body: bytes | dict, *, content_type="application/json", **headers):
    """POST to ingest and run what is handed to Celery after commit (eager in tests)."""
    from django.test import TestCase

    data = json.dumps(body).encode() if isinstance(body, dict) else body
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post(
            f"/v1/incident/webhook/{webhook_id}", data=data, content_type=content_type, **headers
        )
    assert response.status_code == 202, response.content
    return response.json()["event_id"]


def incidents(persona, **query) -> list[dict]:
    response = persona.api.get(f"/v1/team/{persona.team.id}/incidents", query)
    assert response.status_code == 200, response.content
    return response.json()
