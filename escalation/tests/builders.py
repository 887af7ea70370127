"""Builders for the escalation tests: policies through the API, time moved by hand, ticks."""

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from escalation.tasks import escalate_due


def policy_body(*steps: tuple[int, list[tuple[str, object]]], repeat: int = 0, name="Chain"):
    """``steps``: ``(delay_minutes, [(type, id), ...])`` each."""
    return {
        "name": name,
        "repeat": repeat,
        "steps": [
            {"delay_minutes": delay, "targets": [{"type": t, "id": str(i)} for t, i in targets]}
            for delay, targets in steps
        ],
    }


def create_policy(persona, *steps, repeat: int = 0, name: str = "Chain", team=None) -> str:
    team = team or persona.team
    response = persona.api.post(
        f"/v1/team/{team.id}/escalation-policy",
        policy_body(*steps, repeat=repeat, name=name),
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def tick() -> int:
    """One periodic escalation tick, with what it hands over after commit (eager)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return escalate_due.delay().get()


class Clock:
    """``django.utils.timezone.now`` moved forward by hand: nothing sleeps."""

    def __init__(self, real_now):
        self.real_now, self.offset = real_now, timedelta(0)

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)

    def now(self):
        return self.real_now() + self.offset


def install_clock(monkeypatch) -> Clock:
    clock = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock
