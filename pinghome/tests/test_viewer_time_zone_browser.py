"""The browser tells the pages its time zone: a viewer who set none on My profile sees times in
the zone their browser runs in."""

import pytest

from pinghome.testing import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_browser_in_tokyo_gets_the_pages_in_tokyo_time(owner, chromium, live_server):
    owner.api.post(
        "/v1/maintenance-window",
        {"reason": "Upgrade", "start": "2030-03-05T22:00:00Z", "end": "2030-03-06T02:00:00Z"},
        format="json",
    )
    context = chromium.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        sign_in(page, owner)  # the first page sets the cookie

        page.goto("/maintenance")

        cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
        assert cookies["tz"] == "Asia/Tokyo"
        assert "2030-03-06 07:00 JST" in page.locator("main").inner_text()
    finally:
        context.close()
