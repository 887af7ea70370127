"""Index the columns that are mostly NULL only where set.

Rule incidents have no creator and, unless their team re-notifies, no escalation time; most
timeline entries have no user. Full indexes took a NULL entry for each of those rows: four
index writes per incident a rule opens. For the foreign keys, only the indexes change (as in
0004): Django's own AlterField would also drop, re-add and re-validate the constraints.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_team_fallback_team_team_renotify_after_minutes'),
        ('incidents', '0004_drop_indexes_covered_by_composites'),
        ('rulesets', '0003_drop_indexes_covered_by_composites'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "incidents_incident_created_by_id_c29d8b73"',
                    reverse_sql='CREATE INDEX "incidents_incident_created_by_id_c29d8b73" ON "incidents_incident" ("created_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "incidents_timelineentry_actor_user_id_a3072300"',
                    reverse_sql='CREATE INDEX "incidents_timelineentry_actor_user_id_a3072300" ON "incidents_timelineentry" ("actor_user_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='incident',
                    name='created_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='timelineentry',
                    name='actor_user',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
            ],
        ),
        migrations.AlterField(
            model_name='incident',
            name='next_escalation_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('created_by__isnull', False)), fields=['created_by'], name='incident_created_by'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('next_escalation_at__isnull', False)), fields=['next_escalation_at'], name='incident_escalation_due'),
        ),
        migrations.AddIndex(
            model_name='timelineentry',
            index=models.Index(condition=models.Q(('actor_user__isnull', False)), fields=['actor_user'], name='timeline_actor_user'),
        ),
    ]
