from django.core.management.base import BaseCommand

from rulesets.evaluation import redrive_pending, retry_given_up
from rulesets.tasks import evaluate_events


class Command(BaseCommand):
    help = (
        "Evaluate events that were stored but never evaluated (broker or worker down), in "
        "receive order, in this process. Safe to run at any time: evaluation is idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=0,
            help="only events received at least this many seconds ago",
        )
        parser.add_argument("--limit", type=int, default=100000)
        parser.add_argument(
            "--enqueue", action="store_true", help="hand them to Celery instead of evaluating here"
        )
        parser.add_argument(
            "--given-up",
            action="store_true",
            help="also events given up after EVALUATION_MAX_ATTEMPTS failed evaluations",
        )

    def handle(self, *args, older_than: int, limit: int, enqueue: bool, given_up: bool, **options):
        if given_up:
            self.stdout.write(f"{retry_given_up()} event(s) given up are pending again")

        def here(batch: list[str]) -> None:
            evaluate_events.apply(args=(batch,))

        handler = evaluate_events.delay if enqueue else here
        count = redrive_pending(enqueue=handler, older_than_seconds=older_than, limit=limit)
        self.stdout.write(f"{count} event(s) {'enqueued' if enqueue else 'evaluated'}")
