"""A worker whose consumer takes nothing while messages wait for it restarts
(pinghome.watchdog): Celery's reconnection to Redis sometimes leaves it so."""

import pytest
import redis
import requests
from celery import Celery
from django.db import connection

from pinghome.processes import database_url, service_processes
from pinghome.watchdog import Sample, stuck
from rulesets.tests.test_end_to_end import BROKER, PORT, any_event_by_service, wait_for
from webhooks.models import WebhookEvent


def sample(ready=3, received=10, reserved=0, room=2) -> Sample:
    return Sample(ready=ready, received=received, reserved=reserved, room=room)


def test_messages_waiting_through_two_checks_none_received_with_room_is_stuck():
    assert stuck(sample(), sample())
    assert stuck(sample(reserved=1), sample(ready=9, reserved=1))


@pytest.mark.parametrize(
    ("previous", "current"),
    [
        (None, sample()),  # one check says nothing
        (sample(ready=0), sample()),  # they just arrived
        (sample(), sample(ready=0)),  # taken meanwhile
        (sample(), sample(received=11)),  # one was received: it consumes
        (sample(reserved=2), sample()),  # it was full at the first check
        (sample(), sample(reserved=2)),  # full now: busy, not stuck
    ],
)
def test_a_consumer_that_takes_messages_or_has_no_room_is_not_stuck(previous, current):
    assert not stuck(previous, current)


@pytest.fixture
def watched_stack(transactional_db, tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    with service_processes(
        database=database_url(connection.settings_dict),
        broker=BROKER,
        port=PORT,
        log_dir=tmp_path,
        env={"WORKER_WATCHDOG_SECONDS": "1"},
    ):
        yield f"http://127.0.0.1:{PORT}/v1", tmp_path / "worker.log"


def test_a_worker_whose_consumer_stopped_restarts_and_evaluates_what_waits(owner, watched_stack):
    stack, log = watched_stack
    api, webhook = any_event_by_service(owner, stack)
    assert requests.post(f"{stack}/incident/webhook/{webhook}", json={"service": "a"}).ok
    wait_for(lambda: WebhookEvent.objects.filter(evaluated_at__isnull=False).count() == 1)
    # The consumer stops consuming, as after a bad reconnection: the worker still answers.
    control = Celery(broker=BROKER, set_as_current=False)
    replies = control.control.cancel_consumer("evaluation", reply=True, timeout=10)
    assert replies and control.control.ping(timeout=10)

    for service in ("b", "c", "d"):
        assert requests.post(f"{stack}/incident/webhook/{webhook}", json={"service": service}).ok

    wait_for(lambda: WebhookEvent.objects.filter(evaluated_at__isnull=False).count() == 4, 60)
    assert "the consumer is stuck; restarting the worker" in log.read_text()
