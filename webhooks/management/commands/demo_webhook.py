from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from webhooks.models import Webhook
from webhooks.services import create_webhook


class Command(BaseCommand):
    help = "Print the id of the organization's 'demo' webhook, creating it on first use."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name")

    def handle(self, *args, org: str, **options):
        organization = Organization.objects.filter(name=org).first()
        if organization is None:
            raise CommandError(f"no organization named {org!r}; run bootstrap first")
        webhook = Webhook.objects.filter(organization=organization, name="demo").first()
        if webhook is None:
            webhook = create_webhook(
                organization, name="demo", description="Created by scripts/run"
            )
        self.stdout.write(str(webhook.id))
