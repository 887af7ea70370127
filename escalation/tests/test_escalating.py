"""Incidents follow their escalation policy: step after step with time moved forward (nothing
sleeps), stopping on acknowledge, repeating, escalated by hand, restarted."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from escalation import services
from escalation.models import EscalationPolicy, PagedUser
from escalation.tests.builders import create_policy, tick
from incidents.models import Incident
from notifications.tests.test_routing import on_call_always, open_incident, timeline
from pinghome.testing import make_persona
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db


def mails(mailoutbox) -> list[str]:
    sent = sorted(m.to[0] for m in mailoutbox)
    mailoutbox.clear()
    return sent


def escalation(persona, incident_id) -> dict:
    return persona.api.get(f"/v1/incident/{incident_id}").json()["escalation"]


@pytest.fixture
def lead(owner):
    return make_persona("Acme", "Leads", "lead@acme.test")


def test_each_step_pages_its_targets_its_delay_after_the_previous_one(
    owner, teammate, lead, clock, mailoutbox
):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(
        owner,
        (0, [("oncall", owner.team.id)]),
        (10, [("user", lead.user.id)]),
        (5, [("team", owner.team.id)]),
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    assert mails(mailoutbox) == ["mate@acme.test"], "step 1 runs as the incident opens"
    state = escalation(owner, incident_id)
    assert (state["state"], state["cycle"], state["step"]) == ("running", 1, 1)
    opened = Incident.objects.get(pk=incident_id).created_at
    assert parse_datetime(state["next_step_at"]) - opened == pytest.approx(
        timedelta(minutes=10), abs=timedelta(seconds=2)
    )

    clock.advance(minutes=9, seconds=50)
    assert tick() == 0
    assert mails(mailoutbox) == []

    clock.advance(seconds=10)
    assert tick() == 1
    assert mails(mailoutbox) == ["lead@acme.test"]
    assert escalation(owner, incident_id)["step"] == 2

    clock.advance(minutes=5)
    assert tick() == 1
    assert mails(mailoutbox) == ["mate@acme.test", "owner@acme.test"]
    state = escalation(owner, incident_id)
    assert (state["state"], state["step"], state["next_step_at"]) == ("finished", 3, None)

    clock.advance(hours=5)
    assert tick() == 0
    steps = timeline(owner, incident_id, "escalated")
    assert [entry["data"]["step"] for entry in steps] == [1, 2, 3]
    assert steps[1]["message"] == "Escalation policy Chain, step 2 of 3: paged lead@acme.test"
    # Steps 2 and 3 (step 1, as the incident opened, needs no row: it runs once by construction).
    assert PagedUser.objects.filter(incident_id=incident_id).count() == 3


@pytest.mark.parametrize("status", ["acknowledged", "resolved"])
def test_acknowledging_or_resolving_stops_the_chain_at_once(
    owner, teammate, lead, clock, mailoutbox, status
):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(
        owner, (0, [("oncall", owner.team.id)]), (10, [("user", lead.user.id)]), repeat=3
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    mailoutbox.clear()
    clock.advance(minutes=2)
    body = {"name": "DB down", "description": "", "urgency": "high", "status": status}
    assert teammate.api.put(f"/v1/incident/{incident_id}", body).status_code == 200

    clock.advance(hours=3)
    assert tick() == 0
    assert mailoutbox == []
    state = escalation(owner, incident_id)
    assert state["state"] == ("paused" if status == "acknowledged" else "stopped")
    assert (state["step"], state["next_step_at"]) == (1, None)


def test_a_repeating_chain_starts_again_at_step_1_whose_delay_counts_from_the_last_step(
    owner, teammate, lead, clock, mailoutbox
):
    policy_id = create_policy(
        owner, (5, [("user", teammate.user.id)]), (10, [("user", lead.user.id)]), repeat=2
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    assert mails(mailoutbox) == [], "step 1 waits its 5 minutes"

    paged = []
    for _ in range(3):
        clock.advance(minutes=4)
        assert tick() == 0
        clock.advance(minutes=1)
        assert tick() == 1
        paged += mails(mailoutbox)
        clock.advance(minutes=10)
        assert tick() == 1
        paged += mails(mailoutbox)
    assert paged == ["mate@acme.test", "lead@acme.test"] * 3

    clock.advance(days=1)
    assert tick() == 0
    state = escalation(owner, incident_id)
    assert (state["state"], state["cycle"], state["repeats_left"]) == ("finished", 3, 0)
    messages = [e["message"] for e in timeline(owner, incident_id, "escalated")]
    assert messages[-1].startswith("Escalation policy Chain, step 2 of 2, repeat 2 of 2:")


def test_escalate_now_runs_the_next_step_and_the_following_one_keeps_its_delay(
    owner, teammate, lead, clock, mailoutbox, outsider
):
    policy_id = create_policy(
        owner,
        (0, [("user", teammate.user.id)]),
        (30, [("user", lead.user.id)]),
        (15, [("user", owner.user.id)]),
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    mailoutbox.clear()
    clock.advance(minutes=1)

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = teammate.api.post(f"/v1/incident/{incident_id}/escalate")
    assert response.status_code == 200, response.json()
    assert mails(mailoutbox) == ["lead@acme.test"]
    [entry] = [e for e in timeline(owner, incident_id, "escalated") if e["data"]["step"] == 2]
    assert entry["actor"] == "mate@acme.test"
    clock.advance(minutes=14)
    assert tick() == 0
    clock.advance(minutes=1)
    assert tick() == 1
    assert mails(mailoutbox) == ["owner@acme.test"]

    response = owner.api.post(f"/v1/incident/{incident_id}/escalate")
    assert response.status_code == 409
    assert "no step left" in response.json()["message"]
    assert outsider.api.post(f"/v1/incident/{incident_id}/escalate").status_code == 404


def test_an_acknowledged_incident_does_not_escalate_by_hand(owner, teammate):
    incident_id = open_incident(owner)
    body = {"name": "DB down", "description": "", "urgency": "high", "status": "acknowledged"}
    owner.api.put(f"/v1/incident/{incident_id}", body)
    response = teammate.api.post(f"/v1/incident/{incident_id}/escalate")
    assert response.status_code == 409
    assert "acknowledged" in response.json()["message"]


def test_an_incident_back_to_triggered_restarts_its_chain_from_step_1(
    owner, teammate, lead, clock, mailoutbox
):
    policy_id = create_policy(
        owner, (0, [("user", teammate.user.id)]), (10, [("user", lead.user.id)])
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    clock.advance(minutes=10)
    tick()
    mailoutbox.clear()
    incident = Incident.objects.get(pk=incident_id)

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.restart_escalation(incident) is True
    assert mails(mailoutbox) == ["mate@acme.test"]
    state = escalation(owner, incident_id)
    assert (state["state"], state["cycle"], state["step"]) == ("running", 2, 1)
    clock.advance(minutes=10)
    assert tick() == 1
    assert mails(mailoutbox) == ["lead@acme.test"], "paged again: a new cycle"

    Incident.objects.filter(pk=incident_id).update(status="acknowledged")
    assert services.restart_escalation(incident) is False


def test_an_incident_follows_its_own_policy_else_its_rulesets_else_its_teams_default(
    owner, teammate, lead, mailoutbox
):
    on_call_always(owner, teammate.member)
    default_id = str(EscalationPolicy.objects.get(team=owner.team, is_team_default=True).id)
    rule_policy = create_policy(owner, (0, [("user", lead.user.id)]), name="Rule's")
    own_policy = create_policy(owner, (0, [("user", owner.user.id)]), name="Own")
    webhook = create_webhook(owner)
    create_ruleset(owner, escalation_policy_id=rule_policy, dedup_key="k")

    send(webhook, {"k": "a"})
    by_hand = open_incident(owner)
    chosen = open_incident(owner, escalation_policy_id=own_policy)

    [ruled] = [
        i for i in owner.api.get(f"/v1/team/{owner.team.id}/incidents").json() if i["ruleset_id"]
    ]
    followed = {
        "rule": ruled["escalation_policy_id"],
        "hand": owner.api.get(f"/v1/incident/{by_hand}").json()["escalation_policy_id"],
        "own": owner.api.get(f"/v1/incident/{chosen}").json()["escalation_policy_id"],
    }
    assert followed == {"rule": rule_policy, "hand": default_id, "own": own_policy}
    assert mails(mailoutbox) == ["lead@acme.test", "mate@acme.test", "owner@acme.test"]


def test_an_incident_opened_by_a_rule_runs_step_1_in_its_evaluation(owner, teammate, mailoutbox):
    on_call_always(owner, teammate.member)
    create_ruleset(owner)
    send(create_webhook(owner), {"anything": True})

    assert mails(mailoutbox) == ["mate@acme.test"]
    [incident] = Incident.objects.all()
    assert (incident.escalation_cycle, incident.escalation_step) == (1, 1)
    assert incident.next_escalation_at is None, "On-call now has one step"
    [entry] = timeline(owner, incident.pk, "escalated")
    assert entry["actor"] == "system"
    assert entry["message"] == "Escalation policy On-call now, step 1 of 1: paged mate@acme.test"


def test_a_person_both_assigned_and_on_call_is_paged_once_as_the_incident_opens(
    owner, teammate, mailoutbox
):
    on_call_always(owner, teammate.member)
    open_incident(owner, assignees=[{"type": "team", "id": str(owner.team.id)}])
    assert mails(mailoutbox) == ["mate@acme.test"]


def test_a_step_with_a_delay_waits_for_the_tick(owner, teammate, clock, mailoutbox):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(owner, (3, [("oncall", owner.team.id)]))
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    assert mailoutbox == []
    assert escalation(owner, incident_id)["step"] == 0
    clock.advance(minutes=3)
    assert tick() == 1
    assert mails(mailoutbox) == ["mate@acme.test"]


def test_when_paging_in_the_evaluation_fails_the_tick_runs_step_1(
    owner, teammate, mailoutbox, monkeypatch, caplog
):
    on_call_always(owner, teammate.member)
    create_ruleset(owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}])
    real_open = services._open

    def fail(incidents, now):
        real_open(incidents, now)  # what it wrote goes with its savepoint
        raise OperationalError("connection lost")

    monkeypatch.setattr(services, "_open", fail)
    send(create_webhook(owner), {"anything": True})

    assert "handing them over" in caplog.text
    assert mails(mailoutbox) == ["owner@acme.test"], "the assignee, by the task"
    [incident] = Incident.objects.all()
    assert (incident.escalation_step, incident.event_count) == (0, 1)
    assert not PagedUser.objects.exists()
    assert tick() == 1
    assert mails(mailoutbox) == ["mate@acme.test"]
    assert len(timeline(owner, incident.pk, "escalated")) == 1


def test_changing_an_incidents_policy_restarts_its_chain_with_the_new_one(
    owner, teammate, lead, mailoutbox
):
    incident_id = open_incident(owner)
    policy_id = create_policy(owner, (0, [("user", lead.user.id)]), (10, [("user", owner.user.id)]))
    mailoutbox.clear()
    body = {
        "name": "DB down",
        "description": "primary gone",
        "urgency": "high",
        "escalation_policy_id": policy_id,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert teammate.api.put(f"/v1/incident/{incident_id}", body).status_code == 200
    assert mails(mailoutbox) == ["lead@acme.test"]
    read = owner.api.get(f"/v1/incident/{incident_id}").json()
    assert read["escalation_policy_id"] == policy_id
    assert (read["escalation"]["cycle"], read["escalation"]["step"]) == (2, 1)
    edits = [e["message"] for e in timeline(owner, incident_id, "edited")]
    assert edits == ["Now follows escalation policy Chain"]


def test_a_tick_runs_a_bounded_number_of_statements_whatever_the_number_due(owner, teammate, clock):
    on_call_always(owner, teammate.member)
    policy_id = create_policy(owner, (0, []), (1, [("oncall", owner.team.id)]))
    counts = []
    for n in (2, 20):
        for _ in range(n):
            open_incident(owner, escalation_policy_id=policy_id)
        clock.advance(minutes=1)
        with CaptureQueriesContext(connection) as queries:
            assert services.escalate_due() == n
        counts.append(len(queries))
    # Cold: policy, steps, team, schedule entries, rotations, imported shifts, overrides,
    # members; then warm. The pages: their rules, their delivery rows.
    assert counts[1] <= counts[0] <= 13


def test_a_chat_channel_target_is_posted_to_once_per_step(owner, teammate, clock, receiver):
    """The team's own channel, targeted by a step, hears of it once, not once as a target and
    once as the team's news."""
    channel = owner.api.post(
        f"/v1/team/{owner.team.id}/chat-channel",
        {"target": f"json://{receiver.address}/chat", "label": "#ops"},
    )
    assert channel.status_code == 201, channel.json()
    policy_id = create_policy(
        owner, (0, [("user", teammate.user.id)]), (5, [("channel", channel.json()["id"])])
    )
    incident_id = open_incident(owner, escalation_policy_id=policy_id)
    receiver.requests.clear()
    clock.advance(minutes=5)
    assert tick() == 1
    titles = [receiver.json(i)["title"] for i in range(len(receiver.requests))]
    assert titles == ["Escalated to step 2 of Chain: [high] DB down (Ops)"]
    [entry] = [e for e in timeline(owner, incident_id, "escalated") if e["data"]["step"] == 2]
    assert entry["data"]["channel_ids"] == [channel.json()["id"]]
    assert "posted to 1 chat channel(s); no one paged" in entry["message"]


def test_a_channel_step_run_as_the_incident_opens_posts_once(owner, receiver):
    channel = owner.api.post(
        f"/v1/team/{owner.team.id}/chat-channel",
        {"target": f"json://{receiver.address}/chat", "label": "#ops"},
    ).json()["id"]
    policy_id = create_policy(owner, (0, [("channel", channel)]))
    open_incident(owner, escalation_policy_id=policy_id)
    titles = [receiver.json(i)["title"] for i in range(len(receiver.requests))]
    assert titles == ["Opened: [high] DB down (Ops)"]
