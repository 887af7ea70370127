"""Drop single-column foreign key indexes that a composite index already leads with.

Only the indexes: Django's own AlterField would also drop and re-add (re-validate) the
foreign key constraints.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_team_fallback_team_team_renotify_after_minutes'),
        ('incidents', '0003_page_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "incidents_incident_organization_id_63de570a"',
                    reverse_sql='CREATE INDEX "incidents_incident_organization_id_63de570a" ON "incidents_incident" ("organization_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "incidents_incident_team_id_099347d8"',
                    reverse_sql='CREATE INDEX "incidents_incident_team_id_099347d8" ON "incidents_incident" ("team_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "incidents_incidentevent_incident_id_98972806"',
                    reverse_sql='CREATE INDEX "incidents_incidentevent_incident_id_98972806" ON "incidents_incidentevent" ("incident_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "incidents_timelineentry_incident_id_1647aff9"',
                    reverse_sql='CREATE INDEX "incidents_timelineentry_incident_id_1647aff9" ON "incidents_timelineentry" ("incident_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='incident',
                    name='organization',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='incidents', to='accounts.organization'),
                ),
                migrations.AlterField(
                    model_name='incident',
                    name='team',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='incidents', to='accounts.team'),
                ),
                migrations.AlterField(
                    model_name='incidentevent',
                    name='incident',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='event_links', to='incidents.incident'),
                ),
                migrations.AlterField(
                    model_name='timelineentry',
                    name='incident',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='timeline', to='incidents.incident'),
                ),
            ],
        )
    ]
