"""Writing many rows at once where Django's bulk helpers cost more than the writes.

Both helpers run one prepared statement for every row (``executemany``: psycopg sends them in
one pipeline, and the server plans the statement once). Django's ``bulk_create`` and
``bulk_update`` build one large statement instead, whose compiling and adaptation (arrays for
``UNNEST``, a ``CASE`` branch per row and field) cost more Python: about 30% more for the few
rows of a live evaluation chunk (``bench/evaluation.py``).
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models


def insert_each(objects: Sequence[models.Model]) -> None:
    """``bulk_create``, cheaper: each object's row inserted; no signals, no ``save()``.

    A primary key the database generates (an auto-increment id) is not read back: for rows
    nothing refers to in the same transaction (links, timeline entries, records).
    """
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the proxy looks it up
    meta = type(objects[0])._meta
    fields = [field for field in meta.concrete_fields if not field.db_returning]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rows = []
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="insert_each")
        rows.append([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
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
