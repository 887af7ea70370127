"""Hostile or careless rulesets: bounded work per (event, ruleset), and no one else delayed."""

from rulesets.tests.builders import make_ruleset
from rulesets.tests.pipeline import create_webhook, incidents, send
from webhooks.models import WebhookEvent

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]


def outcomes_of(event_id: str) -> list[tuple[str, str]]:
    evaluation = WebhookEvent.objects.get(pk=event_id).evaluation
    return [(outcome["ruleset"], outcome["outcome"]) for outcome in evaluation["rulesets"]]


def test_a_stored_pattern_re2_refuses_is_an_error_of_its_ruleset_alone(owner):
    """Saved before patterns were RE2 (or written around the API): it never runs on Python's re."""
    webhook = create_webhook(owner)
    lookahead = [{"type": "json-check", "key": "msg", "operator": "regex", "values": ["(?=a)"]}]
    make_ruleset(owner.team, name="Old pattern", conditions=lookahead)
    make_ruleset(owner.team, name="Works", conditions=FIRING)

    event = send(webhook, {"status": "firing", "msg": "a"})

    assert outcomes_of(event) == [("Old pattern", "error"), ("Works", "opened")]
    detail = WebhookEvent.objects.get(pk=event).evaluation["rulesets"][0]["detail"]
    assert "invalid regex (RE2 syntax)" in detail
    assert [incident["name"] for incident in incidents(owner)] == ["Works"]
