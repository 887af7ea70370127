"""My shifts in a real browser: ask for cover in one click, a teammate takes it in one more."""

from datetime import time

import pytest

from pinghome.testing import assert_fits, sign_in
from schedules.models import Override, ScheduleEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_swap_is_two_clicks(owner, teammate, browser_page, chromium, live_server):
    ScheduleEntry.objects.create(
        team=owner.team,
        team_member=owner.member,
        week_days=list(range(7)),
        start_time=time(6),
        end_time=time(17, 59, 59),
    )
    owner.user.time_zone = "Australia/Sydney"
    owner.user.save(update_fields=["time_zone"])
    page = browser_page
    sign_in(page, owner)
    page.get_by_role("link", name="My shifts").click()
    assert "in Australia/Sydney" in page.locator("main").inner_text()
    rows = page.locator("#my-shifts tbody tr[data-shift]")
    assert rows.count() >= 13
    rows.nth(1).get_by_role("button", name="Ask for cover").click()  # click one
    page.wait_for_url("**/my/shifts")
    assert "Cover asked" in page.locator(".messages").inner_text()
    assert "Cover asked" in page.locator("#my-shifts tbody tr").nth(1).inner_text()

    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    mate = context.new_page()
    sign_in(mate, teammate)
    mate.goto("/my/shifts")
    request_row = mate.locator("#cover-requests tr[data-cover]")
    assert "owner@acme.test" in request_row.inner_text()
    request_row.get_by_role("button", name="Take").click()  # click two
    mate.wait_for_url("**/my/shifts")
    assert "You cover this shift now." in mate.locator(".messages").inner_text()
    assert mate.locator("#my-shifts tr[data-shift]").count() == 1
    assert_fits(mate, 390)
    context.close()

    override = Override.objects.get()
    assert (override.team_member, override.replaces_team_member) == (
        teammate.member,
        owner.member,
    )
    page.reload()
    assert "taken by mate@acme.test" in page.locator("#my-cover-requests").inner_text()


def test_my_calendar_feed_and_reminders_are_set_on_the_page(owner, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, owner)
    page.goto("/my/shifts")
    page.get_by_role("button", name="Create my calendar feed").click()
    page.wait_for_url("**/my/shifts")
    url = page.get_by_label("Calendar feed address").input_value()
    assert url.endswith(".ics")
    page.fill("input[name=minutes_before]", "30")
    page.fill("input[name=time_zone]", "Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/my/shifts")
    assert "in Europe/Berlin" in page.locator("main").inner_text()
    assert page.locator("input[name=minutes_before]").input_value() == "30"
    assert_fits(page, 390)
