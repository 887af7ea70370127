"""GET /v1/reports?from=&to=&team_id= and the Reports page's new tables and CSV export."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from notifications.models import Delivery, DeliveryState
from pinghome.testing import UNKNOWN_ID, assert_invalid, assert_not_found
from rulesets.tests.builders import make_ruleset

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 10, tzinfo=UTC)  # a Monday; the team's zone is Europe/Berlin (+1)


def opened(team, at, *, ack_by=None, ack_after=None, resolve_after=None, **fields) -> Incident:
    incident = Incident.objects.create(
        organization=team.organization,
        team=team,
        name=fields.pop("name", "Down"),
        urgency=fields.pop("urgency", "high"),
        status=IncidentStatus.RESOLVED if resolve_after else IncidentStatus.TRIGGERED,
        created_at=at,
        acknowledged_at=at + ack_after if ack_after else None,
        resolved_at=at + resolve_after if resolve_after else None,
        **fields,
    )
    if ack_by is not None:
        TimelineEntry.objects.create(
            incident=incident,
            kind=TimelineKind.ACKNOWLEDGED,
            created_at=at + ack_after,
            actor_user=ack_by,
            actor=ack_by.email,
        )
    return incident


def paged(incident, user, at, n: int = 1, state=DeliveryState.SENT) -> None:
    for k in range(n):
        Delivery.objects.create(
            key=f"page:{incident.pk}:{user.pk}:{at.isoformat()}:{k}",
            organization=incident.organization,
            team=incident.team,
            incident=incident,
            user=user,
            method="email",
            target=user.email,
            reason="opened",
            state=state,
            created_at=at,
        )


@pytest.fixture
def history(owner, teammate):
    """Two weeks of the Ops team (Europe/Berlin), teammate in America/New_York."""
    team = owner.team
    team.time_zone = "Europe/Berlin"
    team.save(update_fields=["time_zone"])
    teammate.user.time_zone = "America/New_York"
    teammate.user.save(update_fields=["time_zone"])
    disk = make_ruleset(team, name="Disk full")
    cpu = make_ruleset(team, name="CPU high")
    minute = timedelta(minutes=1)
    week1 = [
        # 09:00 Berlin; acknowledged by the owner after 4 minutes, resolved after an hour
        opened(
            team,
            MONDAY + timedelta(hours=8),
            ack_by=owner.user,
            ack_after=4 * minute,
            resolve_after=60 * minute,
            ruleset=disk,
            dedup_key="db-1",
            event_count=5,
        ),
        # 23:30 Berlin on Tuesday; acknowledged by the teammate after 10 minutes
        opened(
            team,
            MONDAY + timedelta(days=1, hours=22, minutes=30),
            ack_by=teammate.user,
            ack_after=10 * minute,
            ruleset=disk,
            dedup_key="db-1",
            event_count=3,
            urgency="critical",
        ),
    ]
    # Week 2: one incident, not acknowledged.
    opened(
        team,
        MONDAY + timedelta(days=7, hours=8),
        ruleset=cpu,
        dedup_key="web-1",
        event_count=1,
        urgency="low",
    )
    # Paged: the teammate at 03:00 New York (night) and at 12:00 New York; the owner at 09:00.
    paged(week1[1], teammate.user, datetime(2025, 3, 12, 7, 0, tzinfo=UTC))
    paged(week1[1], teammate.user, datetime(2025, 3, 12, 16, 0, tzinfo=UTC))
    paged(week1[0], owner.user, MONDAY + timedelta(hours=8), n=2)
    paged(week1[0], owner.user, MONDAY + timedelta(hours=8, minutes=5), state="cancelled")
    # Outside the period (Sunday 23:59 Berlin, before Monday): not counted.
    opened(team, MONDAY - timedelta(minutes=61), ruleset=cpu, dedup_key="web-0")
    return team


def report(persona, **query):
    return persona.api.get("/v1/reports", query)


def test_the_report_answers_weeks_responders_noise_urgency_and_hours(owner, teammate, history):
    response = report(owner, team_id=str(history.pk), **{"from": "2025-03-10", "to": "2025-03-23"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["time_zone"]) == (
        "2025-03-10",
        "2025-03-23",
        "Europe/Berlin",
    )
    assert body["totals"] == {
        "opened": 3,
        "acknowledged": 2,
        "resolved": 1,
        "mtta_seconds": 420.0,
        "mttr_seconds": 3600.0,
    }
    assert [(w["week"], w["opened"], w["mtta_seconds"]) for w in body["weeks"]] == [
        ("2025-03-10", 2, 420.0),
        ("2025-03-17", 1, None),
    ]
    assert len(body["days"]) == 14 and body["days"][1] == {
        "date": "2025-03-11",
        "opened": 1,
        "acknowledged": 1,
        "resolved": 0,
    }
    assert body["by_urgency"] == {"low": 1, "medium": 0, "high": 1, "critical": 1}
    assert body["by_hour"][9] == 2 and body["by_hour"][23] == 1 and sum(body["by_hour"]) == 3
    responders = {r["email"]: r for r in body["responders"]}
    assert responders["mate@acme.test"] | {"user_id": None} == {
        "user_id": None,
        "email": "mate@acme.test",
        "pages": 2,
        "night_pages": 1,
        "acknowledged": 1,
        "mean_ack_seconds": 600.0,
    }
    assert (
        responders["owner@acme.test"]["pages"],
        responders["owner@acme.test"]["night_pages"],
    ) == (
        2,
        0,
    )
    assert [(r["ruleset"], r["incidents"], r["events"]) for r in body["noisiest_rulesets"]] == [
        ("Disk full", 2, 8),
        ("CPU high", 1, 1),
    ]
    assert [(r["dedup_key"], r["incidents"]) for r in body["noisiest_dedup_keys"]] == [
        ("db-1", 2),
        ("web-1", 1),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2025-03-10"}, "to"),
        ({"from": "yesterday", "to": "2025-03-10"}, "from"),
        ({"from": "2025-03-11", "to": "2025-03-10"}, "to"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "from"),
        ({"from": "0001-01-01", "to": "2025-01-01"}, "from"),
        ({"from": "2025-03-10", "to": "2025-03-10", "team_id": "nope"}, "team_id"),
    ],
)
def test_a_bad_query_is_422_naming_the_parameter(owner, query, field):
    assert_invalid(report(owner, **{"team_id": str(owner.team.pk), **query}), field)


def test_another_organizations_team_is_404(owner, outsider):
    period = {"from": "2025-03-10", "to": "2025-03-11"}

    assert_not_found(report(outsider, team_id=str(owner.team.pk), **period))
    assert_not_found(report(owner, team_id=UNKNOWN_ID, **period))


def test_the_report_runs_a_bounded_number_of_queries(owner, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(18):
        report(owner, team_id=str(history.pk), **{"from": "2024-03-24", "to": "2025-03-23"})


def test_the_page_shows_the_new_tables_and_exports_each_as_csv(owner, history):
    client = Client()
    client.force_login(owner.user)
    query = {"team": str(history.pk), "start": "2025-03-10", "end": "2025-03-23"}

    html = client.get("/reports", query).content.decode()
    export = client.get("/reports", {**query, "csv": "responders"})

    assert 'data-week="2025-03-10"' in html and 'data-responder="mate@acme.test"' in html
    assert 'data-hour="23" data-count="1"' in html and "Disk full" in html
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    mate = next(row for row in rows if row["email"] == "mate@acme.test")
    assert (mate["pages"], mate["night_pages"], mate["mean_ack_seconds"]) == ("2", "1", "600.0")
    assert client.get("/reports", {**query, "csv": "nothing"}).status_code == 404


def test_a_dedup_key_a_spreadsheet_would_run_is_quoted_in_the_csv(owner):
    ruleset = make_ruleset(owner.team, name="Alerts")
    opened(owner.team, MONDAY, ruleset=ruleset, dedup_key='=HYPERLINK("http://evil.test")')
    client = Client()
    client.force_login(owner.user)

    export = client.get(
        "/reports",
        {
            "team": str(owner.team.pk),
            "start": "2025-03-10",
            "end": "2025-03-10",
            "csv": "dedup-keys",
        },
    )

    row = next(csv.DictReader(io.StringIO(export.content.decode())))
    assert row["dedup_key"] == '\'=HYPERLINK("http://evil.test")'
