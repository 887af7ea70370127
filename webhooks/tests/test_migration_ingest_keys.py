"""The ingest keys migration: every webhook's URL keeps working."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("webhooks", "0004_heartbeat")]
AFTER = [("webhooks", "0005_ingest_keys_and_deletion")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_every_existing_webhook_keeps_its_id_as_its_ingest_key(transactional_db):
    old = migrate(BEFORE)
    try:
        organization = old.get_model("accounts", "Organization").objects.create(name="Acme")
        Webhook = old.get_model("webhooks", "Webhook")  # noqa: N806 - a model class
        ids = {Webhook.objects.create(organization=organization, name=n).pk for n in "ab"}
    finally:
        new = migrate(AFTER)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    webhooks = new.get_model("webhooks", "Webhook").objects.all()
    assert {(w.pk, w.ingest_key) for w in webhooks} == {(pk, None) for pk in ids}
    keys = new.get_model("webhooks", "WebhookIngestKey").objects.all()
    assert {(k.key, k.webhook_id, k.expires_at) for k in keys} == {(pk, pk, None) for pk in ids}
