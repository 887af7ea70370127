"""A Celery worker whose consumer stopped taking messages that wait for it restarts itself.

After the Redis broker comes back from an outage, a worker sometimes reconnects and never
consumes again (celery/celery#8030, #8091, #10205; one run in five of
``bench/faults/broker_down.py`` with Celery and kombu 5.7.0, which carry the upstream fixes). It
still answers ``celery inspect ping``, so a probe by ping does not see it.

The watchdog checks what the worker is for. Every ``WORKER_WATCHDOG_SECONDS`` a thread of the
worker's main process counts the messages ready in the worker's queues, through a connection of
its own. The worker is stuck when messages were ready at two checks in a row, the worker
received none in between, and it had room for more (fewer tasks reserved than its prefetch
limit). Then the thread logs an error and sends its process SIGHUP: Celery's restart. The
running tasks finish, and the worker executes itself again, with a new connection and a new
consumer. Tasks are acknowledged late and idempotent, so nothing is lost.

Celery handles SIGHUP only when the worker is not attached to a terminal (systemd, a container
and ``scripts/run`` are not); on a terminal the watchdog only logs.
"""

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

from celery import signals
from celery.worker import state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    """What one check saw."""

    ready: int  # messages ready in the worker's queues
    received: int  # tasks the worker received since it started
    reserved: int  # tasks received and not done yet
    room: int  # how many tasks the worker takes at most (its prefetch limit)


def stuck(previous: Sample | None, current: Sample) -> bool:
    """Messages were ready at both checks, none was received in between, and the worker had
    room for them all along."""
    return (
        previous is not None
        and previous.ready > 0
        and current.ready > 0
        and current.received == previous.received
        and max(previous.reserved, current.reserved) < current.room
    )


class Watchdog(threading.Thread):
    def __init__(self, consumer, interval: float):
        super().__init__(name="pinghome-watchdog", daemon=True)
        self.consumer, self.interval = consumer, interval
        self.queues = sorted(consumer.app.amqp.queues.consume_from)
        self.received = 0
        signals.task_received.connect(self.on_received, weak=False)

    def on_received(self, **_) -> None:
        self.received += 1  # the consumer's thread; read by the watchdog's

    def ready(self) -> int | None:
        """Messages ready in the worker's queues, or None when the broker does not answer."""
        try:
            with self.consumer.app.connection_for_read(connect_timeout=5) as connection:
                channel = connection.default_channel
                # Not passive: a passive declaration of an empty Redis queue is an error.
                return sum(channel.queue_declare(queue=name).message_count for name in self.queues)
        except Exception:  # noqa: BLE001 - a broker down or a queue not declared yet
            log.debug("watchdog: the broker did not answer", exc_info=True)
            return None

    def sample(self) -> Sample | None:
        ready = self.ready()
        if ready is None:
            return None
        return Sample(
            ready=ready,
            received=self.received,
            reserved=len(state.reserved_requests),
            room=self.consumer.max_prefetch_count,
        )

    def run(self) -> None:
        previous = None
        while True:
            time.sleep(self.interval)
            previous = self.check(previous)

    def check(self, previous: Sample | None) -> Sample | None:
        """One check, after ``previous``; what the next one compares with."""
        current = self.sample()
        if current is not None and stuck(previous, current):
            self.restart(current)
            return None  # the restarted consumer is judged afresh
        return current

    def restart(self, current: Sample) -> None:
        log.error(
            "watchdog: %d messages wait in %s, none received for %.0f s with room for %d:"
            " the consumer is stuck; restarting the worker",
            current.ready,
            ", ".join(self.queues),
            self.interval,
            current.room - current.reserved,
        )
        if sys.stdout.isatty():
            log.error("watchdog: attached to a terminal, Celery does not restart on SIGHUP")
            return
        os.kill(os.getpid(), signal.SIGHUP)


def start(consumer, interval: float) -> Watchdog | None:
    """Watch this worker's consumer (``interval`` 0: not at all)."""
    if interval <= 0:
        return None
    watchdog = Watchdog(consumer, interval)
    watchdog.start()
    return watchdog
