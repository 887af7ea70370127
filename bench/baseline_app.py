"""The bare baseline: a WSGI app that does one INSERT per request, on the same stack.

Run by bench/ingest.py under gunicorn to measure what the hardware gives before pinghome's code.
"""

import json
import os
import uuid

import psycopg

TABLE = "bench_baseline_event"
_connection = None


def _db():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["BASELINE_DATABASE_URL"], autocommit=True)
    return _connection


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    event_id = uuid.uuid4()
    _db().execute(
        f"INSERT INTO {TABLE} (id, body, content_type, received_at) VALUES (%s, %s, %s, now())",
        (event_id, body, environ.get("CONTENT_TYPE", "")),
    )
    payload = json.dumps({"message": "ok", "event_id": str(event_id)}).encode()
    start_response("202 Accepted", [("Content-Type", "application/json")])
    return [payload]


def create_table(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id uuid PRIMARY KEY, body bytea, "
            "content_type varchar(255), received_at timestamptz)"
        )
