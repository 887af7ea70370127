"""A component's 90 days of history on the public page, from its stored status changes; the
Atom feed of notices."""

import re
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from statuspages import services
from statuspages.models import ComponentDay, NoticeStatus
from statuspages.tests.builders import make_status_page
from statuspages.uptime import split_by_day

pytestmark = pytest.mark.django_db


def at(instant: datetime):
    """Services and pages run as if it were ``instant``."""
    return mock.patch.object(timezone, "now", return_value=instant)


def bars(html: str, component: str) -> dict[str, str]:
    """Day (YYYY-MM-DD) -> status of each bar of ``component``'s row."""
    row = html[html.index(f'data-component="{component}"') :]
    row = row[: row.index("</li>")]
    return dict(re.findall(r'data-day="([\d-]+)" data-status="([a-z-]*)"', row))


def test_a_period_is_split_at_utc_midnights():
    start = datetime(2030, 1, 1, 23, 0, tzinfo=UTC)

    assert split_by_day(start, start + timedelta(hours=26)) == [
        (date(2030, 1, 1), 3600),
        (date(2030, 1, 2), 86400),
        (date(2030, 1, 3), 3600),
    ]
    assert split_by_day(start, start) == []


def test_each_day_shows_its_worst_status_and_the_share_it_was_up(client, owner):
    page = make_status_page(owner.organization)
    created = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
    with at(created):
        component = services.add_component(page, name="pg", public_name="Checkout", by=owner.user)
    changes = [  # 2 hours of major outage on the 11th, degraded from the 12th to the 14th 06:00
        (datetime(2030, 3, 11, 10, 0, tzinfo=UTC), "major-outage"),
        (datetime(2030, 3, 11, 12, 0, tzinfo=UTC), ""),
        (datetime(2030, 3, 12, 0, 0, tzinfo=UTC), "degraded"),
        (datetime(2030, 3, 14, 6, 0, tzinfo=UTC), ""),
        (datetime(2030, 3, 15, 23, 0, tzinfo=UTC), "partial-outage"),  # still
    ]
    for instant, status in changes:
        with at(instant):
            services.update_component(component, by=owner.user, manual_status=status)

    with at(datetime(2030, 3, 16, 6, 0, tzinfo=UTC)):
        html = client.get(f"/status/{page.pk}").content.decode()

    days = bars(html, "Checkout")
    assert len(days) == 90
    assert list(days)[-1] == "2030-03-16" and list(days)[-7] == "2030-03-10"
    assert set(list(days.values())[:-7]) == {""}  # before the component existed
    assert [days[f"2030-03-{d}"] for d in range(10, 17)] == [
        "operational",
        "major-outage",
        "degraded",
        "degraded",
        "degraded",
        "partial-outage",
        "partial-outage",
    ]
    assert 'title="11 Mar 2030: 91.66 % up, down 2 h"' in html
    assert 'title="16 Mar 2030: 0.00 % up, down 6 h"' in html
    # Up: 12 h + 22 h + 3 x 24 h + 23 h + 0 h, of 12 h + 5 x 24 h + 6 h.
    assert f"{int(129 / 138 * 10000) / 100:.2f} % up" in html
    # Rows for the days of closed periods (11th to 14th); the open one is added when read.
    assert ComponentDay.objects.filter(component=component).count() == 4


def test_a_status_held_for_weeks_fills_each_day(client, owner):
    page = make_status_page(owner.organization)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with at(start):
        component = services.add_component(page, name="API", by=owner.user)
        services.update_component(component, by=owner.user, manual_status="major-outage")
    with at(start + timedelta(days=20)):
        services.update_component(component, by=owner.user, manual_status="")

    with at(start + timedelta(days=30, hours=12)):
        html = client.get(f"/status/{page.pk}").content.decode()

    statuses = list(bars(html, "API").values())
    assert statuses[-31:] == ["major-outage"] * 20 + ["operational"] * 11
    assert f"{int(252 / 732 * 10000) / 100:.2f} % up" in html  # 10.5 of 30.5 days


def test_the_feed_has_every_update_newest_first_and_nothing_internal(client, owner):
    page = make_status_page(owner.organization, "Acme")
    notice = services.post_notice(
        page,
        by=owner.user,
        title="Payments are slow",
        status=NoticeStatus.INVESTIGATING,
        message="Looking into it.",
    )
    services.post_notice_update(notice, by=owner.user, status="resolved", message="Fixed.")

    response = client.get(f"/status/{page.pk}/feed.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [entry.find(f"{atom}title").text for entry in feed.findall(f"{atom}entry")]
    assert titles == ["Payments are slow: Resolved", "Payments are slow: Investigating"]
    assert b"owner@acme.test" not in response.content
    assert client.get(f"/status/{page.pk}").content.decode().count("feed.atom") == 2


def test_the_feed_of_an_unknown_page_is_a_404(client):
    assert client.get("/status/6f1c2a4e-8d2b-4a55-9a3e-2b8f0c1d9e77/feed.atom").status_code == 404
