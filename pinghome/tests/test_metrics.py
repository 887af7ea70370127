"""/metrics: refused unless METRICS_TOKEN or METRICS_ALLOWED_IPS allow it; what the pipeline
did, counted and read back through the Prometheus client's own parser."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client, TestCase
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from incidents import services
from notifications.tests.test_routing import open_incident
from rulesets.tests.pipeline import create_ruleset, create_webhook, send
from webhooks.models import Webhook, WebhookEvent

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def scrapable(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []


def scrape() -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics by (name, labels)."""
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples, name: str) -> float:
    return sum(number for (sample, _), number in samples.items() if sample == name)


def test_metrics_are_refused_when_neither_a_token_nor_addresses_are_set(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.json()["message"]


def test_metrics_need_the_token_as_bearer(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = TOKEN, []
    assert Client().get("/metrics").status_code == 403
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert wrong.status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_are_served_to_allowed_addresses_only(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.1.0.0/16", "192.0.2.7"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.2.0.1").get("/metrics").status_code == 403
    # A token is no use when none is set.
    assert (
        Client(REMOTE_ADDR="10.2.0.1").get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code
        == 403
    )


def test_metrics_are_get_only(scrapable):
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]
RESOLVED = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["resolved"]}]


def test_events_and_incidents_are_counted_by_webhook_team_and_urgency(owner, scrapable, settings):
    webhook = create_webhook(owner)
    create_ruleset(
        owner,
        urgency="critical",
        conditions=FIRING,
        resolve_conditions=RESOLVED,
        dedup_key="service",
        webhook_ids=[webhook],
    )
    team = str(owner.team.id)
    before = scrape()

    send(webhook, {"status": "firing", "service": "api"})
    send(webhook, {"status": "firing", "service": "db"})
    [db, api] = owner.api.get(f"/v1/team/{team}/incidents").json()
    with TestCase.captureOnCommitCallbacks(execute=True):
        acked = owner.api.put(
            f"/v1/incident/{api['id']}",
            {
                "name": api["name"],
                "description": "",
                "urgency": "critical",
                "status": "acknowledged",
            },
        )
    assert acked.status_code == 200, acked.content
    send(webhook, {"status": "resolved", "service": "api"})
    settings.WEBHOOK_MAX_BODY_BYTES = 10
    too_large = Client().post(
        f"/v1/incident/webhook/{webhook}", data=b'{"status": "firing"}', content_type="text/plain"
    )
    assert too_large.status_code == 413
    unknown = Client().post(
        f"/v1/incident/webhook/{owner.team.id}", data=b"{}", content_type="application/json"
    )
    assert unknown.status_code == 404  # no webhook's: not counted
    after = scrape()

    def added(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert added("pinghome_events_received_total", webhook=webhook) == 3
    assert added("pinghome_events_evaluated_total", webhook=webhook) == 3
    assert added("pinghome_events_rejected_total", webhook=webhook, reason="too_large") == 1
    assert total(after, "pinghome_events_rejected_total") == (
        total(before, "pinghome_events_rejected_total") + 1
    )
    opened = {"team": team, "urgency": "critical"}
    assert added("pinghome_incidents_opened_total", **opened) == 2
    assert added("pinghome_incidents_acknowledged_total", **opened) == 1
    assert added("pinghome_incidents_resolved_total", **opened) == 1
    assert added("pinghome_evaluation_latency_seconds_count") == 3
    assert added("pinghome_evaluation_latency_seconds_bucket", le="+Inf") == 3
    assert added("pinghome_evaluation_latency_seconds_sum") >= 0
    assert value(after, "pinghome_oldest_unevaluated_event_age_seconds") == 0


def test_events_over_a_webhooks_limit_are_counted_as_rate_limited(owner, scrapable, settings):
    settings.CACHE_URL = ""
    webhook = create_webhook(owner)
    limited = owner.api.put(f"/v1/webhook/{webhook}", {"max_events_per_minute": 1}, format="json")
    assert limited.status_code == 200, limited.content
    before = scrape()

    statuses = [
        Client()
        .post(f"/v1/incident/webhook/{webhook}", data=b"{}", content_type="application/json")
        .status_code
        for _ in range(3)
    ]
    after = scrape()

    assert statuses == [202, 429, 429]
    limited = {"webhook": webhook, "reason": "rate_limited"}
    assert value(after, "pinghome_events_rejected_total", **limited) == (
        value(before, "pinghome_events_rejected_total", **limited) + 2
    )
    assert total(after, "pinghome_events_rejected_total") == (
        total(before, "pinghome_events_rejected_total") + 2
    )
    assert Webhook.objects.get(pk=webhook).rejected_events == 2


def test_nothing_is_counted_for_what_is_rolled_back(owner, scrapable):
    before = scrape()
    with pytest.raises(RuntimeError), TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            services.create_incident(
                owner.team, by=owner.user, name="Gone", description="", urgency="low"
            )
            raise RuntimeError("rolled back")
    after = scrape()
    labels = {"team": str(owner.team.id), "urgency": "low"}
    assert value(after, "pinghome_incidents_opened_total", **labels) == value(
        before, "pinghome_incidents_opened_total", **labels
    )


def test_notifications_are_counted_by_channel_sent_or_failed(owner, scrapable, settings):
    before = scrape()
    open_incident(owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    open_incident(owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}])
    after = scrape()
    sent = value(after, "pinghome_notifications_sent_total", channel="email")
    failed = value(after, "pinghome_notifications_failed_total", channel="email")
    assert sent - value(before, "pinghome_notifications_sent_total", channel="email") == 1
    assert failed - value(before, "pinghome_notifications_failed_total", channel="email") == 1


