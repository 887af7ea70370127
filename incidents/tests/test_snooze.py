"""Snooze: POST /v1/incident/{id}/snooze acknowledges an incident until a time, then the
periodic check triggers it again and its escalation starts from step 1 (time moved forward,
nothing sleeps)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AuditRecord
from escalation.tests.builders import create_policy, install_clock, tick
from incidents import services
from incidents.models import Incident
from incidents.tests.builders import open_incident as open_by_service
from notifications.tests.test_routing import on_call_always, open_incident, timeline
from pinghome.testing import UNKNOWN_ID, assert_invalid, assert_not_found, at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


def snooze(persona, incident_id, minutes):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return persona.api.post(
            f"/v1/incident/{incident_id}/snooze", {"minutes": minutes}, format="json"
        )


def wake() -> int:
    """One periodic check, with what it hands over after commit (eager)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.wake_snoozed()


def answer(persona, incident_id) -> dict:
    response = persona.api.get(f"/v1/incident/{incident_id}")
    assert response.status_code == 200, response.content
    return response.json()


def mails(mailoutbox) -> list[str]:
    sent = sorted(m.to[0] for m in mailoutbox)
    mailoutbox.clear()
    return sent


def test_snoozing_a_triggered_incident_acknowledges_it_until_its_wake_up_time(owner, teammate):
    incident_id = open_incident(owner)
    before = timezone.now()

    response = snooze(teammate, incident_id, 15)

    assert response.status_code == 200, response.content
    incident = answer(owner, incident_id)
    assert incident["status"] == "acknowledged"
    until = parse_datetime(incident["snoozed_until"])
    assert before + timedelta(minutes=15) <= until <= timezone.now() + timedelta(minutes=15)
    assert incident["snoozed_until"][:19] in response.json()["message"]
    assert [e["kind"] for e in timeline(owner, incident_id)][-2:] == ["acknowledged", "snoozed"]
    assert "for 15 min" in timeline(owner, incident_id, "snoozed")[0]["message"]
    record = AuditRecord.objects.get(object_type="incident", object_id=incident_id)
    assert record.actor == "mate@acme.test"
    assert record.before == {"status": "triggered", "snoozed_until": None}
    assert record.after["status"] == "acknowledged"


def test_snoozing_a_snoozed_incident_sets_its_new_wake_up_time(owner):
    incident_id = open_incident(owner)
    snooze(owner, incident_id, 240)

    assert snooze(owner, incident_id, 15).status_code == 200

    until = parse_datetime(answer(owner, incident_id)["snoozed_until"])
    assert until <= timezone.now() + timedelta(minutes=15)
    assert len(timeline(owner, incident_id, "acknowledged")) == 1
    assert len(timeline(owner, incident_id, "snoozed")) == 2


def test_resolving_a_snoozed_incident_ends_the_snooze(owner, clock):
    incident_id = open_incident(owner)
    snooze(owner, incident_id, 15)

    body = {"name": "DB down", "description": "", "urgency": "high", "status": "resolved"}
    assert owner.api.put(f"/v1/incident/{incident_id}", body, format="json").status_code == 200

    assert answer(owner, incident_id)["snoozed_until"] is None
    clock.advance(hours=1)
    assert wake() == 0
    assert answer(owner, incident_id)["status"] == "resolved"


