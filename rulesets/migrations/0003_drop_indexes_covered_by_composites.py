"""Drop single-column foreign key indexes that a composite index already leads with.

Only the indexes: Django's own AlterField would also drop and re-add (re-validate) the
foreign key constraints.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rulesets', '0002_dedupstate_eventevaluation'),
        ('webhooks', '0002_drop_indexes_covered_by_composites'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "rulesets_dedupstate_ruleset_id_7979bf62"',
                    reverse_sql='CREATE INDEX "rulesets_dedupstate_ruleset_id_7979bf62" ON "rulesets_dedupstate" ("ruleset_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "rulesets_eventevaluation_event_id_3a0b0f24"',
                    reverse_sql='CREATE INDEX "rulesets_eventevaluation_event_id_3a0b0f24" ON "rulesets_eventevaluation" ("event_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='dedupstate',
                    name='ruleset',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='dedup_states', to='rulesets.ruleset'),
                ),
                migrations.AlterField(
                    model_name='eventevaluation',
                    name='event',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='ruleset_evaluations', to='webhooks.webhookevent'),
                ),
            ],
        )
    ]
