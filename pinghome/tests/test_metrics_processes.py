"""/metrics under several processes, as in production: two gunicorn workers and a Celery worker
count into PROMETHEUS_MULTIPROC_DIR, and any web worker answers the sum."""

import os

import redis
import requests
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from pinghome.processes import database_url, service_processes
from rulesets.tests.test_end_to_end import wait_for

BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
PORT = int(os.environ.get("TEST_E2E_PORT", "18765")) + 6
TOKEN = "scrape-me"


def samples(base: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_every_process_counts_and_any_web_worker_answers_the_sum(owner, transactional_db, tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    with service_processes(
        database=database_url(connection.settings_dict),
        broker=BROKER,
        port=PORT,
        web_workers=2,
        log_dir=tmp_path,
        env={"METRICS_TOKEN": TOKEN},
    ):
        base = f"http://127.0.0.1:{PORT}"
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {owner.token}"
        webhook = api.post(f"{base}/v1/webhook", json={"name": "many"}).json()["id"]
        for number in range(20):  # a connection each: both web workers take some
            response = requests.post(
                f"{base}/v1/incident/webhook/{webhook}", json={"n": number}, timeout=10
            )
            assert response.status_code == 202

        received = ("pinghome_events_received_total", frozenset({("webhook", webhook)}))
        evaluated = ("pinghome_events_evaluated_total", frozenset({("webhook", webhook)}))
        # Evaluated by the Celery worker's processes, answered by the web's.
        wait_for(lambda: samples(base).get(evaluated) == 20)
        for _ in range(6):  # whichever web worker answers
            assert samples(base)[received] == 20
        assert len(list((tmp_path / "metrics").glob("*.db"))) >= 3
