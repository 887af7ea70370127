"""API rate limits: exact under concurrency, 429 with Retry-After, open when the cache is down."""

import logging
import os
import uuid

import pytest
from rest_framework.test import APIClient

from pinghome import ratelimit
from pinghome.testing import at_once


def cache_url() -> str:
    """Redis on the test broker's server, in another database (keys are unique per test)."""
    if url := os.environ.get("TEST_CACHE_URL"):
        return url
    broker = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    server, _, db = broker.rpartition("/")
    return f"{server}/{(int(db or 0) + 8) % 16}"


@pytest.fixture(params=["redis", "local memory"])
def counter_at(request, settings):
    settings.CACHE_URL = cache_url() if request.param == "redis" else ""
    return request.param


def test_sixteen_threads_get_exactly_the_limit_through_the_api(
    transactional_db, owner, counter_at, settings
):
    settings.API_RATE_LIMIT = "40/min"

    def five_requests():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {owner.token}")
        return [api.get("/v1/teams").status_code for _ in range(5)]

    statuses = [s for outcome in at_once(five_requests, times=16) for s in outcome]
    assert sorted(set(statuses)) == [200, 429]
    assert statuses.count(200) == 40


def test_sixteen_threads_count_every_hit_of_a_counter(counter_at):
    key = f"test:{uuid.uuid4()}"

    def hits():
        return [ratelimit.hit(key, limit=100, window=60).allowed for _ in range(10)]

    allowed = [a for outcome in at_once(hits, times=16) for a in outcome]
    assert allowed.count(True) == 100 and len(allowed) == 160
    assert ratelimit.hit(key, limit=100, window=60, cost=0).count == 160


@pytest.mark.django_db
def test_over_the_limit_is_a_429_with_retry_after_for_that_token_only(owner, teammate, settings):
    settings.API_RATE_LIMIT = "3/min"
    for _ in range(3):
        assert owner.api.get("/v1/teams").status_code == 200
    response = owner.api.get("/v1/teams")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["message"].startswith("Request was throttled.")
    assert teammate.api.get("/v1/teams").status_code == 200


@pytest.mark.django_db
def test_a_counter_starts_afresh_after_its_window(settings, monkeypatch):
    settings.CACHE_URL = ""
    key = f"test:{uuid.uuid4()}"
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: now[0])
    assert [ratelimit.hit(key, limit=2, window=10).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert ratelimit.hit(key, limit=2, window=10).retry_after == 10
    now[0] += 10
    assert ratelimit.hit(key, limit=2, window=10).allowed


@pytest.mark.django_db
def test_a_throttled_route_answers_while_the_cache_is_down_and_says_so_in_the_log(
    owner, settings, caplog
):
    settings.CACHE_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    settings.API_RATE_LIMIT = "1/min"
    with caplog.at_level(logging.WARNING, logger="pinghome.ratelimit"):
        statuses = [owner.api.get("/v1/teams").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert "rate limits are off" in caplog.text
