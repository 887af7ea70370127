"""Page rendering benchmark: server-side time of the responder and public pages on a big tenant.

    .venv/bin/python bench/pages.py [--requests 20] [--reuse] [--database NAME] [--only WORDS ...]

Creates a fresh PostgreSQL database, migrates it, fills one organization with 10,000 incidents
over a year (about 100 unresolved, holding status-page components), 100,000 webhook events
attached to them, with their timelines, 20,000 pages to its responders, and a year of history
of its status page (outages of each component, notices with their updates), and another
organization in a storm: 10,000 open incidents (a third acknowledged, each with its timeline,
assigned to its 20 responders) and 50,000 resolved ones. Then renders each page in-process
with Django's test Client and prints the median time of ``--requests`` requests and the
queries one request runs. Target: every page under 200 ms (the public status page under
100 ms), the report over a year included.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import fresh_database, manage  # noqa: E402

INCIDENTS = 10_000
EVENTS = 100_000
UNRESOLVED = 100
STORM_OPEN = 10_000
STORM_RESOLVED = 50_000
DETAIL_TIMELINE = 200
COMPONENTS = 12
BATCH = 5_000
TARGET_MS = 200
PUBLIC_TARGET_MS = 100
OUTAGES_PER_WEEK = 3  # per component, each of 20 minutes to 4 hours
NOTICES = 200  # over the year, 3 updates each
PAGES_PER_INCIDENT = 2
DATABASE = "pinghome_bench_pages"


def body(n: int) -> bytes:
    """An Alertmanager-like alert, a few hundred bytes."""
    return (
        '{"receiver": "pinghome", "status": "firing", "alerts": [{"status": "firing", '
        f'"labels": {{"alertname": "HighErrorRate", "service": "service-{n % 500}", '
        f'"severity": "page", "instance": "10.0.{n % 250}.{n % 200}:9090"}}, '
        '"annotations": {"summary": "Error rate above 5% for 5 minutes", '
        '"runbook_url": "https://runbooks.example.com/high-error-rate"}, '
        f'"startsAt": "2025-01-01T00:00:00Z", "fingerprint": "{n:016x}"}}], '
        '"groupLabels": {"alertname": "HighErrorRate"}, "version": "4"}'
    ).encode()


HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "Alertmanager/0.27.0",
    "Content-Length": "520",
    "Host": "pinghome.example.com",
    "Accept-Encoding": "gzip",
    "X-Forwarded-For": "10.1.2.3",
}


def populate():
    """One organization: webhooks, a ruleset, incidents, events, timelines, a status page."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import TeamMember, User
    from accounts.services import bootstrap
    from incidents.models import (
        Incident,
        IncidentAction,
        IncidentEvent,
        IncidentStatus,
        TimelineEntry,
        TimelineKind,
        Urgency,
    )
    from notifications.models import Delivery, DeliveryState
    from rulesets.models import Ruleset
    from statuspages.models import Component, ComponentHold, ComponentStatus, StatusPage
    from webhooks.models import Webhook, WebhookEvent

    tenant = bootstrap(org_name="Bench", team_name="Ops", email="bench@example.com")
    org, team = tenant.organization, tenant.team
    responders = []
    for n in range(20):
        user = User.objects.create_user(
            f"responder{n}@example.com",
            organization=org,
            time_zone=["Europe/Berlin", "America/New_York", ""][n % 3],
        )
        TeamMember.objects.create(team=team, user=user)
        responders.append(user)
    webhooks = [Webhook.objects.create(organization=org, name=f"source {n}") for n in range(4)]
    ruleset = Ruleset.objects.create(
        organization=org,
        team=team,
        level="team",
        rule_type="webhook",
        name="High error rate",
        urgency=Urgency.HIGH,
        dedup_key="alerts[0].labels.service",
    )
    page = StatusPage.objects.create(organization=org, name="Bench status")
    now = timezone.now()
    start = now - timedelta(days=365)
    components = Component.objects.bulk_create(
        Component(
            status_page=page,
            name=f"component-{n}",
            public_name=f"Component {n}",
            created_at=start,
            updated_at=start,
        )
        for n in range(COMPONENTS)
    )

    step = (now - start) / INCIDENTS
    urgencies = list(Urgency.values)
    incidents = []
    for n in range(INCIDENTS):
        created = start + step * n
        unresolved = n >= INCIDENTS - UNRESOLVED or n == 0
        status = (
            IncidentStatus.RESOLVED
            if not unresolved
            else IncidentStatus.ACKNOWLEDGED
            if n % 3 == 0
            else IncidentStatus.TRIGGERED
        )
        incidents.append(
            Incident(
                organization=org,
                team=team,
                name=f"service-{n % 500} error rate above 5%",
                description="Error rate above 5% for 5 minutes",
                urgency=urgencies[n % 4],
                status=status,
                ruleset=ruleset,
                dedup_key=f"service-{n}",
                created_at=created,
                updated_at=created,
                acknowledged_at=created + timedelta(minutes=3)
                if status != IncidentStatus.TRIGGERED
                else None,
                resolved_at=created + timedelta(minutes=30)
                if status == IncidentStatus.RESOLVED
                else None,
                assignees=[{"type": "team", "id": str(team.pk)}],
            )
        )
    Incident.objects.bulk_create(incidents, batch_size=BATCH)
    detail = incidents[0]  # the incident whose page is measured: 200 timeline entries

    # Events: the first DETAIL_TIMELINE - 2 belong to the measured incident, the rest are spread
    # over the other incidents (about 10 each), received shortly after each one opened.
    def owner_of(n: int) -> Incident:
        if n < DETAIL_TIMELINE - 2:
            return detail
        return incidents[1 + (n % (INCIDENTS - 1))]

    events, links, entries = [], [], []
    seen: set = set()
    for n in range(EVENTS):
        incident = owner_of(n)
        received = incident.created_at + timedelta(seconds=n % 600 + n / EVENTS)
        event = WebhookEvent(
            id=uuid.uuid4(),
            webhook=webhooks[0] if n % 10 else webhooks[1 + n % 3],
            received_at=received,
            content_type="application/json",
            body=body(n),
            headers=HEADERS,
            ip="10.1.2.3",
            evaluated_at=received,
            evaluation={
                "rulesets": [
                    {
                        "ruleset_id": str(ruleset.pk),
                        "ruleset": ruleset.name,
                        "outcome": "attached" if incident.pk in seen else "opened",
                        "dedup_key": incident.dedup_key,
                        "incident_id": str(incident.pk),
                    }
                ]
            },
        )
        events.append(event)
        links.append(IncidentEvent(incident=incident, event=event, created_at=received))
        entries.append(
            TimelineEntry(
                incident=incident,
                kind=TimelineKind.EVENT_ATTACHED if incident.pk in seen else TimelineKind.CREATED,
                created_at=received,
                actor=f"ruleset:{ruleset.name}",
                message="Event attached"
                if incident.pk in seen
                else f"Opened by ruleset {ruleset.name}",
                data={"event_id": str(event.id)},
            )
        )
        seen.add(incident.pk)
        if len(events) == BATCH:
            WebhookEvent.objects.bulk_create(events)
            IncidentEvent.objects.bulk_create(links)
            events, links = [], []
    WebhookEvent.objects.bulk_create(events)
    IncidentEvent.objects.bulk_create(links)
    for incident in incidents:
        if incident.acknowledged_at:
            entries.append(
                TimelineEntry(
                    incident=incident,
                    kind=TimelineKind.ACKNOWLEDGED,
                    created_at=incident.acknowledged_at,
                    actor_user=tenant.user,
                    actor=tenant.user.email,
                    message=f"Acknowledged by {tenant.user.email}",
                )
            )
        if incident.resolved_at:
            entries.append(
                TimelineEntry(
                    incident=incident,
                    kind=TimelineKind.RESOLVED,
                    created_at=incident.resolved_at,
                    actor_user=tenant.user,
                    actor=tenant.user.email,
                    message=f"Resolved by {tenant.user.email}",
                )
            )
    TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    counts = {pk: 0 for pk in seen}
    for link_owner in (owner_of(n) for n in range(EVENTS)):
        counts[link_owner.pk] += 1
    for incident in incidents:
        incident.event_count = counts.get(incident.pk, 0)
    Incident.objects.bulk_update(incidents, ["event_count"], batch_size=BATCH)
    timeline_length = TimelineEntry.objects.filter(incident=detail).count()
    if timeline_length < DETAIL_TIMELINE:
        TimelineEntry.objects.bulk_create(
            TimelineEntry(
                incident=detail,
                kind=TimelineKind.NOTIFIED,
                created_at=now - timedelta(seconds=n),
                actor="system",
                message=f"Notified responder{n % 20}@example.com",
            )
            for n in range(DETAIL_TIMELINE - timeline_length)
        )

    # The unresolved incidents hold components, as their trigger-alerts actions would.
    unresolved = [i for i in incidents if i.status != IncidentStatus.RESOLVED]
    IncidentAction.objects.bulk_create(
        IncidentAction(
            incident=incident,
            type="trigger-alerts",
            state="succeeded",
            attempts=1,
            settings=[
                {"status_page_id": str(page.pk), "component_id": str(c.pk)}
                for c in components[n % COMPONENTS : n % COMPONENTS + 2]
            ],
        )
        for n, incident in enumerate(unresolved)
    )
    ComponentHold.objects.bulk_create(
        ComponentHold(component=c, incident=incident, status=ComponentStatus.MAJOR_OUTAGE)
        for n, incident in enumerate(unresolved[:20])
        for c in components[n % COMPONENTS : n % COMPONENTS + 2]
    )
    Delivery.objects.bulk_create(
        (
            Delivery(
                key=f"page:{incident.pk}:{k}",
                organization=org,
                team=team,
                incident=incident,
                user=responders[(n + k) % len(responders)],
                method="email",
                target="responder@example.com",
                reason="opened",
                state=DeliveryState.SENT,
                created_at=incident.created_at + timedelta(seconds=k),
            )
            for n, incident in enumerate(incidents)
            for k in range(PAGES_PER_INCIDENT)
        ),
        batch_size=BATCH,
    )
    status_history(page, components, start, now, tenant.user)
    Component.objects.filter(holds__isnull=False).update(
        status=ComponentStatus.MAJOR_OUTAGE, updated_at=now - timedelta(hours=1)
    )
    with connection.cursor() as cursor:  # as autovacuum leaves old rows: all-visible
        cursor.execute("VACUUM ANALYZE")
    return tenant.user, detail, webhooks[0], page


