import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.services import bootstrap


class Command(BaseCommand):
    help = (
        "Create (or find) an organization, a team and a user in it, and print their ids and a "
        "fresh API token as one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name")
        parser.add_argument("--team", required=True, help="team name")
        parser.add_argument("--email", required=True, help="user e-mail")
        parser.add_argument(
            "--password", help="also set the user's password, to sign in to the pages"
        )
        parser.add_argument(
            "--token-name",
            default="bootstrap",
            help="name of the token printed (default: %(default)s)",
        )
        parser.add_argument(
            "--replace-token",
            action="store_true",
            help="revoke the user's earlier tokens of that name (scripts/run keeps one demo token)",
        )

    def handle(
        self,
        *args,
        org: str,
        team: str,
        email: str,
        password=None,
        token_name: str,
        replace_token: bool = False,
        **options,
    ):
        if not org.strip() or not team.strip():
            raise CommandError("--org and --team must not be empty")
        try:
            validate_email(email)
            result = bootstrap(
                org_name=org.strip(),
                team_name=team.strip(),
                email=email,
                password=password,
                token_name=token_name.strip()[:100],
                replace_token=replace_token,
            )
        except (ValidationError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps(
                {
                    "organization_id": str(result.organization.id),
                    "team_id": str(result.team.id),
                    "team_member_id": str(result.team_member.id),
                    "user_id": str(result.user.id),
                    "token": result.token,
                }
            )
        )
