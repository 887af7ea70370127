from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organization, User
from rulesets.services import create_ruleset
from webhooks.models import Webhook
from webhooks.services import create_webhook

FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]
RESOLVED = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["resolved"]}]


class Command(BaseCommand):
    help = (
        "Print the id of the organization's 'demo' webhook. On first use, create it with a "
        'ruleset for its first team: {"status": "firing", "service": "<name>"} opens an '
        'incident per service, {"status": "resolved", ...} resolves it.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name")

    @transaction.atomic
    def handle(self, *args, org: str, **options):
        organization = Organization.objects.filter(name=org).first()
        if organization is None:
            raise CommandError(f"no organization named {org!r}; run bootstrap first")
        webhook = Webhook.objects.live().filter(organization=organization, name="demo").first()
        if webhook is None:
            webhook = create_webhook(
                organization, name="demo", description="Created by scripts/run"
            )
            self._create_demo_ruleset(organization, webhook)
        self.stdout.write(str(webhook.id))

    def _create_demo_ruleset(self, organization: Organization, webhook: Webhook) -> None:
        admin = (
            User.objects.filter(organization=organization, role=User.Role.ADMIN)
            .order_by("date_joined")
            .first()
        )
        team = organization.teams.order_by("name").first()
        if admin is None or team is None:
            raise CommandError(f"{organization.name!r} has no admin or no team; run bootstrap")
        create_ruleset(
            organization,
            by=admin,
            data={
                "rule_type": "webhook",
                "level": "team",
                "team": team,
                "name": "Demo: firing services",
                "description": "Created by scripts/run for the demo webhook.",
                "urgency": "high",
                "conditions": FIRING,
                "resolve_conditions": RESOLVED,
                "dedup_key": "service",
                "incident_name": "{{ service }} is firing",
                "webhook_ids": [webhook.id],
            },
        )
