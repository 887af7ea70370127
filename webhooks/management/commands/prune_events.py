from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks import retention


class Command(BaseCommand):
    help = (
        "Delete the stored events older than EVENT_RETENTION_DAYS, but those of unresolved "
        "incidents, in batches, as the hourly periodic task does."
    )

    def handle(self, *args, **options):
        pruned = retention.prune()
        self.stdout.write(
            f"Retention {settings.EVENT_RETENTION_DAYS} days: "
            f"{pruned.events_deleted} older event(s) deleted."
        )
