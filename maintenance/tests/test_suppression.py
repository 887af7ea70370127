"""Maintenance windows at work: events suppressed while one is active, what still fails opened
once it ends, heartbeats held back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from maintenance import services
from maintenance.tests.test_api_maintenance_windows import body, iso
from pinghome.testing import at_once
from rulesets import evaluation, heartbeats
from rulesets.models import DedupState
from rulesets.tests.pipeline import create_ruleset, create_webhook
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

DOWN = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}]


class Flow:
    """Events of one webhook received at chosen instants, evaluated as they come."""

    def __init__(self, persona, start: datetime | None = None):
        self.persona = persona
        self.webhook = create_webhook(persona)
        self.t0 = start or timezone.now()

    def at(self, seconds: float) -> datetime:
        return self.t0 + timedelta(seconds=seconds)

    def window(self, start: float, end: float, **fields) -> str:
        response = self.persona.api.post(
            "/v1/maintenance-window",
            body(start=iso(self.at(start)), end=iso(self.at(end)), **fields),
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def event(self, seconds: float, **document) -> dict:
        """The outcome of the (only) ruleset for an event received at ``seconds``."""
        import json

        event = WebhookEvent.objects.create(
            webhook_id=self.webhook,
            body=json.dumps(document).encode(),
            content_type="application/json",
            received_at=self.at(seconds),
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            [outcome] = evaluation.evaluate_events([str(event.pk)])[str(event.pk)]
        return outcome

    def ended(self, seconds: float) -> int:
        """The periodic job, run at ``seconds``."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            return services.open_still_failing(self.at(seconds))


def open_incidents() -> list[str]:
    return sorted(Incident.objects.exclude(status="resolved").values_list("dedup_key", flat=True))


def state_change(flow, **fields) -> str:
    return create_ruleset(
        flow.persona,
        rule_type="state-change",
        conditions=DOWN,
        dedup_key="service",
        webhook_ids=[flow.webhook],
        **fields,
    )


def test_a_window_starting_and_ending_while_events_flow(owner):
    flow = Flow(owner)
    state_change(flow)
    window = flow.window(10, 20)

    assert flow.event(1, service="db", status="down")["outcome"] == "opened"
    assert flow.event(2, service="db", status="up")["outcome"] == "resolved"
    suppressed = flow.event(11, service="api", status="down")
    assert suppressed["outcome"] == "suppressed"
    assert suppressed["maintenance_window_id"] == window
    assert "incident_id" not in suppressed
    assert flow.event(12, service="db", status="down")["outcome"] == "suppressed"
    assert flow.event(13, service="db", status="up")["outcome"] == "no-open-incident"
    assert flow.event(14, service="web", status="down")["outcome"] == "suppressed"
    assert open_incidents() == []

    assert flow.ended(15) == 0  # still active
    assert flow.event(21, service="web", status="up")["outcome"] == "no-open-incident"
    assert flow.ended(21) == 1  # api still fails; db and web recovered
    assert flow.ended(22) == 0  # once

    assert open_incidents() == ["api"]
    incident = Incident.objects.get(dedup_key="api")
    entry = TimelineEntry.objects.get(incident=incident, kind="created")
    assert "once maintenance ended" in entry.message
    assert entry.data["maintenance_window_id"] == window
    assert incident.event_count == 1  # the suppressed event that still says failing
    kinds = TimelineEntry.objects.filter(incident=incident).values_list("kind", flat=True)
    assert "escalated" in kinds  # paged now (its policy's step 1), not during the window
    assert flow.event(23, service="mail", status="down")["outcome"] == "opened"


def test_the_events_api_says_which_window_suppressed_an_event(owner):
    flow = Flow(owner)
    state_change(flow)
    window = flow.window(-60, 60)
    flow.event(0, service="api", status="down")

    [event] = owner.api.get(f"/v1/webhook/{flow.webhook}/events").json()

    [outcome] = event["evaluation"]["rulesets"]
    assert (outcome["outcome"], outcome["maintenance_window_id"]) == ("suppressed", window)


def test_an_event_is_judged_by_when_it_was_received_not_when_it_is_evaluated(owner):
    flow = Flow(owner, start=timezone.now() - timedelta(hours=2))
    state_change(flow)
    flow.window(0, 60)  # ended long ago

    assert flow.event(30, service="api", status="down")["outcome"] == "suppressed"
    assert flow.event(90, service="db", status="down")["outcome"] == "opened"


@pytest.mark.parametrize("scope", ["webhook_ids", "ruleset_ids", "team_ids"])
def test_a_window_covers_its_webhooks_rulesets_and_teams_only(owner, scope):
    flow = Flow(owner)
    ruleset = state_change(flow)
    ids = {"webhook_ids": flow.webhook, "ruleset_ids": ruleset, "team_ids": str(owner.team.pk)}
    flow.window(-60, 60, **{scope: [ids[scope]]})

    assert flow.event(0, service="api", status="down")["outcome"] == "suppressed"


