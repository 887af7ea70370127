"""Hand work to Celery only once the transaction that produced it has committed."""

import logging
from functools import partial

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Enqueue ``task`` after commit; the database row it reads is then visible to the worker.

    A broker outage must not fail the request whose data is already committed: the periodic
    re-drive finds the work again from the database.
    """
    transaction.on_commit(partial(_send, task, args, kwargs))


def _send(task: Task, args: tuple, kwargs: dict) -> None:
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # noqa: BLE001 - broker down: the database is the source of truth
        logger.exception("could not enqueue %s; the re-drive will pick it up", task.name)
