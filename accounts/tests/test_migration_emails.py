"""Addresses become unique whatever their case without the migration failing on old data."""

import re

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.tests.test_migration_roles import migrate

BEFORE = [("accounts", "0003_roles_scopes_time_zone")]
AFTER = [("accounts", "0005_email_unique_ignoring_case")]


def test_addresses_are_lower_cased_and_case_twins_renamed_not_lost(transactional_db):
    old = migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        User.objects.create(email="Bob@Example.TEST", password="!")
        User.objects.create(email="Ann@Example.test", password="!")
        signed_in = User.objects.create(
            email="ann@example.test", password="!", last_login=timezone.now()
        )
        User.objects.create(email="ANN@EXAMPLE.TEST", password="!")
    finally:
        new = migrate(AFTER)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    emails = dict(new.get_model("accounts", "User").objects.values_list("id", "email"))
    assert emails.pop(signed_in.id) == "ann@example.test"  # the one who signed in keeps it
    assert "bob@example.test" in emails.values()
    renamed = [email for email in emails.values() if email.startswith("ann")]
    assert len(renamed) == 2
    assert all(re.fullmatch(r"ann\+duplicate-[0-9a-f]{12}@example\.test", e) for e in renamed)
