"""The public status page in a real browser follows an incident that holds a component."""

import json

import pytest
from django.test import Client

from pinghome.testing import screenshot, sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook
from statuspages.models import Component

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_public_page_shows_an_outage_while_an_incident_holds_a_component(owner, browser_page):
    page = browser_page
    sign_in(page, owner)
    page.get_by_role("link", name="Status pages").click()
    page.get_by_label("Name").fill("Acme status")
    page.get_by_role("button", name="Create status page").click()
    page.get_by_label("Add a component").fill("Checkout")
    page.get_by_role("button", name="Add component").click()
    page.locator("[data-status-page] td", has_text="Checkout").wait_for()
    component = Component.objects.get(name="Checkout")
    screenshot(page, "status_page_list_with_a_component")

    webhook = create_webhook(owner)
    ruleset = create_ruleset(
        owner,
        name="Checkout rule",
        incident_name="Checkout errors",
        urgency="high",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}
        ],
    )
    response = owner.api.put(
        f"/v1/ruleset/{ruleset}/actions",
        {
            "actions": [
                {
                    "type": "trigger-alerts",
                    "settings": [
                        {
                            "status_page_id": str(component.status_page_id),
                            "component_id": str(component.pk),
                        }
                    ],
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content

    with page.expect_popup() as popup:
        page.get_by_role("link", name="Public page ↗").click()
    public = popup.value
    public.wait_for_load_state()
    checkout = public.locator('[data-component="Checkout"]')
    assert checkout.get_attribute("data-status") == "operational"
    assert public.locator("text=All systems operational").is_visible()
    assert public.locator("header.top").count() == 0  # no app navigation on the public page

    Client().post(
        f"/v1/incident/webhook/{webhook}",
        data=json.dumps({"status": "firing"}),
        content_type="application/json",
    )
    public.locator('[data-component="Checkout"][data-status="major-outage"]').wait_for(
        timeout=15_000
    )
    assert public.locator(".public-incident", has_text="Checkout errors").is_visible()
    assert "Major outage" in public.locator(".status-banner").inner_text()
    screenshot(public, "public_status_page_during_an_outage")

    page.goto("/")
    page.locator("tr", has_text="Checkout errors").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    public.locator('[data-component="Checkout"][data-status="operational"]').wait_for(
        timeout=15_000
    )
    assert public.locator("text=No ongoing incidents.").is_visible()
    assert public.locator(".public-incident").count() == 0
