"""The webhook pages in a real browser: create a webhook, copy its URL, see what an alert did."""

import json

import pytest
from django.test import Client

from pinghome.testing import screenshot, sign_in
from rulesets.tests.pipeline import create_ruleset
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_webhook_shows_its_ingest_url_and_what_evaluation_did_with_an_alert(
    owner, browser_page
):
    page = browser_page
    create_ruleset(
        owner,
        name="Checkout rule",
        incident_name="{{ service }} is down",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
        ],
    )
    sign_in(page, owner)

    page.get_by_role("link", name="Webhooks").click()
    assert page.locator("text=No webhook yet").is_visible()
    page.get_by_label("Name").fill("Grafana")
    page.get_by_role("button", name="Create webhook").click()
    page.wait_for_url("**/webhooks/*")
    webhook = Webhook.objects.get(name="Grafana")
    assert page.locator("code.ingest-url").inner_text() == webhook.ingest_url
    assert page.get_by_role("button", name="Copy URL").get_attribute("data-copy") == (
        webhook.ingest_url
    )
    assert page.locator("text=No events yet").is_visible()

    Client().post(
        f"/v1/incident/webhook/{webhook.pk}",
        data=json.dumps({"status": "down", "service": "checkout"}),
        content_type="application/json",
    )
    page.get_by_role("link", name="Reload").click()
    event = page.locator("article.event")
    event.wait_for()
    assert "Checkout rule" in event.inner_text() and "opened" in event.inner_text()
    event.locator("summary", has_text="Body").click()
    assert '"service": "checkout"' in event.locator("pre").inner_text()

    screenshot(page, "webhook_detail_with_an_evaluated_event")

    event.get_by_role("link", name="checkout is down").click()
    page.wait_for_url("**/incidents/*")
    page.get_by_role("link", name="Webhooks").click()
    assert page.locator("code.ingest-url").inner_text() == webhook.ingest_url
    assert page.locator("text=Last event").is_visible()
    screenshot(page, "webhook_list")
    page.go_back()
    assert page.get_by_role("heading", name="checkout is down").is_visible()


def test_a_heartbeat_is_switched_on_and_paused_from_the_webhook_page_at_390px(owner, browser_page):
    from pinghome.testing import assert_fits
    from webhooks.services import create_webhook

    page = browser_page
    webhook = create_webhook(owner.organization, name="Watchdog", team=owner.team)
    sign_in(page, owner)
    page.goto(f"/webhooks/{webhook.pk}")

    page.get_by_label("Expect an event every (seconds)").fill("120")
    page.get_by_role("button", name="Switch heartbeat on").click()
    page.wait_for_url("**#heartbeat")
    assert "Heartbeat saved" in page.locator(".messages").inner_text()
    assert page.locator("#heartbeat .badge").inner_text() == "ok"
    page.get_by_role("button", name="Pause").click()
    page.wait_for_url("**#heartbeat")
    assert page.locator("#heartbeat .badge").inner_text() == "paused"
    page.get_by_role("button", name="Resume").focus()
    assert page.evaluate("document.activeElement.textContent") == "Resume"
    assert_fits(page, 390)
    screenshot(page, "webhook-heartbeat-390")
    webhook.refresh_from_db()
    assert (webhook.expect_every_seconds, webhook.heartbeat_paused) == (120, True)
