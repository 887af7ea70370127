"""Slow clients starve no one: hundreds of connections that never finish their request, while
normal ingest goes on, through gunicorn as ``scripts/run`` starts it."""

import os
import time

import pytest
import redis
import requests
from django.db import connection

from pinghome.processes import database_url, running, service_env, web_command
from pinghome.slow_clients import slow_clients
from webhooks.models import Webhook, WebhookEvent

BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
PORT = int(os.environ.get("TEST_E2E_PORT", "18765")) + 3


@pytest.fixture
def embedded_web(transactional_db, tmp_path):
    """The web processes of ``scripts/run``: 2 workers of 4 threads."""
    redis.Redis.from_url(BROKER).flushdb()
    env = service_env(database=database_url(connection.settings_dict), broker=BROKER, port=PORT)
    with running(
        {"web": web_command(port=PORT, workers=2, threads=4)},
        env=env,
        health_url=f"http://127.0.0.1:{PORT}/v1/health-check",
        log_dir=tmp_path,
    ):
        yield f"http://127.0.0.1:{PORT}"


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def test_ingest_stays_under_100_ms_at_p99_while_200_slow_clients_hold_connections(
    owner, embedded_web
):
    """Under 100 ms at p99 on a machine otherwise idle. On a loaded machine (CI beside other
    work) the bound is three times the p99 of the same requests without slow clients, measured
    just before: starvation (seconds per request, as before the fix) fails either way."""
    webhook = Webhook.objects.create(organization=owner.organization, name="alerts")
    path = f"/v1/incident/webhook/{webhook.id}"
    with requests.Session() as sender:
        unhindered, statuses = send_events(sender, f"{embedded_web}{path}", 200)
        with slow_clients(PORT, path, count=200) as clients:
            time.sleep(0.5)  # every slow connection has sent its head and is waiting
            latencies, more_statuses = send_events(sender, f"{embedded_web}{path}", 200)
            held = clients.open_now
    assert statuses + more_statuses == [202] * 400
    assert held == 200 and clients.closed_by_server == 0
    bound = max(0.100, 3 * percentile(unhindered, 99))
    assert percentile(latencies, 99) < bound, (
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms, without slow clients "
        f"{percentile(unhindered, 99) * 1000:.0f} ms"
    )
    assert WebhookEvent.objects.filter(webhook=webhook).count() == 400


def send_events(sender: requests.Session, url: str, count: int) -> tuple[list[float], list[int]]:
    latencies, statuses = [], []
    for n in range(count):
        start = time.perf_counter()
        response = sender.post(url, json={"n": n}, timeout=2)
        latencies.append(time.perf_counter() - start)
        statuses.append(response.status_code)
    return latencies, statuses
