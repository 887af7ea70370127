"""The reports page: incidents per day and response times of a team over a period."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.reports_views import bar_chart, duration_text
from pinghome.testing import assert_fits, screenshot, sign_in
from rulesets.tests.builders import make_team


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def incident(team, created_at, *, acknowledged_after=None, resolved_after=None) -> Incident:
    status = IncidentStatus.TRIGGERED
    if acknowledged_after is not None:
        status = IncidentStatus.ACKNOWLEDGED
    if resolved_after is not None:
        status = IncidentStatus.RESOLVED
    return Incident.objects.create(
        organization=team.organization,
        team=team,
        name="Down",
        urgency="high",
        status=status,
        created_at=created_at,
        acknowledged_at=created_at + acknowledged_after if acknowledged_after else None,
        resolved_at=created_at + resolved_after if resolved_after else None,
    )


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def day_rows(html: str) -> dict[str, list[int]]:
    rows = re.findall(
        r'<tr data-day="([0-9-]+)"><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', html
    )
    return {day: [int(n) for n in counts] for day, *counts in rows}


@pytest.mark.django_db
def test_the_reports_page_requires_sign_in():
    response = Client().get("/reports")
    assert response.status_code == 302 and response["Location"].startswith("/login")


@pytest.mark.django_db
def test_another_organizations_team_is_a_404(owner, outsider):
    assert signed_in(outsider).get(f"/reports?team={owner.team.id}").status_code == 404
    assert signed_in(outsider).get("/reports?team=nope").status_code == 404


@pytest.mark.django_db
def test_three_incidents_over_two_days_give_known_counts_and_mean_times(owner):
    team = owner.team
    day1, day2 = datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC)
    incident(
        team, day1 + timedelta(hours=9), acknowledged_after=minutes(5), resolved_after=minutes(60)
    )
    incident(team, day1 + timedelta(hours=12), acknowledged_after=minutes(15))
    incident(team, day2 + timedelta(hours=23, minutes=50), resolved_after=minutes(30))
    # Outside the period, and another team's: not counted.
    incident(team, day1 - timedelta(minutes=1), acknowledged_after=minutes(100))
    incident(make_team(owner.organization, "Payments"), day1 + timedelta(hours=1))

    response = signed_in(owner).get(
        "/reports", {"team": str(team.id), "start": "2025-03-10", "end": "2025-03-11"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    # 2025-03-10: two opened, acknowledged (plus the one opened the day before), one resolved.
    # 2025-03-11: one opened at 23:50, resolved 00:20 the next day (outside the period).
    assert day_rows(html) == {"2025-03-10": [2, 3, 1], "2025-03-11": [1, 0, 0]}
    assert '<strong id="total-opened">3</strong>' in html
    assert '<strong id="mtta">10 min</strong>' in html  # (5 + 15) / 2
    assert '<strong id="mttr">45 min</strong>' in html  # (60 + 30) / 2
    assert "2 acknowledged" in html and "2 resolved" in html


@pytest.mark.django_db
def test_days_are_the_team_local_days(owner):
    owner.team.time_zone = "America/New_York"
    owner.team.save()
    # 03:00 UTC on the 11th is 23:00 on the 10th in New York (EDT, UTC-4).
    incident(owner.team, datetime(2025, 3, 11, 3, tzinfo=UTC))
    html = signed_in(owner).get("/reports?start=2025-03-10&end=2025-03-11").content.decode()
    assert day_rows(html) == {"2025-03-10": [1, 0, 0], "2025-03-11": [0, 0, 0]}


@pytest.mark.django_db
def test_the_default_period_is_the_last_30_days_with_a_bar_per_day(owner):
    incident(owner.team, timezone.now() - timedelta(hours=1))
    html = signed_in(owner).get("/reports").content.decode()
    assert len(day_rows(html)) == 30
    assert html.count('<rect class="bar"') == 30
    assert 'data-count="1"' in html
    assert '<strong id="mtta">—</strong>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2024-01-01", "end": "2025-01-01"}, "A report covers at most 366 days."),
        ({"start": "2025-03-11", "end": "2025-03-10"}, "The end must not be before the start."),
        ({"start": "yesterday"}, "Enter a valid date."),
    ],
)
def test_a_bad_period_is_a_visible_error(owner, query, message):
    response = signed_in(owner).get("/reports", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "<svg" not in html


@pytest.mark.django_db
def test_a_full_year_is_charted_per_week_with_its_days_in_the_csv(owner):
    incident(owner.team, datetime(2024, 3, 5, 12, tzinfo=UTC))  # the week of Monday 4 March
    incident(owner.team, datetime(2024, 3, 10, 12, tzinfo=UTC))  # its Sunday
    client = signed_in(owner)
    year = "/reports?start=2024-01-01&end=2024-12-31"

    html = client.get(year).content.decode()
    days = list(csv.DictReader(io.StringIO(client.get(f"{year}&csv=days").content.decode())))

    assert html.count('<rect class="bar"') == 53  # 1 January 2024 is a Monday
    assert 'data-day="2024-03-04" data-count="2"' in html
    assert day_rows(html) == {} and "the days are in the CSV" in html
    assert len(days) == 366
    assert [d["opened"] for d in days if d["date"] in ("2024-03-05", "2024-03-10")] == ["1", "1"]


@pytest.mark.django_db
def test_the_reports_page_takes_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(60):
        incident(
            owner.team,
            start + timedelta(hours=13 * n),
            acknowledged_after=minutes(n + 1),
            resolved_after=minutes(2 * n + 5) if n % 2 else None,
        )
    client = signed_in(owner)
    # The session and the team (4), the report's tables (12), one per time zone of the members.
    with django_assert_max_num_queries(18):
        response = client.get("/reports?start=2025-01-01&end=2025-02-28")
    assert sum(counts[0] for counts in day_rows(response.content.decode()).values()) == 60


def test_bars_are_scaled_to_the_busiest_day():
    chart = bar_chart([(datetime(2025, 1, d).date(), n) for d, n in ((1, 0), (2, 4), (3, 2))])
    heights = [bar.height for bar in chart["bars"]]
    assert heights[0] == 0 and heights[1] == 2 * heights[2] > 0
    assert chart["top"] == 4
    assert bar_chart([])["bars"] == []


def test_durations_read_as_the_two_largest_units():
    assert duration_text(None) == "—"
    assert duration_text(timedelta(0)) == "0 s"
    assert duration_text(timedelta(minutes=10)) == "10 min"
    assert duration_text(timedelta(days=1, hours=2, minutes=3)) == "1 d 2 h"


@pytest.mark.django_db(transaction=True)
def test_the_report_shows_its_chart_and_tables_and_exports_csv_in_a_browser(owner, sized_page):
    now = timezone.now()
    for days_ago, count in ((0, 2), (3, 5), (10, 1)):
        for n in range(count):
            incident(
                owner.team,
                now - timedelta(days=days_ago, minutes=20),
                acknowledged_after=minutes(10) if n == 0 else None,
            )
    page = sized_page
    width = page.viewport_size["width"]
    sign_in(page, owner)
    page.goto("/")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports")

    chart = page.locator("svg.chart")
    assert chart.is_visible()
    bars = chart.locator("rect.bar")
    assert bars.count() == 30
    tallest = max(bars.nth(i).bounding_box()["height"] for i in range(bars.count()))
    assert tallest > 100 if width > 390 else tallest > 50
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box  # scaled down, not cut
    assert page.locator("#total-opened").inner_text() == "8"
    assert page.locator("#mtta").inner_text() == "10 min"
    assert page.locator("#report-hours .hour").count() == 24
    assert page.locator("#report-weeks tbody tr").count() >= 2
    assert page.locator("#report-days tbody tr").count() == 30
    assert page.locator("#report-responders", has_text=owner.user.email).is_visible()
    for table in ("weeks", "responders", "rulesets", "dedup-keys", "days"):
        assert page.locator(f"#report-{table}").is_visible(), table
    # Wide tables scroll in their own box: nothing sticks out of the screen.
    for scroll_box in page.locator(".table-scroll").all():
        right = scroll_box.bounding_box()
        assert right["x"] + right["width"] <= width, right
    assert_fits(page, width, page.viewport_size["height"])
    screenshot(page, f"reports_{width}px")

    with page.expect_download() as download:
        page.get_by_role("heading", name="Response times per week").get_by_role(
            "link", name="CSV"
        ).click()
    assert download.value.suggested_filename.endswith(".csv")
    assert download.value.suggested_filename.startswith("Ops-weeks-")
    weeks = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert sum(int(week["opened"]) for week in weeks) == 8
    assert sum(int(week["acknowledged"]) for week in weeks) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{"start": "9999-12-30", "end": "9999-12-31"}, {"start": "0001-01-01"}]
)
def test_a_period_past_the_supported_years_is_a_visible_error(owner, query):
    response = signed_in(owner).get("/reports", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a date from 0002-01-01 to 9998-12-31." in html and "<svg" not in html
