"""Events at scale: ingest throughput and the events API's latency with 10 million events stored,
against an empty table (PostgreSQL, the events table partitioned by week: webhooks.retention).

    .venv/bin/python bench/events_at_scale.py [--events 10000000] [--seconds 10]

The product runs as in production (gunicorn, a Celery worker, Redis) on a database of its own.
Each measurement is taken with the table empty, then again after ``--events`` rows spread over
the last 30 days and 20 webhooks (the one measured among them) are written straight into the
table (``INSERT ... SELECT generate_series``, evaluated already: no backlog) and analyzed, and
ingest once more with the table emptied again (the ratio is against the mean of both empty
runs: the machine's drift while the table fills hits both sides):

- ingest: as many POSTs as ``--connections`` keep-alive connections carry (accepted/s, p50/p99);
- events list: ``GET /v1/webhook/{id}/events?limit=50``, the newest page and a page 20 days back
  (``last_received_at``), one request at a time (p50/p99);
- one event: ``GET /v1/webhook/{id}/event/{event_id}`` of an event 25 days old.

The target: with the events stored, at least 90% of the empty table's ingest throughput.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import drive, fresh_database, manage, percentile  # noqa: E402
from pinghome.processes import service_processes  # noqa: E402

WEBHOOKS = 20
FILL_CHUNK = 1_000_000


def timed_gets(session: requests.Session, url: str, params: dict, requests_: int) -> dict:
    latencies = []
    for _ in range(requests_):
        start = time.perf_counter()
        response = session.get(url, params=params)
        latencies.append(time.perf_counter() - start)
        response.raise_for_status()
    latencies.sort()
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}


def measure(api: str, session, port: int, webhook: str, event_id: str | None, options) -> dict:
    ingest = drive(
        port,
        f"/v1/incident/webhook/{webhook}",
        seconds=options.seconds,
        connections=options.connections,
    )
    events = f"{api}/webhook/{webhook}/events"
    back = (datetime.now(UTC) - timedelta(days=20)).isoformat().replace("+00:00", "Z")
    figures = {
        "ingest_per_second": ingest["per_second"],
        "ingest_p50": percentile(ingest["latencies"], 50),
        "ingest_p99": percentile(ingest["latencies"], 99),
        "list_newest": timed_gets(session, events, {"limit": 50}, options.requests),
        "list_20_days_back": timed_gets(
            session, events, {"limit": 50, "last_received_at": back}, options.requests
        ),
    }
    if event_id:
        figures["one_event"] = timed_gets(
            session, f"{api}/webhook/{webhook}/event/{event_id}", {}, options.requests
        )
    return figures


def fill(database: str, webhook_ids: list[str], events: int) -> tuple[float, str]:
    """Write ``events`` evaluated events over the last 30 days; seconds taken, and the id of
    one 25 days old of the first webhook."""
    start = time.monotonic()
    with psycopg.connect(database, autocommit=True) as connection:
        for first in range(0, events, FILL_CHUNK):
            last = min(events, first + FILL_CHUNK)
            connection.execute(
                "INSERT INTO webhooks_webhookevent (id, webhook_id, received_at, content_type, "
                "body, headers, ip, evaluated_at, evaluation, evaluation_attempts) "
                "SELECT gen_random_uuid(), (%s::uuid[])[1 + g %% %s], "
                "now() - interval '30 days' * g / %s, 'application/json', "
                'convert_to(\'{"status": "firing", "service": "s\' || g %% 997 || '
                "'\", \"n\": ' || g || '}', 'UTF8'), '{\"User-Agent\": \"bench\"}'::jsonb, "
                "'192.0.2.1', now() - interval '30 days' * g / %s, "
                "'{\"rulesets\": []}'::jsonb, 0 FROM generate_series(%s, %s) AS g",
                [webhook_ids, len(webhook_ids), events, events, first + 1, last],
            )
            print(f"  {last:,} events written ({time.monotonic() - start:.0f} s)", flush=True)
        connection.execute("VACUUM ANALYZE webhooks_webhookevent")
        event_id = connection.execute(
            "SELECT id FROM webhooks_webhookevent WHERE webhook_id = %s "
            "AND received_at < now() - interval '25 days' "
            "ORDER BY received_at DESC LIMIT 1",
            [webhook_ids[0]],
        ).fetchone()[0]
        size = connection.execute(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'webhooks_webhookevent'::regclass"
        ).fetchone()[0]
    print(f"  analyzed; the events take {size} with their indexes")
    return time.monotonic() - start, str(event_id)


def line(label: str, empty: dict, full: dict, unit: str = "ms") -> str:
    scale = 1000 if unit == "ms" else 1
    return (
        f"  {label:28} empty {empty['p50'] * scale:7.1f} / {empty['p99'] * scale:7.1f} {unit}"
        f"   {full['p50'] * scale:7.1f} / {full['p99'] * scale:7.1f} {unit} (p50 / p99)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200, help="per API measurement")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=18831)
    parser.add_argument("--database-name", default="pinghome_bench_scale")
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/13")
    options = parser.parse_args()

    redis.Redis.from_url(options.broker_url).flushdb()
    database = fresh_database(options.admin_database_url, options.database_name)
    manage(database, "migrate", "--noinput", "-v0")
    # The weeks of the last 30 days, as if events had been arriving for that long.
    weeks = "from datetime import timedelta; from django.utils import timezone; "
    weeks += "from webhooks import retention; "
    weeks += "retention.create_weeks(since=timezone.now() - timedelta(days=31))"
    manage(database, "shell", "-v", "0", "-c", weeks)
    tenant = json.loads(
        manage(database, "bootstrap", "--org", "Scale", "--team", "Ops", "--email", "s@example.com")
    )
    api = f"http://127.0.0.1:{options.port}/v1"
    print(
        f"machine: {os.cpu_count()} cores; {options.web_workers} web processes x 4 threads, "
        f"{options.connections} connections, {options.seconds:.0f} s of ingest, "
        f"{options.requests} requests per API figure"
    )
    with service_processes(
        database=database,
        broker=options.broker_url,
        port=options.port,
        web_workers=options.web_workers,
        worker_niceness=19,
    ):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tenant['token']}"
        webhooks = [
            session.post(f"{api}/webhook", json={"name": f"scale {n}"}).json()["id"]
            for n in range(WEBHOOKS)
        ]
        empty = measure(api, session, options.port, webhooks[0], None, options)
        print(f"empty table: {empty['ingest_per_second']:.0f} events/s accepted")
        print(f"writing {options.events:,} events over 30 days and {WEBHOOKS} webhooks:")
        seconds, event_id = fill(database, webhooks, options.events)
        print(f"  {seconds:.0f} s in all")
        full = measure(api, session, options.port, webhooks[0], event_id, options)
        # Empty again, so that the machine's drift during the fill hits both sides.
        with psycopg.connect(database, autocommit=True) as connection:
            connection.execute("TRUNCATE webhooks_webhookevent")
        after = measure(api, session, options.port, webhooks[0], None, options)

    baseline = (empty["ingest_per_second"] + after["ingest_per_second"]) / 2
    ratio = full["ingest_per_second"] / baseline
    print(f"\nwith {options.events:,} events stored against an empty table (before / after):")
    print(
        f"  ingest                       empty {empty['ingest_per_second']:7.0f} / "
        f"{after['ingest_per_second']:.0f} events/s   {full['ingest_per_second']:7.0f} events/s: "
        f"{ratio:.0%} of their mean (target >= 90%)"
    )
    print(
        line(
            "ingest latency",
            {"p50": empty["ingest_p50"], "p99": empty["ingest_p99"]},
            {"p50": full["ingest_p50"], "p99": full["ingest_p99"]},
        )
    )
    print(line("events list, newest page", empty["list_newest"], full["list_newest"]))
    print(line("events list, 20 days back", empty["list_20_days_back"], full["list_20_days_back"]))
    print(
        f"  one event 25 days old        {full['one_event']['p50'] * 1000:7.1f} / "
        f"{full['one_event']['p99'] * 1000:7.1f} ms (p50 / p99)"
    )


if __name__ == "__main__":
    main()