def test_at_its_wake_up_time_the_incident_is_triggered_again_and_escalates_from_step_1(
    owner, teammate, clock, mailoutbox
):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(
        owner, (0, [("oncall", owner.team.id)]), (10, [("user", owner.user.id)])
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    assert mails(mailoutbox) == ["mate@acme.test"]
    snooze(teammate, incident_id, 60)
    assert answer(owner, incident_id)["escalation"]["state"] == "paused"

    clock.advance(minutes=59)
    assert wake() == 0
    assert tick() == 0
    assert answer(owner, incident_id)["status"] == "acknowledged"

    clock.advance(minutes=1, seconds=1)
    assert wake() == 1

    incident = answer(owner, incident_id)
    assert (incident["status"], incident["snoozed_until"], incident["acknowledged_at"]) == (
        "triggered",
        None,
        None,
    )
    escalation = incident["escalation"]
    assert (escalation["state"], escalation["cycle"], escalation["step"]) == ("running", 2, 1)
    assert mails(mailoutbox) == ["mate@acme.test"], "step 1 pages again at once"
    ended = timeline(owner, incident_id, "snooze-ended")
    assert len(ended) == 1 and "triggered again" in ended[0]["message"]
    clock.advance(minutes=10)
    assert tick() == 1
    assert mails(mailoutbox) == ["owner@acme.test"], "then step 2, its delay later"
    assert wake() == 0, "woken once"


@pytest.mark.django_db(transaction=True)
def test_two_periodic_checks_at_once_wake_each_incident_once(owner):
    incidents = [open_by_service(owner.team, owner.user, name=f"i{n}") for n in range(5)]
    for incident in incidents:
        services.snooze_incident(incident, by=owner.user, minutes=15)
    later = timezone.now() + timedelta(minutes=16)
    woken = sum(at_once(lambda: services.wake_snoozed(later)))

    assert woken == 5
    assert set(Incident.objects.values_list("status", flat=True)) == {"triggered"}
    for incident in incidents:
        assert incident.timeline.filter(kind="snooze-ended").count() == 1
        incident.refresh_from_db()
        assert incident.escalation_cycle == 2


def test_the_periodic_runner_wakes_snoozed_incidents(owner, settings):
    incident = open_by_service(owner.team, owner.user)
    services.snooze_incident(incident, by=owner.user, minutes=1)
    Incident.objects.filter(pk=incident.pk).update(
        snoozed_until=timezone.now() - timedelta(seconds=1)
    )
    assert settings.CELERY_BEAT_SCHEDULE["wake-snoozed-incidents"]["schedule"] <= 10

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("run_periodic", "--once")

    assert Incident.objects.get(pk=incident.pk).status == "triggered"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"minutes": "15"},
        {"minutes": 15.5},
        {"minutes": True},
        {"minutes": None},
        {"minutes": 0},
        {"minutes": -5},
        {"minutes": 7 * 24 * 60 + 1},
        {"minutes": 10**30},
    ],
)
def test_minutes_must_be_an_integer_from_1_to_a_week(owner, body):
    incident_id = open_incident(owner)

    response = owner.api.post(f"/v1/incident/{incident_id}/snooze", body, format="json")

    assert_invalid(response, "minutes")
    assert answer(owner, incident_id)["status"] == "triggered"


def test_a_resolved_incident_cannot_be_snoozed(owner):
    incident_id = open_incident(owner)
    owner.api.put(
        f"/v1/incident/{incident_id}",
        {"name": "DB down", "description": "", "urgency": "high", "status": "resolved"},
        format="json",
    )

    response = snooze(owner, incident_id, 15)

    assert response.status_code == 409
    assert "resolved" in response.json()["message"]
    assert answer(owner, incident_id)["snoozed_until"] is None


def test_another_organizations_incident_or_an_unknown_one_is_404(owner, outsider):
    incident_id = open_incident(owner)

    assert_not_found(snooze(outsider, incident_id, 15))
    assert_not_found(snooze(owner, UNKNOWN_ID, 15))
    assert answer(owner, incident_id)["status"] == "triggered"


def test_a_read_only_token_cannot_snooze(owner):
    from pinghome.testing import client_with_scopes

    incident_id = open_incident(owner)

    response = client_with_scopes(owner.user, ["read"]).post(
        f"/v1/incident/{incident_id}/snooze", {"minutes": 15}, format="json"
    )

    assert response.status_code == 403
    assert answer(owner, incident_id)["status"] == "triggered"
