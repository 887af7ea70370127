from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.links import signin_link
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Print a link that signs this user in to the dashboard once, within "
        "SIGNIN_LINK_MAX_AGE (30 minutes): a way in without a password."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the user's e-mail address (any case)")

    def handle(self, *args, email: str, **options):
        user = User.objects.with_email(email).filter(is_active=True).first()
        if user is None:
            raise CommandError(f"No active user has the address {email}.")
        self.stdout.write(signin_link(user))
        self.stderr.write(
            f"Valid once, for {settings.SIGNIN_LINK_MAX_AGE // 60} minutes, for {user.email}."
        )
