"""Evaluation cost per event, in one process, without a broker or a web server.

    .venv/bin/python bench/evaluation.py [--events 2000] [--chunks 8,16,32,64]

Stores events (each a new incident, as in ``bench/ingest.py``) in a scratch PostgreSQL
database, then evaluates them in chunks of each size, as live tasks do, and prints for each
size: this process's CPU time per event, the CPU time of its PostgreSQL backend per event,
and statements per event (those through Django's cursor: the ``COPY`` of each table
``pinghome.rows`` writes is not among them). Live load hands events over a few at a time: the
small sizes show what the fixed cost of a chunk weighs there.
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:13]) / CLOCK_TICKS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--chunks", default="8,16,32,64")
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    options = parser.parse_args()

    with psycopg.connect(options.admin_database_url, autocommit=True) as admin:
        admin.execute('DROP DATABASE IF EXISTS "pinghome_bench_evaluation" WITH (FORCE)')
        admin.execute('CREATE DATABASE "pinghome_bench_evaluation"')
    os.environ["DATABASE_URL"] = (
        options.admin_database_url.rsplit("/", 1)[0] + "/pinghome_bench_evaluation"
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghome.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.services import bootstrap
    from rulesets import evaluation
    from rulesets.models import Ruleset
    from webhooks.models import Webhook, WebhookEvent

    call_command("migrate", verbosity=0)
    tenant = bootstrap(org_name="Bench", team_name="Ops", email="bench@example.com")
    webhook = Webhook.objects.create(organization=tenant.organization, name="bench")
    ruleset = Ruleset.objects.create(
        organization=tenant.organization,
        team=tenant.team,
        created_by=tenant.user,
        rule_type="webhook",
        level="team",
        name="Firing",
        urgency="high",
        dedup_key="key",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}
        ],
    )
    ruleset.webhooks.set([webhook])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    print(f"{options.events} events per chunk size, each a new incident")
    print(f"{'chunk':>6}{'worker ms/event':>17}{'postgres ms/event':>19}{'statements/event':>18}")
    for size in [int(s) for s in options.chunks.split(",")]:
        events = WebhookEvent.objects.bulk_create(
            WebhookEvent(
                webhook=webhook,
                body=f'{{"status": "firing", "key": "{uuid.uuid4().hex}"}}'.encode(),
                content_type="application/json",
                headers={"Content-Type": "application/json"},
                ip="127.0.0.1",
            )
            for _ in range(options.events)
        )
        ids = [str(event.pk) for event in events]
        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        cpu, pg = time.process_time(), backend_cpu_seconds(backend)
        with connection.execute_wrapper(count):
            for start in range(0, len(ids), size):
                evaluation.evaluate_events(ids[start : start + size])
        cpu, pg = time.process_time() - cpu, backend_cpu_seconds(backend) - pg
        n = len(ids)
        print(f"{size:6d}{cpu / n * 1000:17.3f}{pg / n * 1000:19.3f}{statements / n:18.2f}")


if __name__ == "__main__":
    main()
