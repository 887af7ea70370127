"""Events at scale: ingest throughput and the events API's latency with 10 million events stored,
against an empty table (PostgreSQL, the events table partitioned by week: webhooks.retention).

    .venv/bin/python bench/events_at_scale.py [--events 10000000] [--seconds 10]

The product runs as in production (gunicorn, a Celery worker, Redis) twice, each on a database of
its own: one whose events table stays empty, one where ``--events`` rows spread over the last 30
days and 20 webhooks (the one measured among them) are written straight into the table
(``INSERT ... SELECT generate_series``, evaluated already: no backlog) and analyzed. Then
``--rounds`` rounds measure both, in alternating order (a shared machine's drift, easily 25%
over minutes, hits both sides alike):

- ingest: as many POSTs as ``--connections`` keep-alive connections carry for ``--seconds``
  (accepted/s, the mean of the rounds; p50/p99 over all of them);
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
# The largest ingest limit: the bench measures accepting events, not refusing them (at the
# default 6,000 a minute an idle machine's rounds accepted 6,000, 12,000 or 0 events).
UNLIMITED = {"max_events_per_minute": 1_000_000}
FILL_CHUNK = 1_000_000


def timed_gets(session: requests.Session, url: str, params: dict, requests_: int) -> dict:
    latencies = []
    for _ in range(requests_):
        start = time.perf_counter()
        response = session.get(url, params=params)
        latencies.append(time.perf_counter() - start)
        response.raise_for_status()
    return latencies


def measure(side: dict, options, figures: dict) -> None:
    """One round on one side: add its figures (rates, latencies) to ``figures``."""
    api, session, webhook = side["api"], side["session"], side["webhook"]
    ingest = drive(
        side["port"],
        f"/v1/incident/webhook/{webhook}",
        seconds=options.seconds,
        connections=options.connections,
    )
    figures.setdefault("ingest_per_second", []).append(ingest["per_second"])
    figures.setdefault("ingest", []).extend(ingest["latencies"])
    events = f"{api}/webhook/{webhook}/events"
    back = (datetime.now(UTC) - timedelta(days=20)).isoformat().replace("+00:00", "Z")
    gets = {
        "list_newest": (events, {"limit": 50}),
        "list_20_days_back": (events, {"limit": 50, "last_received_at": back}),
    }
    if side.get("event_id"):
        gets["one_event"] = (f"{api}/webhook/{webhook}/event/{side['event_id']}", {})
    for name, (url, params) in gets.items():
        figures.setdefault(name, []).extend(timed_gets(session, url, params, options.requests))


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
                "'{\"rulesets\": []}'::jsonb, 0 FROM generate_series(%s::bigint, %s::bigint) AS g",
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


def line(label: str, empty: list[float], full: list[float] | None = None) -> str:
    def ms(latencies: list[float]) -> str:
        latencies = sorted(latencies)
        p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
        return f"{p50:7.1f} / {p99:7.1f} ms"

    if full is None:
        return f"  {label:28} {ms(empty)} (p50 / p99)"
    return f"  {label:28} empty {ms(empty)}   full {ms(full)} (p50 / p99)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=100, help="per API figure and round")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=18831, help="and the next one")
    parser.add_argument("--database-name", default="pinghome_bench_scale", help="and _empty")
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--empty-broker-url", default="redis://127.0.0.1:6379/12")
    options = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} cores; {options.web_workers} web processes x 4 threads, "
        f"{options.connections} connections, {options.rounds} rounds of {options.seconds:.0f} s "
        f"of ingest and {options.requests} requests per API figure on each side"
    )
    sides = {
        "empty": {"database": options.database_name + "_empty", "port": options.port + 1},
        "full": {"database": options.database_name, "port": options.port},
    }
    sides["empty"]["broker"], sides["full"]["broker"] = options.empty_broker_url, options.broker_url
    # The weeks of the last 30 days, as if events had been arriving for that long.
    weeks = "from datetime import timedelta; from django.utils import timezone; "
    weeks += "from webhooks import retention; "
    weeks += "retention.create_weeks(since=timezone.now() - timedelta(days=31))"
    for side in sides.values():
        redis.Redis.from_url(side["broker"]).flushdb()
        side["url"] = fresh_database(options.admin_database_url, side["database"])
        manage(side["url"], "migrate", "--noinput", "-v0")
        manage(side["url"], "shell", "-v", "0", "-c", weeks)
        tenant = json.loads(
            manage(side["url"], "bootstrap", "--org", "S", "--team", "Ops", "--email", "s@x.test")
        )
        side["api"] = f"http://127.0.0.1:{side['port']}/v1"
        side["session"] = requests.Session()
        side["session"].headers["Authorization"] = f"Bearer {tenant['token']}"

    def stack(side):
        return service_processes(
            database=side["url"],
            broker=side["broker"],
            port=side["port"],
            web_workers=options.web_workers,
            worker_niceness=19,
        )

    figures: dict[str, dict] = {"empty": {}, "full": {}}
    with stack(sides["empty"]), stack(sides["full"]):
        for side in sides.values():
            side["webhooks"] = [
                side["session"]
                .post(f"{side['api']}/webhook", json={"name": f"w{n}", **UNLIMITED})
                .json()["id"]
                for n in range(WEBHOOKS)
            ]
            side["webhook"] = side["webhooks"][0]
        full = sides["full"]
        print(f"writing {options.events:,} events over 30 days and {WEBHOOKS} webhooks:")
        seconds, full["event_id"] = fill(full["url"], full["webhooks"], options.events)
        print(f"  {seconds:.0f} s in all")
        for round_ in range(options.rounds):
            order = ["empty", "full"] if round_ % 2 == 0 else ["full", "empty"]
            for name in order:
                measure(sides[name], options, figures[name])
            rates = {name: figures[name]["ingest_per_second"][-1] for name in order}
            print(f"  round {round_ + 1}: " + ", ".join(f"{n} {r:.0f}/s" for n, r in rates.items()))

    empty, full = figures["empty"], figures["full"]
    empty_rate = sum(empty["ingest_per_second"]) / options.rounds
    full_rate = sum(full["ingest_per_second"]) / options.rounds
    print(f"\nwith {options.events:,} events stored against an empty table:")
    print(
        f"  ingest                       empty {empty_rate:7.0f} events/s   full "
        f"{full_rate:7.0f} events/s: {full_rate / empty_rate:.0%} (target >= 90%)"
    )
    print(line("ingest latency", empty["ingest"], full["ingest"]))
    print(line("events list, newest page", empty["list_newest"], full["list_newest"]))
    print(line("events list, 20 days back", empty["list_20_days_back"], full["list_20_days_back"]))
    print(line("one event 25 days old", full["one_event"]))


if __name__ == "__main__":
    main()
