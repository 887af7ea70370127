"""Per-webhook ingest limits: max_events_per_minute, 429 with Retry-After and nothing stored
beyond it, refusals counted in rejected_events; exact under concurrency, open when Redis is down."""

import logging

import pytest
from django.test import Client

from pinghome.testing import assert_invalid, at_once
from pinghome.tests.test_rate_limits import cache_url
from webhooks.models import Webhook, WebhookEvent

pytestmark = pytest.mark.django_db

FIRING = b'{"status": "firing"}'


def create_webhook(persona, **fields) -> str:
    response = persona.api.post("/v1/webhook", {"name": "alerts", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def post(webhook_id, client=None):
    return (client or Client()).post(
        f"/v1/incident/webhook/{webhook_id}", data=FIRING, content_type="application/json"
    )


def answer(persona, webhook_id) -> dict:
    return persona.api.get(f"/v1/webhook/{webhook_id}").json()


def test_a_webhook_accepts_6000_events_a_minute_unless_told_otherwise(owner):
    webhook_id = create_webhook(owner)
    assert answer(owner, webhook_id)["max_events_per_minute"] == 6000
    assert answer(owner, webhook_id)["rejected_events"] == 0

    response = owner.api.put(
        f"/v1/webhook/{webhook_id}", {"max_events_per_minute": 120}, format="json"
    )

    assert response.status_code == 200
    assert answer(owner, webhook_id)["max_events_per_minute"] == 120
    assert create_webhook(owner, max_events_per_minute=10) != webhook_id


@pytest.mark.parametrize("value", [0, -1, "100", 10.5, True, None, 1_000_001])
def test_max_events_per_minute_must_be_an_integer_from_1_to_a_million(owner, value):
    webhook_id = create_webhook(owner)

    created = owner.api.post("/v1/webhook", {"max_events_per_minute": value}, format="json")
    updated = owner.api.put(
        f"/v1/webhook/{webhook_id}", {"max_events_per_minute": value}, format="json"
    )

    assert_invalid(created, "max_events_per_minute")
    assert_invalid(updated, "max_events_per_minute")
    assert answer(owner, webhook_id)["max_events_per_minute"] == 6000


def test_over_the_limit_is_a_429_with_retry_after_and_nothing_stored(owner, settings):
    settings.CACHE_URL = ""
    webhook_id = create_webhook(owner, max_events_per_minute=3)
    other_id = create_webhook(owner, max_events_per_minute=3)

    statuses = [post(webhook_id).status_code for _ in range(3)]
    refused = post(webhook_id)

    assert statuses == [202, 202, 202]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "max_events_per_minute" in refused.json()["message"]
    assert post(webhook_id).status_code == 429
    assert WebhookEvent.objects.filter(webhook_id=webhook_id).count() == 3
    assert answer(owner, webhook_id)["rejected_events"] == 2
    assert post(other_id).status_code == 202, "each webhook has its own limit"


def test_a_rotated_webhooks_urls_share_its_limit(owner, settings):
    settings.CACHE_URL = ""
    webhook_id = create_webhook(owner, max_events_per_minute=2)
    assert post(webhook_id).status_code == 202
    rotated = owner.api.post(f"/v1/webhook/{webhook_id}/rotate", {}, format="json").json()

    assert Client().post(
        rotated["url"], data=FIRING, content_type="application/json"
    ).status_code == (202)
    assert post(webhook_id).status_code == 429


def test_a_new_limit_applies_to_the_next_event(owner, settings):
    settings.CACHE_URL = ""
    webhook_id = create_webhook(owner, max_events_per_minute=1)
    assert [post(webhook_id).status_code for _ in range(2)] == [202, 429]

    owner.api.put(f"/v1/webhook/{webhook_id}", {"max_events_per_minute": 5}, format="json")

    assert post(webhook_id).status_code == 202


def test_the_webhook_page_shows_its_limit_and_its_refused_events_and_changes_the_limit(
    owner, client, settings
):
    settings.CACHE_URL = ""
    webhook_id = create_webhook(owner, max_events_per_minute=1)
    post(webhook_id), post(webhook_id)
    client.force_login(owner.user)

    page = client.get(f"/webhooks/{webhook_id}").content.decode()

    assert "Accepts 1 events a minute at most" in page
    assert '<span data-field="rejected-events">1</span>' in page
    saved = client.post(
        f"/webhooks/{webhook_id}/edit",
        {"name": "alerts", "description": "", "team": "", "max_events_per_minute": "50"},
    )
    assert saved.status_code == 302
    assert Webhook.objects.get(pk=webhook_id).max_events_per_minute == 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("counters", ["redis", "local memory"])
def test_sixteen_concurrent_clients_get_exactly_the_limit(owner, settings, counters):
    settings.CACHE_URL = cache_url() if counters == "redis" else ""
    webhook_id = create_webhook(owner, max_events_per_minute=37)

    def ten_events():
        client = Client()
        return [post(webhook_id, client).status_code for _ in range(10)]

    statuses = [s for outcome in at_once(ten_events, times=16) for s in outcome]

    assert statuses.count(202) == 37
    assert statuses.count(429) == 160 - 37
    assert WebhookEvent.objects.filter(webhook_id=webhook_id).count() == 37
    assert Webhook.objects.get(pk=webhook_id).rejected_events == 160 - 37


def test_with_redis_down_ingest_accepts_logs_and_counts_in_each_process(owner, settings, caplog):
    settings.CACHE_URL = "redis://127.0.0.1:9/1"  # nothing listens on the discard port
    webhook_id = create_webhook(owner, max_events_per_minute=2)

    with caplog.at_level(logging.WARNING, logger="pinghome.ratelimit"):
        statuses = [post(webhook_id).status_code for _ in range(3)]

    assert statuses == [202, 202, 429], "the limit holds in this process"
    assert WebhookEvent.objects.filter(webhook_id=webhook_id).count() == 2
    assert Webhook.objects.get(pk=webhook_id).rejected_events == 1
    assert "rate limits are off" in caplog.text
    assert "ingest limits count in each process" in caplog.text
