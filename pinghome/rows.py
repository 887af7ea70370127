"""Writing many rows at once where Django's bulk helpers cost more than the writes.

On PostgreSQL, ``insert_each`` streams the rows through one ``COPY``; elsewhere (SQLite) and in
``update_each``, each row runs one prepared statement (``executemany``: psycopg sends them in
one pipeline, and the server plans the statement once). Django's ``bulk_create`` and
``bulk_update`` build one large statement instead, whose compiling and adaptation (arrays for
``UNNEST``, a ``CASE`` branch per row and field) cost more Python: about 30% more for the few
rows of a live evaluation chunk (``bench/evaluation.py``).
"""

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

# Fields whose Python value ``COPY`` takes as is: psycopg writes it as text, PostgreSQL parses
# that for the column's type, as it does Django's converted value (the same value here, or its
# ``str``). A naive datetime is read in the connection's time zone, UTC, as Django would make it
# aware in ``TIME_ZONE``, also UTC. Django's conversion of one value costs 0.4-2.5 µs, 28 µs for
# an incident's row: skipping it took evaluation's CPU per event from 0.17 to 0.15 ms in chunks of
# 64, from 0.25 to 0.22 in chunks of 16 (``bench/evaluation.py``).
COPIED_AS_IS = (
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.IntegerField,
    models.TextField,
    models.UUIDField,
)


def _reader(
    field: models.Field, connection: BaseDatabaseWrapper, *, copying: bool
) -> Callable[[models.Model], Any]:
    """What ``insert_each`` writes of ``field`` for an object."""
    target = field.target_field if field.is_relation else field
    if (
        copying
        and isinstance(target, COPIED_AS_IS)
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)  # set by ``pre_save``
    ):
        return attrgetter(field.attname)

    def prepared(obj: models.Model) -> Any:
        value = field.pre_save(obj, True)
        # NULL needs no conversion by any of the fields used here (the built-in ones).
        return None if value is None else field.get_db_prep_save(value, connection)

    return prepared


def insert_each(objects: Sequence[models.Model]) -> None:
    """``bulk_create``, cheaper: each object's row inserted; no signals, no ``save()``.

    A primary key the database generates (an auto-increment id) is not read back: for rows
    nothing refers to in the same transaction (links, timeline entries, records). Constraints,
    defaults and triggers apply as to an INSERT; ``COPY`` does not go through Django's query
    log (``assertNumQueries`` sees none).
    """
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the proxy looks it up
    meta = type(objects[0])._meta
    fields = [field for field in meta.concrete_fields if not field.db_returning]
    quote = connection.ops.quote_name
    table, columns = quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
    copying = connection.vendor == "postgresql"
    readers = [_reader(field, connection, copying=copying) for field in fields]
    rows = []
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="insert_each")
        rows.append([read(obj) for read in readers])
    with connection.cursor() as cursor:
        if copying:
            # At 64 rows of an evaluation chunk, about 10% less CPU in this process and 18% in
            # the server than a prepared INSERT per row (``bench/evaluation.py``).
            with connection.wrap_database_errors:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def update_each(objects: Sequence[models.Model], fields: list[str]) -> None:
    """Save ``fields`` of each object, whose values differ per row: ``bulk_update``, cheaper.

    One ``UPDATE … WHERE pk = %s`` per row.
    """
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    meta = type(objects[0])._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [meta.pk.get_db_prep_value(obj.pk, connection)]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
