"""A GIN index on incidents' assignees, PostgreSQL only: "Mine" and a search naming a person or
team test ``assignees @> '[{"type": …, "id": …}]'`` (``incidents.assignees.AssignedTo``).
Without it, "Mine" with no match read every incident of the organization: 488 ms with 10,000
open and 50,000 resolved (bench/pages.py). ``jsonb_path_ops``: smaller than the default operator
class, and containment is the only test made. A pending list of at most 256 kB (not the
default 4 MB): new entries wait there, unsorted, until the next flush, and every search reads
all of it; with 4 MB left by the bench's inserts, "Mine" read 393 pages, 24 ms, to find nothing
(0.14 ms once flushed). SQLite has no GIN index (nor ``@>``): there the test reads the array
with ``json_each``, and the index is not created.
"""

from django.db import migrations

CREATE = (
    'CREATE INDEX IF NOT EXISTS "incident_assignees" ON "incidents_incident" '
    'USING gin ("assignees" jsonb_path_ops) WITH (gin_pending_list_limit = 256)'
)
DROP = 'DROP INDEX IF EXISTS "incident_assignees"'


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0010_incidentevent_event_no_db_constraint"),
    ]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