def test_a_window_of_another_scope_or_organization_suppresses_nothing(owner, outsider):
    flow = Flow(owner)
    state_change(flow)
    other_webhook = create_webhook(owner, "other")
    flow.window(-60, 60, webhook_ids=[other_webhook])
    theirs = Flow(outsider)
    theirs.window(-60, 60)  # the whole of another organization

    assert flow.event(0, service="api", status="down")["outcome"] == "opened"


def test_a_weekly_window_suppresses_only_within_its_local_times(owner):
    # Tuesday 2030-03-05 20:00 UTC is 21:00 in Berlin.
    flow = Flow(owner, start=datetime(2030, 3, 5, 20, 0, tzinfo=UTC))
    state_change(flow)
    recurrence = {
        "week_days": [2],
        "start_time": "22:00",
        "end_time": "02:00",
        "time_zone": "Europe/Berlin",
    }
    flow.window(-86_400, 30 * 86_400, recurrence=recurrence)

    assert flow.event(0, service="a", status="down")["outcome"] == "opened"  # 21:00 Tue
    assert flow.event(2 * 3600, service="b", status="down")["outcome"] == "suppressed"  # 23:00
    assert flow.event(5 * 3600, service="c", status="down")["outcome"] == "suppressed"  # 02:00
    assert flow.event(6 * 3600, service="d", status="down")["outcome"] == "opened"  # 03:00 Wed
    assert flow.ended(6 * 3600) == 2  # b and c: this week's time is over
    assert flow.event(7 * 86_400 + 2 * 3600, service="e", status="down")["outcome"] == (
        "suppressed"  # the next Tuesday
    )
    assert flow.ended(7 * 86_400 + 3 * 3600) == 0
    assert open_incidents() == ["a", "b", "c", "d"]


def test_a_one_shot_webhook_rule_stays_silenced_after_the_window(owner):
    flow = Flow(owner)
    create_ruleset(owner, conditions=DOWN, webhook_ids=[flow.webhook])  # no resolve conditions
    flow.window(0, 10)

    assert flow.event(5, status="down")["outcome"] == "suppressed"
    assert flow.ended(11) == 0
    assert open_incidents() == []


def test_a_webhook_rule_with_resolve_conditions_opens_what_never_resolved(owner):
    flow = Flow(owner)
    create_ruleset(
        owner,
        conditions=DOWN,
        resolve_conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["up"]}
        ],
        webhook_ids=[flow.webhook],
    )
    flow.window(0, 10)

    assert flow.event(5, status="down")["outcome"] == "suppressed"
    assert flow.ended(11) == 1


def test_deleting_an_active_window_opens_what_still_fails(owner):
    flow = Flow(owner)
    state_change(flow)
    window = flow.window(-60, 600)
    flow.event(0, service="api", status="down")

    owner.api.delete(f"/v1/maintenance-window/{window}")

    assert flow.ended(1) == 1
    assert open_incidents() == ["api"]


def test_overlapping_windows_open_once_the_last_one_ends(owner):
    flow = Flow(owner)
    state_change(flow)
    flow.window(0, 10)
    later = flow.window(5, 20, team_ids=[str(owner.team.pk)])
    flow.event(6, service="api", status="down")

    assert flow.ended(11) == 0
    assert DedupState.objects.get(dedup_key="api").suppressed_by.hex == later.replace("-", "")
    assert flow.ended(21) == 1


def test_a_ruleset_changed_since_no_longer_opens_a_key_its_last_event_does_not_match(owner):
    flow = Flow(owner)
    ruleset = state_change(flow)
    flow.window(0, 10)
    flow.event(5, service="api", status="down")
    owner.api.put(
        f"/v1/ruleset/{ruleset}",
        {
            "rule_type": "state-change",
            "level": "team",
            "team_id": str(owner.team.pk),
            "name": "Rule",
            "description": "",
            "urgency": "high",
            "conditions": [{**DOWN[0], "values": ["critical"]}],
        },
        format="json",
    )

    assert flow.ended(11) == 0
    assert not DedupState.objects.filter(suppressed_by__isnull=False).exists()


def test_a_heartbeat_is_held_back_during_a_window_and_opens_after_if_still_silent(owner):
    response = owner.api.post(
        "/v1/webhook",
        {"name": "wd", "team_id": str(owner.team.pk), "expect_every_seconds": 60},
        format="json",
    )
    webhook = response.json()["id"]
    now = timezone.now()
    owner.api.post(
        "/v1/maintenance-window",
        body(start=iso(now), end=iso(now + timedelta(seconds=300)), webhook_ids=[webhook]),
        format="json",
    )

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert heartbeats.check(now + timedelta(seconds=120)) == 0
        assert heartbeats.check(now + timedelta(seconds=301)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_periodic_runs_at_once_open_what_still_fails_once(owner):
    flow = Flow(owner)
    state_change(flow)
    flow.window(0, 10)
    for n in range(6):
        flow.event(1 + n, service=f"s{n}", status="down")
    opened = at_once(lambda: services.open_still_failing(flow.at(11)))

    assert sum(opened) == 6
    assert Incident.objects.count() == 6