def test_escalation_steps_are_counted(owner, scrapable):
    before = value(scrape(), "pinghome_escalation_steps_total")
    open_incident(owner)  # the team's default policy: step 1, its on-call, at once
    assert value(scrape(), "pinghome_escalation_steps_total") == before + 1


def test_the_oldest_unevaluated_event_is_measured_at_scrape_time(owner, scrapable):
    webhook = create_webhook(owner)
    WebhookEvent.objects.create(
        webhook_id=webhook, body=b"{}", received_at=timezone.now() - timedelta(minutes=5)
    )
    WebhookEvent.objects.create(
        webhook_id=webhook,
        body=b"{}",
        received_at=timezone.now() - timedelta(hours=2),
        evaluated_at=timezone.now(),
    )
    age = value(scrape(), "pinghome_oldest_unevaluated_event_age_seconds")
    assert 300 <= age < 3600


def test_heartbeats_overdue_are_counted_at_scrape_time_paused_ones_aside(owner, scrapable):
    def heartbeat(**fields):
        webhook = create_webhook(owner)
        body = {"team_id": str(owner.team.id), "expect_every_seconds": 60, **fields}
        assert owner.api.put(f"/v1/webhook/{webhook}", body).status_code == 200
        return webhook

    silent, paused, heard = heartbeat(), heartbeat(heartbeat_paused=True), heartbeat()
    Webhook.objects.filter(pk__in=[silent, paused, heard]).update(
        heartbeat_since=timezone.now() - timedelta(hours=1)
    )
    send(heard, {"status": "alive"})
    assert value(scrape(), "pinghome_heartbeats_overdue") == 1


def test_every_family_has_its_type(owner, scrapable):
    """Every family has its help and type: the parser reads it whole."""
    send(create_webhook(owner), json.dumps({"status": "firing"}).encode())
    families = {
        family.name: family.type
        for family in text_string_to_metric_families(
            Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
        )
    }
    assert families["pinghome_events_received"] == "counter"
    assert families["pinghome_evaluation_latency_seconds"] == "histogram"
    assert families["pinghome_heartbeats_overdue"] == "gauge"
