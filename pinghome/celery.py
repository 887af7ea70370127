import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghome.settings")

app = Celery("pinghome")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def keep_database_connections(sender=None, **kwargs) -> None:
    """Around each task, close a connection only when Django would around a request: broken, or
    older than ``DATABASE_CONN_MAX_AGE``.

    Celery's Django fixup closes every connection before and after each task unless
    ``CELERY_DB_REUSE_MAX`` is set (see settings): each task then paid for a new PostgreSQL
    backend (a process, cold caches) and lost its prepared statements, about 3 ms of CPU.
    """
    if not getattr(sender.request, "is_eager", False):  # eager: inside the caller's transaction
        close_old_connections()
