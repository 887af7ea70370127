"""An incident still triggered after the team's delay re-notifies, until acknowledged."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident
from notifications.tasks import escalate, escalate_due
from notifications.tests.test_routing import on_call_always, open_incident, timeline
from pinghome.testing import make_persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalating_team(owner, teammate):
    owner.team.renotify_after_minutes = 10
    owner.team.save()
    on_call_always(owner, teammate.member)
    return owner


def run_due(minutes_later: int) -> int:
    Incident.objects.filter(next_escalation_at__isnull=False).update(
        next_escalation_at=timezone.now() - timedelta(minutes=minutes_later)
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return escalate_due.delay().get()


def test_a_triggered_incident_renotifies_on_call_after_the_delay(escalating_team, mailoutbox):
    owner = escalating_team
    incident_id = open_incident(owner)
    incident = Incident.objects.get(pk=incident_id)
    assert incident.next_escalation_at - incident.created_at == pytest.approx(
        timedelta(minutes=10), abs=timedelta(seconds=5)
    )
    assert len(mailoutbox) == 1

    assert run_due(1) == 1
    assert len(mailoutbox) == 2
    [entry] = timeline(owner, incident_id, "escalated")
    assert entry["data"] == {"step": 1}


def test_escalation_stops_the_moment_the_incident_is_acknowledged(escalating_team, mailoutbox):
    owner = escalating_team
    incident_id = open_incident(owner)
    token = str(Incident.objects.get(pk=incident_id).escalation_token)
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner.api.put(
            f"/v1/incident/{incident_id}",
            {"name": "DB down", "description": "", "urgency": "high", "status": "acknowledged"},
        )

    assert run_due(1) == 0
    assert escalate.delay(incident_id, token).get() is False, "a stale scheduled step does nothing"
    assert len(mailoutbox) == 1
    assert timeline(owner, incident_id, "escalated") == []


def test_escalation_is_bounded_and_reaches_the_fallback_team(escalating_team, mailoutbox, settings):
    owner = escalating_team
    settings.ESCALATION_MAX_STEPS = 2
    fallback = make_persona("Acme", "DBA", "dba@acme.test")
    on_call_always(fallback, fallback.member)
    owner.team.fallback_team = fallback.team
    owner.team.save()
    incident_id = open_incident(owner)

    assert run_due(1) == 1
    assert run_due(1) == 1
    assert run_due(1) == 0
    assert len(timeline(owner, incident_id, "escalated")) == 2
    assert sorted(m.to[0] for m in mailoutbox) == [
        "dba@acme.test",
        "dba@acme.test",
        "mate@acme.test",
        "mate@acme.test",
        "mate@acme.test",
    ]


def test_teams_without_a_delay_never_escalate(owner, teammate, mailoutbox):
    on_call_always(owner, teammate.member)
    incident_id = open_incident(owner)
    assert Incident.objects.get(pk=incident_id).next_escalation_at is None
    assert run_due(100) == 0
