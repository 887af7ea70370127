"""Hand work to Celery only once the transaction that produced it has committed."""

import atexit
import logging
import os
import queue
import threading
import time
from functools import partial

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Enqueue ``task`` after commit; the database row it reads is then visible to the worker.

    A broker outage must not fail the request whose data is already committed: the periodic
    re-drive finds the work again from the database.
    """
    transaction.on_commit(partial(send_task, task, *args, **kwargs))


def send_task(task: Task, *args, **kwargs) -> None:
    """Enqueue ``task`` now; a broker outage is logged, not raised (the re-drive covers it)."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - broker down: the database is the source of truth
        logger.exception("could not enqueue %s; the re-drive will pick it up", task.name)


class BatchingHandoff:
    """Hands ids to ``task`` in batches from a background thread: one broker publish per batch.

    For the ingest hot path: the request commits its row, hands the id over after commit and
    answers without waiting for the broker. Ids still in memory if the process dies are found
    again by the re-drive (the database is the source of truth); a normal exit flushes them.
    Without a broker (tasks run in-process) each id is handed over at once.
    """

    def __init__(self, task: Task, *, max_batch: int = 200, min_interval_seconds: float = 0.05):
        self.task, self.max_batch, self.min_interval = task, max_batch, min_interval_seconds
        self._last_publish = 0.0
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._eager: bool | None = None  # read once: Celery's configuration is slow to read

    def add_on_commit(self, item: str) -> None:
        transaction.on_commit(partial(self.add, item))

    def add(self, item: str) -> None:
        if self._eager is None:
            self._eager = bool(self.task.app.conf.task_always_eager)
        if self._eager:
            self._publish([item])
            return
        self._start_once_per_process()
        self._queue.put(item)

    def _start_once_per_process(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child (gunicorn worker)
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._run, name="handoff", daemon=True).start()
                atexit.register(self.flush)
                self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            # At most one publish per interval (a publish costs far more CPU than an id), and the
            # thread wakes once per batch, not per id: an id arriving at an idle moment leaves at
            # once, under load batches grow with the load.
            batch = [self._queue.get()]
            time.sleep(max(0.0, self._last_publish + self.min_interval - time.monotonic()))
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._publish(batch)
            self._last_publish = time.monotonic()

    def flush(self) -> None:
        batch = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if batch:
            self._publish(batch)

    def _publish(self, batch: list[str]) -> None:
        send_task(self.task, batch)
