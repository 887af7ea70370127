"""The roles migration: nothing that worked before roles stops working."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_team_fallback_team_team_renotify_after_minutes")]
AFTER = [("accounts", "0003_roles_scopes_time_zone")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_members_become_managers_and_tokens_keep_every_power(transactional_db):
    old = migrate(BEFORE)
    try:
        organization = old.get_model("accounts", "Organization").objects.create(name="Acme")
        team = old.get_model("accounts", "Team").objects.create(
            organization=organization, name="Ops"
        )
        user = old.get_model("accounts", "User").objects.create(
            email="a@acme.test", organization=organization, password="!"
        )
        old.get_model("accounts", "TeamMember").objects.create(team=team, user=user)
        old.get_model("accounts", "ApiToken").objects.create(user=user, token_hash="x" * 64)
    finally:
        new = migrate(AFTER)
        new_leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
        migrate(new_leaf)

    assert list(new.get_model("accounts", "TeamMember").objects.values_list("role", flat=True)) == [
        "manager"
    ]
    assert list(new.get_model("accounts", "ApiToken").objects.values_list("scopes", flat=True)) == [
        ["admin", "read", "write"]
    ]
