"""Notification channels become contact methods: every one configured before keeps paging."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("notifications", "0001_initial"), ("accounts", "0003_roles_scopes_time_zone")]
AFTER = [("notifications", "0004_channels_become_verified_contact_methods")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_channels_become_verified_contact_methods_with_a_rule_at_every_urgency(transactional_db):
    old = migrate(BEFORE)
    try:
        organization = old.get_model("accounts", "Organization").objects.create(name="Acme")
        user = old.get_model("accounts", "User").objects.create(
            email="a@acme.test", organization=organization, password="!"
        )
        Channel = old.get_model("notifications", "NotificationChannel")  # noqa: N806
        hook = Channel.objects.create(user=user, type="webhook", target="https://x.test/h")
        off = Channel.objects.create(user=user, type="email", target="b@acme.test", enabled=False)
    finally:
        new = migrate(AFTER)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    methods = new.get_model("notifications", "ContactMethod").objects
    assert methods.get(pk=hook.pk).verified_at == hook.created_at
    assert methods.get(pk=off.pk).verified_at is not None
    rules = new.get_model("notifications", "NotificationRule").objects.filter(user_id=user.pk)
    assert sorted(rules.values_list("urgency", "contact_method_id", "delay_minutes")) == [
        (urgency, hook.pk, 0) for urgency in ("critical", "high", "low", "medium")
    ]
