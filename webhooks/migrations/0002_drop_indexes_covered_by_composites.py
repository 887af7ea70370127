"""Drop single-column foreign key indexes that a composite index already leads with.

Only the indexes: Django's own AlterField would also drop and re-add (re-validate) the
foreign key constraints.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "webhooks_webhookevent_webhook_id_96606395"',
                    reverse_sql='CREATE INDEX "webhooks_webhookevent_webhook_id_96606395" ON "webhooks_webhookevent" ("webhook_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='webhookevent',
                    name='webhook',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='webhooks.webhook'),
                ),
            ],
        )
    ]
