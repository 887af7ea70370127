"""The public status page in a real browser follows an incident that holds a component, never
shows the incident's name, and shows the notice a responder posts from the incident's page on a
phone."""

import json

import pytest
from django.test import Client

from incidents.models import Incident
from pinghome.testing import assert_fits, screenshot, sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook
from statuspages.models import Component

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_public_page_shows_an_outage_while_an_incident_holds_a_component(owner, browser_page):  # noqa: E501
    page = browser_page
    sign_in(page, owner)
    page.get_by_role("link", name="Status pages").click()
    page.get_by_label("Name").fill("Acme status")
    page.get_by_role("button", name="Create status page").click()
    page.get_by_text("Add a component").click()
    section = page.locator("[data-status-page]")
    section.get_by_label("Name:", exact=True).fill("checkout-svc-eu1")
    section.get_by_label("Public name").fill("Checkout")
    page.get_by_role("button", name="Add component").click()
    page.locator("[data-status-page] td", has_text="checkout-svc-eu1").wait_for()
    component = Component.objects.get(name="checkout-svc-eu1")
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
    assert "Checkout errors" not in public.content()  # the incident is not published
    assert "Major outage" in public.locator(".status-banner").inner_text()
    screenshot(public, "public_status_page_during_an_outage")

    # A responder posts a notice from the incident's page, on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/incidents/{Incident.objects.get().pk}")
    page.get_by_text("Post a new notice to Acme status").click()
    form = page.locator("#status-updates form", has_text="Title")
    form.get_by_label("Title").fill("Payments are failing")
    form.get_by_label("Status").select_option("investigating")
    form.get_by_label("Message").fill("We are looking into failed payments.")
    form.get_by_label("Checkout").check()
    box = page.locator("#status-updates").bounding_box()  # the rest of the page is not ours
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    form.get_by_role("button", name="Post notice").click()
    page.locator(".messages", has_text="Posted to Acme status").wait_for()

    public.set_viewport_size({"width": 390, "height": 844})
    public.locator('[data-notice="investigating"]', has_text="Payments are failing").wait_for(
        timeout=15_000
    )
    assert public.locator(".public-notice", has_text="Affects Checkout").is_visible()
    assert public.locator('[data-component="Checkout"] .uptime .day').count() == 90
    assert_fits(public, 390)
    screenshot(public, "public_status_page_with_a_notice_390px")

    page.goto("/")
    page.locator("tr", has_text="Checkout errors").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    public.locator('[data-component="Checkout"][data-status="operational"]').wait_for(
        timeout=15_000
    )
    assert public.locator("text=All systems operational").is_visible()
