"""From an HTTP POST to a resolved incident, through gunicorn, Redis and a real Celery worker."""

import os
import signal
import threading
import time

import pytest
import redis
import requests
from django.db import connection

from incidents.models import IncidentEvent
from pinghome.processes import (
    database_url,
    running,
    service_env,
    service_processes,
    worker_command,
)
from webhooks.models import WebhookEvent

BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
# Several test runs may share the machine: each picks its own port.
PORT = int(os.environ.get("TEST_E2E_PORT", "18765"))


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached within the timeout")


@pytest.fixture
def stack(transactional_db, tmp_path):
    try:
        redis.Redis.from_url(BROKER).flushdb()
    except redis.ConnectionError:
        pytest.fail(f"Redis broker {BROKER} is not running (scripts/test starts it)")
    with service_processes(
        database=database_url(connection.settings_dict), broker=BROKER, port=PORT, log_dir=tmp_path
    ):
        yield f"http://127.0.0.1:{PORT}/v1"


def test_alert_opens_an_incident_holds_a_component_and_recovery_releases_it(owner, stack):
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {owner.token}"
    webhook = api.post(f"{stack}/webhook", json={"name": "prometheus"}).json()["id"]
    page = api.post(f"{stack}/status-page", json={"name": "Public"}).json()["id"]
    component = api.post(f"{stack}/status-page/{page}/component", json={"name": "API"}).json()["id"]
    ruleset = api.post(
        f"{stack}/ruleset",
        json={
            "rule_type": "webhook",
            "level": "team",
            "team_id": str(owner.team.id),
            "name": "Prometheus",
            "description": "",
            "urgency": "critical",
            "conditions": [
                {"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}
            ],
            "resolve_conditions": [
                {"type": "json-check", "key": "status", "operator": "equal", "values": ["resolved"]}
            ],
            "dedup_key": "groupKey",
        },
    ).json()["id"]
    assert (
        api.put(
            f"{stack}/ruleset/{ruleset}/actions",
            json={
                "actions": [
                    {
                        "type": "trigger-alerts",
                        "settings": [{"status_page_id": page, "component_id": component}],
                    }
                ]
            },
        ).status_code
        == 200
    )

    def component_status():
        return api.get(f"{stack}/status-page/{page}").json()["components"][0]["status"]

    def incidents():
        return api.get(f"{stack}/team/{owner.team.id}/incidents").json()

    ingest = f"{stack}/incident/webhook/{webhook}"
    for _ in range(3):
        assert requests.post(ingest, json={"status": "firing", "groupKey": "g1"}).status_code == 202

    [incident] = wait_for(lambda: [i for i in incidents() if i["event_count"] == 3])
    assert incident["status"] == "triggered"
    wait_for(lambda: component_status() == "major-outage")

    assert requests.post(ingest, json={"status": "resolved", "groupKey": "g1"}).status_code == 202
    wait_for(lambda: incidents()[0]["status"] == "resolved")
    wait_for(lambda: component_status() == "operational")
    kinds = [e["kind"] for e in api.get(f"{stack}/incident/{incident['id']}/timeline").json()]
    assert kinds[0] == "created" and "resolved" in kinds


def any_event_by_service(owner, stack: str) -> tuple[requests.Session, str]:
    """An API session and a webhook whose every event opens or feeds the incident of its
    ``service``."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {owner.token}"
    webhook = api.post(f"{stack}/webhook", json={"name": "prometheus"}).json()["id"]
    api.post(
        f"{stack}/ruleset",
        json={
            "rule_type": "webhook",
            "level": "team",
            "team_id": str(owner.team.id),
            "name": "Any",
            "description": "",
            "urgency": "low",
            "conditions": [],
            "dedup_key": "service",
        },
    ).raise_for_status()
    return api, webhook


def database_sessions() -> int:
    """Connections ever opened to the test database (counted by PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_worker_keeps_its_database_connections_from_task_to_task(owner, stack):
    api, webhook = any_event_by_service(owner, stack)

    def evaluate_alone(service: str) -> None:  # one event, one task
        requests.post(f"{stack}/incident/webhook/{webhook}", json={"service": service}, timeout=30)
        wait_for(lambda: not WebhookEvent.objects.filter(evaluated_at__isnull=True).exists())

    evaluate_alone("warm-up")  # every process has connected by now
    time.sleep(1.5)  # PostgreSQL counts sessions at most once a second per backend
    before = database_sessions()
    for n in range(20):
        evaluate_alone(f"service-{n}")
    time.sleep(1.5)

    # Web threads that had no connection yet may open one; a worker connecting for each task
    # would open 20 at least.
    assert database_sessions() - before < 8


@pytest.fixture
def stack_with_broker_down_for_ingest(transactional_db, tmp_path):
    """Web processes whose broker is unreachable; a worker and beat on the real one."""
    redis.Redis.from_url(BROKER).flushdb()
    with service_processes(
        database=database_url(connection.settings_dict),
        broker=BROKER,
        web_broker="redis://127.0.0.1:1/0",
        beat=True,
        env={"EVALUATION_REDRIVE_AFTER_SECONDS": "1", "EVALUATION_REDRIVE_INTERVAL_SECONDS": "1"},
        port=PORT + 1,
        log_dir=tmp_path,
    ):
        yield f"http://127.0.0.1:{PORT + 1}/v1"


def test_events_accepted_while_the_broker_is_down_are_evaluated_by_the_redrive(
    owner, stack_with_broker_down_for_ingest
):
    stack = stack_with_broker_down_for_ingest
    api, webhook = any_event_by_service(owner, stack)

    accepted = [
        requests.post(f"{stack}/incident/webhook/{webhook}", json={"service": "api"}, timeout=30)
        for _ in range(3)
    ]
    assert [r.status_code for r in accepted] == [202, 202, 202]

    def incidents():
        return api.get(f"{stack}/team/{owner.team.id}/incidents").json()

    [incident] = wait_for(lambda: [i for i in incidents() if i["event_count"] == 3], timeout=60)
    assert incident["status"] == "triggered"


REDRIVE_EVERY_SECOND = {
    "EVALUATION_REDRIVE_AFTER_SECONDS": "1",
    "EVALUATION_REDRIVE_INTERVAL_SECONDS": "1",
}


@pytest.fixture
def stack_with_beat(transactional_db, tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    database = database_url(connection.settings_dict)
    with service_processes(
        database=database,
        broker=BROKER,
        beat=True,
        env=REDRIVE_EVERY_SECOND,
        port=PORT + 2,
        log_dir=tmp_path,
        worker_concurrency=1,
    ) as processes:
        yield f"http://127.0.0.1:{PORT + 2}/v1", processes, database


def test_events_a_killed_worker_was_evaluating_are_evaluated_once_by_the_next_one(
    owner, stack_with_beat, tmp_path
):
    stack, processes, database = stack_with_beat
    api, webhook = any_event_by_service(owner, stack)
    services = [f"service-{n}" for n in range(10)]
    sent = 400
    statuses: list[int] = []

    def send_all():
        with requests.Session() as sender:
            for n in range(sent):
                url = f"{stack}/incident/webhook/{webhook}"
                statuses.append(sender.post(url, json={"service": services[n % 10]}).status_code)

    def evaluated() -> int:
        return WebhookEvent.objects.filter(evaluated_at__isnull=False).count()

    sender = threading.Thread(target=send_all)
    sender.start()
    wait_for(lambda: evaluated() >= 20, timeout=60)
    os.killpg(processes["worker"].pid, signal.SIGKILL)  # busy evaluating, most likely mid-task
    processes["worker"].wait()
    sender.join()
    assert statuses == [202] * sent
    assert evaluated() < sent

    replacement = worker_command(concurrency=1)
    env = service_env(database=database, broker=BROKER, port=PORT + 2, env=REDRIVE_EVERY_SECOND)
    with running({"worker": replacement}, env=env, health_url=f"{stack}/health-check"):
        wait_for(lambda: evaluated() == sent, timeout=120)

    incidents = api.get(f"{stack}/team/{owner.team.id}/incidents").json()
    assert sorted(i["dedup_key"] for i in incidents) == sorted(services)
    assert [i["event_count"] for i in incidents] == [sent // 10] * 10
    assert IncidentEvent.objects.count() == sent
