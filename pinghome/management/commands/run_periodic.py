import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process (re-drive, escalation, "
        "purge of idle dedup states). "
        "For the embedded default, which has no broker and so no Celery beat; in production run "
        "`celery -A pinghome beat` instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run each task once and exit")

    def handle(self, *args, once: bool, **options):
        current_app.loader.import_default_modules()  # register every app's tasks
        schedule = {
            entry["task"]: float(entry["schedule"])
            for entry in settings.CELERY_BEAT_SCHEDULE.values()
        }
        due = dict.fromkeys(schedule, 0.0)
        while True:
            now = time.monotonic()
            for name, interval in schedule.items():
                if due[name] <= now:
                    try:
                        current_app.tasks[name].apply()
                    except Exception as exc:  # noqa: BLE001 - keep the loop alive, say why
                        self.stderr.write(f"{name} failed: {exc}")
                    due[name] = now + interval
            if once:
                return
            time.sleep(max(0.5, min(due.values()) - time.monotonic()))
