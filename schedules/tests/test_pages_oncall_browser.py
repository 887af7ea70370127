"""The on-call page in a real browser: an entry appears in the calendar, an override takes over."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from pinghome.testing import sign_in
from schedules.models import ScheduleEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_schedule_entry_added_in_the_form_appears_in_the_week_calendar(owner, browser_page):
    page = browser_page
    sign_in(page, owner)
    page.goto("/oncall")
    assert "No one is on call." in page.locator("#on-call-now").inner_text()

    page.get_by_role("link", name="Add schedule entry").click()
    page.select_option("select[name=team_member]", label="owner@acme.test")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        page.get_by_label(day, exact=True).check()
    page.fill("input[name=start_time]", "08:00")
    page.fill("input[name=end_time]", "16:30")
    page.get_by_role("button", name="Add entry").click()
    page.wait_for_url("**/oncall?team=*")

    assert "Schedule entry added." in page.locator(".messages").inner_text()
    blocks = page.locator("#calendar .shift")
    assert blocks.count() == 5
    assert "owner@acme.test" in blocks.first.inner_text()
    assert "08:00–16:30" in blocks.first.inner_text()
    weekend = page.locator("#calendar .day").nth(5)
    assert weekend.locator(".shift").count() == 0
    assert weekend.locator(".gap-block").count() == 1
    assert page.locator("#entries tr[data-entry]").count() == 1

    page.get_by_role("link", name="Next →").click()
    page.wait_for_load_state()
    assert page.locator("#calendar .shift").count() == 5


def test_an_override_added_in_the_form_changes_who_is_on_call(owner, teammate, browser_page):
    ScheduleEntry.objects.create(
        team=owner.team,
        team_member=owner.member,
        week_days=list(range(7)),
        start_time=time(0),
        end_time=time(0),
    )
    page = browser_page
    sign_in(page, owner)
    page.goto("/oncall")
    assert "owner@acme.test" in page.locator("#on-call-now").inner_text()

    page.get_by_role("link", name="Add override").click()
    now = timezone.now()  # the team's time zone is UTC
    page.select_option("select[name=team_member]", label="mate@acme.test")
    page.select_option("select[name=replaces_team_member]", label="owner@acme.test")
    page.fill("input[name=start]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=end]", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Add override").click()
    page.wait_for_url("**/oncall?team=*")

    on_call_now = page.locator("#on-call-now").inner_text()
    assert "mate@acme.test" in on_call_now and "owner@acme.test" not in on_call_now
    assert "owner@acme.test" in page.locator("#on-call-next").inner_text()
    assert page.locator("#calendar .shift", has_text="mate@acme.test").count() >= 1
    assert page.locator("#overrides tr[data-override]").count() == 1
