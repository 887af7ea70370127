"""The incident list in a real browser: live updates, acknowledge, resolve."""

import json

import pytest
from django.test import Client

from pinghome.testing import sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_ingested_alert_appears_without_reload_and_can_be_acknowledged_and_resolved(
    owner, browser_page
):
    page = browser_page
    webhook = create_webhook(owner)
    create_ruleset(
        owner,
        name="Checkout",
        incident_name="{{ service }} is down",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
        ],
        dedup_key="service",
    )
    sign_in(page, owner)
    page.goto("/")
    assert page.locator("text=No incidents match").is_visible()

    Client().post(
        f"/v1/incident/webhook/{webhook}",
        data=json.dumps({"status": "down", "service": "checkout"}),
        content_type="application/json",
    )
    row = page.locator("tr", has_text="checkout is down")
    row.wait_for(timeout=15_000)
    assert "triggered" in row.inner_text()

    row.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert "acknowledged" in page.locator("tr", has_text="checkout is down").inner_text()

    page.locator("tr", has_text="checkout is down").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    assert "resolved" in page.locator("tr", has_text="checkout is down").inner_text()


def test_the_list_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
