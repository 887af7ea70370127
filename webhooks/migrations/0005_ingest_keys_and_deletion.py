import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def every_url_keeps_working(apps, schema_editor):
    """Each webhook's current URL (its id) becomes its first ingest key."""
    Webhook = apps.get_model("webhooks", "Webhook")
    WebhookIngestKey = apps.get_model("webhooks", "WebhookIngestKey")
    WebhookIngestKey.objects.bulk_create(
        WebhookIngestKey(key=pk, webhook_id=pk)
        for pk in Webhook.objects.values_list("pk", flat=True).iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0004_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhook',
            name='deleted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='webhook',
            name='ingest_key',
            field=models.UUIDField(blank=True, editable=False, help_text="Its ingest URL's key; empty: its id.", null=True),
        ),
        migrations.CreateModel(
            name='WebhookIngestKey',
            fields=[
                ('key', models.UUIDField(editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('webhook', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ingest_keys', to='webhooks.webhook')),
            ],
        ),
        migrations.RunPython(every_url_keeps_working, migrations.RunPython.noop),
    ]
