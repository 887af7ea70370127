"""A Celery worker holding a message when the Redis broker dies keeps running, and consumes
again once Redis is back (pinghome.worker.Consumer; before it, "Unrecoverable error")."""

import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress

import pytest
import redis
import requests
from celery import Celery
from django.db import connection

from pinghome.processes import database_url, service_processes
from rulesets.tests.test_end_to_end import PORT, any_event_by_service, wait_for
from webhooks.models import WebhookEvent


class Broker:
    """A redis-server of this test's own, without persistence, killed and started again on
    the same port."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            with suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def broker():
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (scripts/test needs it)")
    broker = Broker()
    broker.start()
    yield broker
    broker.kill()


def test_a_worker_holding_a_message_survives_the_broker_going_away(
    owner, transactional_db, broker, tmp_path
):
    with service_processes(
        database=database_url(connection.settings_dict),
        broker=broker.url,
        port=PORT + 1,
        log_dir=tmp_path,
        worker_concurrency=1,
    ) as processes:
        stack = f"http://127.0.0.1:{PORT + 1}/v1"
        api, webhook = any_event_by_service(owner, stack)
        # A task due in 10 minutes: the worker holds its message, unacknowledged, and waits for
        # the next one.
        Celery(broker=broker.url, set_as_current=False).send_task(
            "rulesets.tasks.redrive_pending_events", queue="evaluation", countdown=600
        )
        held = redis.Redis.from_url(broker.url)
        wait_for(lambda: held.hlen("unacked") == 1)

        broker.kill()
        log = tmp_path / "worker.log"
        wait_for(lambda: "Connection to broker lost" in log.read_text())
        time.sleep(2)
        broker.start()

        assert requests.post(f"{stack}/incident/webhook/{webhook}", json={"service": "a"}).ok
        wait_for(lambda: WebhookEvent.objects.filter(evaluated_at__isnull=False).exists(), 60)
        assert processes["worker"].poll() is None
        assert "Unrecoverable error" not in log.read_text()