def populate_storm():
    """An organization in a storm: STORM_OPEN open incidents and STORM_RESOLVED resolved ones."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import TeamMember, User
    from accounts.services import bootstrap
    from incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind, Urgency

    tenant = bootstrap(org_name="Storm", team_name="Platform", email="storm@example.com")
    org, team = tenant.organization, tenant.team
    members = [
        TeamMember.objects.create(
            team=team,
            user=User.objects.create_user(
                f"oncall{n}@example.com", organization=org, name=f"On-call {n}"
            ),
        )
        for n in range(20)
    ]
    now = timezone.now()
    urgencies = list(Urgency.values)
    incidents = []
    for n in range(STORM_OPEN + STORM_RESOLVED):
        created = now - timedelta(seconds=n * 7)
        status = (
            IncidentStatus.RESOLVED
            if n >= STORM_OPEN
            else IncidentStatus.ACKNOWLEDGED
            if n % 3 == 0
            else IncidentStatus.TRIGGERED
        )
        incidents.append(
            Incident(
                organization=org,
                team=team,
                name=f"node-{n % 900} unreachable in zone {n % 7}",
                urgency=urgencies[n % 4],
                status=status,
                dedup_key=f"node-{n}",
                created_at=created,
                updated_at=created,
                last_event_at=created + timedelta(seconds=n % 300),
                acknowledged_at=created if status != IncidentStatus.TRIGGERED else None,
                resolved_at=created if status == IncidentStatus.RESOLVED else None,
                assignees=[{"type": "team_member", "id": str(members[n % 20].pk)}],
                event_count=1 + n % 5,
            )
        )
    Incident.objects.bulk_create(incidents, batch_size=BATCH)
    TimelineEntry.objects.bulk_create(
        (
            TimelineEntry(
                incident=incident,
                kind=kind,
                created_at=incident.created_at,
                actor_user=members[n % 20].user if kind == TimelineKind.ACKNOWLEDGED else None,
                actor="system",
                message=kind,
                data={"user_ids": [str(members[n % 20].user_id)]}
                if kind == TimelineKind.ESCALATED
                else {},
            )
            for n, incident in enumerate(incidents[:STORM_OPEN])
            for kind in (
                [TimelineKind.CREATED, TimelineKind.ESCALATED]
                + ([TimelineKind.ACKNOWLEDGED] if incident.acknowledged_at else [])
            )
        ),
        batch_size=BATCH,
    )
    with connection.cursor() as cursor:  # as autovacuum leaves old rows: all-visible
        cursor.execute("VACUUM ANALYZE")
    return tenant.user


def status_history(page, components, start, now, user) -> None:
    """A year of outages of each component (their status changes and daily rollups, as the
    status changes would write them), and notices with their updates."""
    import random

    from statuspages import uptime
    from statuspages.models import (
        ComponentStatus,
        Notice,
        NoticeStatus,
        NoticeUpdate,
        StatusChange,
    )

    rng = random.Random(19)
    statuses = [s for s in ComponentStatus.values if s != ComponentStatus.OPERATIONAL]
    changes = []
    weeks = (now - start).days // 7
    for component in components:
        for _ in range(weeks * OUTAGES_PER_WEEK):
            begin = start + timedelta(hours=rng.uniform(0, (now - start).total_seconds() / 3600))
            end = min(begin + timedelta(minutes=rng.uniform(20, 240)), now)
            status = rng.choice(statuses)
            uptime.add_period(component, status, begin, end)
            changes += [
                StatusChange(component=component, status=status, at=begin),
                StatusChange(component=component, status=ComponentStatus.OPERATIONAL, at=end),
            ]
    StatusChange.objects.bulk_create(changes, batch_size=BATCH)
    notices, updates = [], []
    step = (now - start) / NOTICES
    for n in range(NOTICES):
        opened = start + step * n
        last = NoticeStatus.MONITORING if n >= NOTICES - 2 else NoticeStatus.RESOLVED
        notice = Notice(
            status_page=page,
            title=f"Elevated error rates on component {n % COMPONENTS}",
            status=last,
            created_at=opened,
            updated_at=opened + timedelta(hours=2),
            resolved_at=opened + timedelta(hours=2) if last == NoticeStatus.RESOLVED else None,
        )
        notices.append(notice)
        for k, status in enumerate([NoticeStatus.INVESTIGATING, NoticeStatus.IDENTIFIED, last]):
            updates.append(
                NoticeUpdate(
                    notice=notice,
                    status=status,
                    message="We are looking into elevated error rates. " * 3,
                    created_at=opened + timedelta(hours=k),
                    created_by=user,
                )
            )
    Notice.objects.bulk_create(notices)
    NoticeUpdate.objects.bulk_create(updates, batch_size=BATCH)
    Notice.components.through.objects.bulk_create(
        Notice.components.through(notice=notice, component=components[n % COMPONENTS])
        for n, notice in enumerate(notices)
    )


def previous_run():
    from accounts.models import User
    from incidents.models import Incident
    from statuspages.models import StatusPage
    from webhooks.models import Webhook

    return (
        User.objects.get(email="bench@example.com"),
        Incident.objects.order_by("created_at").first(),
        Webhook.objects.get(name="source 0"),
        StatusPage.objects.get(),
        User.objects.get(email="storm@example.com"),
    )


def token_client(user):
    """A test Client sending an API token of ``user``."""
    from django.test import Client

    from accounts.models import ApiToken

    _, raw = ApiToken.issue(user, name="bench", scopes=["read"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def backend_cpu_ms(pid: int) -> float:
    """CPU time the PostgreSQL backend ``pid`` (on this machine) has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(client, path: str, requests: int) -> tuple[float, float, float, int, int]:
    """Median and worst ms of ``requests`` GETs (after two warm-ups), their mean CPU ms (this
    process and its database backend: what a request costs, whatever else the machine runs),
    queries of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = len(captured)  # now: the next request clears the connection's query log
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    timings = []
    cpu = time.process_time() * 1000 + backend_cpu_ms(backend)
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    cpu = (time.process_time() * 1000 + backend_cpu_ms(backend) - cpu) / requests
    return statistics.median(timings), max(timings), cpu, queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument(
        "--database", default=DATABASE, help="its name (several people bench on one server)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database of the previous run again"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="WORDS",
        help="measure only the pages whose name contains WORDS (repeatable)",
    )
    options = parser.parse_args()

    if options.reuse:
        database = options.admin_database_url.rsplit("/", 1)[0] + "/" + options.database
    else:
        database = fresh_database(options.admin_database_url, options.database)
        manage(database, "migrate", "--noinput", "-v0")
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghome.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    # The test Client's host; no setup_test_environment(): its instrumented template rendering
    # (a context copy per template rendered) would be measured too.
    settings.ALLOWED_HOSTS.append("testserver")
    started = time.perf_counter()
    if options.reuse:
        user, incident, webhook, status_page, storm_user = previous_run()
    else:
        user, incident, webhook, status_page = populate()
        storm_user = populate_storm()
        print(
            f"populated {INCIDENTS} incidents, {EVENTS} events and their timelines, and a storm "
            f"of {STORM_OPEN} open incidents in {time.perf_counter() - started:.0f} s"
        )
    from incidents import listing
    from incidents.models import Incident
    from webhooks.models import WebhookEvent

    middle = (
        WebhookEvent.objects.filter(webhook=webhook)
        .order_by("-received_at", "-id")
        .values("received_at", "id")[EVENTS // 3]
    )
    from urllib.parse import urlencode

    from django.utils import timezone

    older = urlencode({"before": middle["received_at"].isoformat(), "before_id": middle["id"]})
    signed_in = Client()
    signed_in.force_login(user)
    in_storm = Client()
    in_storm.force_login(storm_user)
    deep = listing.page(
        Incident.objects.filter(organization=storm_user.organization),
        sort="urgency",
        cursor=None,
        size=STORM_OPEN // 2,
    ).next_cursor
    api = token_client(user)
    team = user.memberships.get().team
    today = timezone.now().date()
    first = today - timedelta(days=365)
    year = urlencode({"team": team.pk, "start": first, "end": today})
    year_api = urlencode({"team_id": team.pk, "from": first, "to": today})
    pages = [
        ("storm list (10,000 open)", in_storm, "/"),
        ("storm list, live part", in_storm, "/?part=list"),
        ("storm list, most urgent first", in_storm, "/?sort=urgency"),
        ("storm list, urgency, page 101", in_storm, f"/?sort=urgency&after={deep}"),
        ("storm list, latest event first", in_storm, "/?sort=activity"),
        ("storm list, search", in_storm, "/?q=zone+3"),
        ("storm list, search an assignee", in_storm, "/?q=On-call+7"),
        ("storm list, mine", in_storm, "/?mine=true"),
        ("incident list", signed_in, "/"),
        ("incident list, unresolved", signed_in, "/?status=triggered&status=acknowledged"),
        (f"incident detail ({DETAIL_TIMELINE} entries)", signed_in, f"/incidents/{incident.pk}"),
        ("incident detail, live timeline", signed_in, f"/incidents/{incident.pk}?part=timeline"),
        ("incident detail, live summary", signed_in, f"/incidents/{incident.pk}?part=summary"),
        ("webhook list", signed_in, "/webhooks"),
        ("webhook detail, newest", signed_in, f"/webhooks/{webhook.pk}"),
        ("webhook detail, deep page", signed_in, f"/webhooks/{webhook.pk}?{older}"),
        ("status page list", signed_in, "/status-pages"),
        ("public status page, a year of history", Client(), f"/status/{status_page.pk}"),
        ("status page Atom feed", Client(), f"/status/{status_page.pk}/feed.atom"),
        ("report page, a year", signed_in, f"/reports?{year}"),
        ("report CSV, responders", signed_in, f"/reports?{year}&csv=responders"),
        ("GET /v1/reports, a year", api, f"/v1/reports?{year_api}"),
    ]
    print(f"\n{'page':34}{'median ms':>10}{'max ms':>9}{'CPU ms':>8}{'queries':>9}{'KiB':>8}")
    slow = []
    for name, client, path in pages:
        if options.only and not any(words in name for words in options.only):
            continue
        median, worst, cpu, queries, size = measure(client, path, options.requests)
        print(f"{name:34}{median:10.1f}{worst:9.1f}{cpu:8.1f}{queries:9d}{size / 1024:8.0f}")
        if median >= (PUBLIC_TARGET_MS if name.startswith("public") else TARGET_MS):
            slow.append(name)
    print(
        f"\nmedian of {options.requests} requests each, in-process (no network); CPU ms: the mean "
        "per request of this process and its PostgreSQL backend; "
        f"target < {TARGET_MS} ms (the public status page < {PUBLIC_TARGET_MS} ms): "
        + ("all pages met it" if not slow else f"SLOW: {slow}")
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
