from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks import retention


class Command(BaseCommand):
    help = (
        "Let go of the stored events older than EVENT_RETENTION_DAYS, but those of unresolved "
        "incidents, as the hourly periodic task does: on PostgreSQL whole weeks are dropped "
        "(and the coming weeks' partitions made), on SQLite events are deleted in batches."
    )

    def handle(self, *args, **options):
        pruned = retention.maintain()
        self.stdout.write(
            f"Retention {settings.EVENT_RETENTION_DAYS} days: {pruned.weeks_dropped} week(s) "
            f"dropped ({pruned.events_kept} of their events kept for unresolved incidents), "
            f"{pruned.events_deleted} older event(s) deleted in batches."
        )
