"""The batching hand-off publishes after commit, in batches, and survives a broker outage."""

import threading
import time

import pytest

from pinghome.jobs import BatchingHandoff


class FakeTask:
    """Stands for a Celery task with a broker: records what would be published."""

    def __init__(self, fail_first: int = 0):
        self.published: list[list[str]] = []
        self.fail_first = fail_first
        self.name = "fake"
        self.app = type("App", (), {"conf": type("Conf", (), {"task_always_eager": False})()})()
        self.done = threading.Event()

    def apply_async(self, args, kwargs):
        if self.fail_first:
            self.fail_first -= 1
            raise ConnectionError("broker down")
        self.published.append(list(args[0]))
        self.done.set()


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_an_id_arriving_at_an_idle_moment_leaves_at_once():
    task = FakeTask()
    handoff = BatchingHandoff(task, min_interval_seconds=60)
    handoff.add("a")
    assert wait_until(lambda: task.published == [["a"]], timeout=2)


def test_ids_arriving_within_the_interval_go_out_in_one_batch_in_order():
    task = FakeTask()
    handoff = BatchingHandoff(task, min_interval_seconds=0.3)
    handoff.add("first")
    assert wait_until(lambda: task.published == [["first"]])
    for n in range(5):
        handoff.add(str(n))
    assert wait_until(lambda: len(task.published) == 2)
    assert task.published == [["first"], ["0", "1", "2", "3", "4"]]


def test_batches_are_capped():
    task = FakeTask()
    handoff = BatchingHandoff(task, max_batch=2, min_interval_seconds=0.05)
    for n in range(5):
        handoff.add(str(n))
    assert wait_until(lambda: sum(map(len, task.published)) == 5)
    assert all(len(batch) <= 2 for batch in task.published)


def test_a_broker_outage_drops_the_batch_but_not_the_thread():
    task = FakeTask(fail_first=1)
    handoff = BatchingHandoff(task, min_interval_seconds=0.01)
    handoff.add("lost-to-the-redrive")
    time.sleep(0.1)
    handoff.add("next")
    assert wait_until(lambda: task.published == [["next"]])


@pytest.mark.django_db
def test_ids_are_handed_over_only_after_commit(django_capture_on_commit_callbacks):
    task = FakeTask()
    task.app.conf.task_always_eager = True
    handoff = BatchingHandoff(task)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        handoff.add_on_commit("a")
    assert task.published == []
    callbacks[0]()
    assert task.published == [["a"]]
