import logging
from collections import defaultdict

from django.db import migrations

log = logging.getLogger(__name__)


def lowercase_emails(apps, schema_editor):
    """Store every address lower-case before it becomes unique whatever its case.

    Addresses that differ only by case (possible when sign-in compared them exactly) keep one
    owner: the account that signed in last (else the oldest). The others are renamed
    ``local+duplicate-<id>@domain`` and logged, for an admin to settle; nothing is deleted.
    """
    User = apps.get_model("accounts", "User")
    by_address = defaultdict(list)
    for user in User.objects.only("id", "email", "last_login", "date_joined"):
        by_address[user.email.strip().lower()].append(user)
    for address, users in by_address.items():
        signed_in = [user for user in users if user.last_login]
        keeper = (
            max(signed_in, key=lambda user: user.last_login)
            if signed_in
            else min(users, key=lambda user: user.date_joined)
        )
        others = [user for user in users if user is not keeper]
        local, _, domain = address.rpartition("@")
        for user in others:
            renamed = f"{local}+duplicate-{user.id.hex[:12]}@{domain}"[-254:]
            log.warning("%s (user %s) is also %s: renamed %s", user.email, user.id, address, renamed)
            User.objects.filter(pk=user.pk).update(email=renamed)
        if keeper.email != address:
            User.objects.filter(pk=keeper.pk).update(email=address)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_roles_scopes_time_zone"),
    ]

    operations = [
        migrations.RunPython(lowercase_emails, migrations.RunPython.noop),
    ]
