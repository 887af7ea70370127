"""One escalation tick over 10,000 open incidents, 1,000 of them due: its time and statements.

    .venv/bin/python bench/escalation.py [--incidents 10000] [--due 1000] [--teams 10]
        [--broker-url redis://127.0.0.1:6379/14]

In a scratch PostgreSQL database: ``--teams`` teams of 3 members, one on call around the
clock; each team's default policy pages its on-call at once, then 5 minutes later its on-call
and its lead. ``--incidents`` triggered incidents spread over the teams are past step 1, the
first ``--due`` of them with step 2 due. One tick then runs step 2 of each due incident (cold:
nothing cached in the process), writes the delivery rows of its pages and hands each batch's to
Celery after commit in one message, through the broker at ``--broker-url`` (a database number
of its own: the bench empties it before and after). Prints the tick's wall time (target < 1 s),
the CPU time of this process and of its PostgreSQL backend (steadier on a busy machine), and
its statements (Django's cursor, plus the ``COPY`` of the timeline entries).
"""

import argparse
import os
import sys
import time
import uuid
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evaluation import backend_cpu_seconds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    options = parser.parse_args()

    with psycopg.connect(options.admin_database_url, autocommit=True) as admin:
        admin.execute('DROP DATABASE IF EXISTS "pinghome_bench_escalation" WITH (FORCE)')
        admin.execute('CREATE DATABASE "pinghome_bench_escalation"')
    os.environ["DATABASE_URL"] = (
        options.admin_database_url.rsplit("/", 1)[0] + "/pinghome_bench_escalation"
    )
    os.environ["CELERY_BROKER_URL"] = options.broker_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghome.settings")
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Organization, Team, TeamMember, User
    from escalation import services
    from escalation.models import EscalationPolicy, EscalationStep, PagedUser
    from incidents.models import Incident
    from pinghome.rows import insert_each
    from schedules.models import ScheduleEntry

    broker = redis.Redis.from_url(options.broker_url)
    broker.flushdb()
    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench")
    now = timezone.now()
    teams = []
    for t in range(options.teams):
        team = Team.objects.create(organization=organization, name=f"Team {t}")
        members = [
            TeamMember.objects.create(
                team=team,
                user=User.objects.create_user(f"u{t}-{m}@bench.test", organization=organization),
            )
            for m in range(3)
        ]
        ScheduleEntry.objects.create(
            team=team,
            team_member=members[0],
            week_days=list(range(7)),
            start_time=clock_time(0),
            end_time=clock_time(0),
        )
        policy = EscalationPolicy.objects.get(team=team, is_team_default=True)
        on_call = {"type": "oncall", "id": str(team.pk)}
        EscalationStep.objects.create(
            policy=policy,
            position=1,
            delay_minutes=5,
            targets=[on_call, {"type": "user", "id": str(members[1].user_id)}],
        )
        teams.append((team, policy))
    incidents = []
    for n in range(options.incidents):
        team, policy = teams[n % len(teams)]
        due = n < options.due
        incidents.append(
            Incident(
                id=uuid.uuid4(),
                organization=organization,
                team=team,
                name=f"Incident {n}",
                urgency="high",
                escalation_policy=policy,
                escalation_cycle=1,
                escalation_step=1,
                next_escalation_at=now + (timedelta(minutes=-1) if due else timedelta(hours=1)),
                created_at=now - timedelta(minutes=6),
                updated_at=now,
            )
        )
    insert_each(incidents)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE incidents_incident")

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    start, cpu, pg = time.perf_counter(), time.process_time(), backend_cpu_seconds(backend)
    with connection.execute_wrapper(count):
        ran = services.escalate_due()
    elapsed = time.perf_counter() - start
    cpu, pg = time.process_time() - cpu, backend_cpu_seconds(backend) - pg
    messages = broker.llen("notifications")
    broker.flushdb()
    pages = PagedUser.objects.filter(step=2).count()

    print(
        f"one tick over {options.incidents} open incidents, {options.due} due, "
        f"{options.teams} teams (PostgreSQL, broker {options.broker_url}):"
    )
    print(f"  steps run:          {ran}")
    print(f"  wall time:          {elapsed * 1000:8.1f} ms  (target < 1000 ms)")
    print(f"  CPU time:           {cpu * 1000:8.1f} ms here, {pg * 1000:.1f} ms in PostgreSQL")
    print(f"  pages decided:      {pages}, handed to the broker in {messages} messages")
    print(f"  statements:         {statements} through Django's cursor, + 1 COPY per batch")


if __name__ == "__main__":
    main()
