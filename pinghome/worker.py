"""The Celery worker's consumer, with a crash on a lost Redis connection avoided.

On a lost connection Celery's consumer first collects the connection, then closes it. Collecting
closes the task channel, and that fails early when the channel was waiting for messages. It
leaves the channel open, and detaches it from its transport. Closing then closes the same channel
a second time. The channel then gives back the messages it holds, unacknowledged, through a new
Redis client built from its transport's address, which is None by then: ``AttributeError``.
Celery does not expect that error, so the worker stops with "Unrecoverable error". This is
Celery and kombu 5.7.0. It happened in one run of five of ``bench/faults/broker_down.py``: a
task was running and the consumer was waiting for the next one when Redis went away. The worker
then evaluated nothing more.

Here the consumer forgets the channel once the connection has been collected, so it is not
closed twice. The messages it held stay unacknowledged in Redis, if Redis still has them. Redis
gives them back after ``visibility_timeout``, and before that the re-drive evaluates their
events. Tasks are idempotent.
"""

from celery.worker.consumer import Consumer as CeleryConsumer


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            collect = connection.collect

            def collect_once(*args, **kwargs):
                try:
                    return collect(*args, **kwargs)
                finally:
                    connection._default_channel = None  # closed or not, never closed again

            connection.collect = collect_once
        super().on_connection_error_after_connected(exc)
