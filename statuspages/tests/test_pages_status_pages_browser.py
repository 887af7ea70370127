"""Status pages in a real browser, at 1366 and 390 px: the public page follows an incident that
holds a component without naming it and shows the notice a responder posts from the incident's
page; a manager sets a component's status by hand and writes a notice through its four stages on
the Status pages page; a visitor subscribes, confirms from the mail, and unsubscribes from the
link of a notice's mail."""

import json
import re
from urllib.parse import urlparse

import pytest
from django.test import Client

from incidents.models import Incident
from pinghome.testing import assert_fits, screenshot, serious_violations, sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook
from statuspages.models import Component, ComponentStatus, Notice, Subscriber
from statuspages.tests.builders import make_component, make_status_page

pytestmark = pytest.mark.django_db(transaction=True)

# What a subscription page says (base.html has a role=status box of its own for messages).
SAID = ".public-status [role=status]"


def test_the_public_page_shows_an_outage_while_an_incident_holds_a_component(owner, sized_page):
    page = sized_page
    width, height = page.viewport_size["width"], page.viewport_size["height"]
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
    public.set_viewport_size({"width": width, "height": height})
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
    screenshot(public, f"public_status_page_during_an_outage_{width}px")

    # A responder posts a notice from the incident's page.
    page.goto(f"/incidents/{Incident.objects.get().pk}")
    page.get_by_text("Post a new notice to Acme status").click()
    form = page.locator("#status-updates form", has_text="Title")
    form.get_by_label("Title").fill("Payments are failing")
    form.get_by_label("Status").select_option("investigating")
    form.get_by_label("Message").fill("We are looking into failed payments.")
    form.get_by_label("Checkout").check()
    box = page.locator("#status-updates").bounding_box()  # the rest of the page is not ours
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    form.get_by_role("button", name="Post notice").click()
    page.locator(".messages", has_text="Posted to Acme status").wait_for()

    public.locator('[data-notice="investigating"]', has_text="Payments are failing").wait_for(
        timeout=15_000
    )
    assert public.locator(".public-notice", has_text="Affects Checkout").is_visible()
    assert public.locator('[data-component="Checkout"] .uptime .day').count() == 90
    assert_fits(public, width, height)
    screenshot(public, f"public_status_page_with_a_notice_{width}px")

    page.goto("/")
    page.locator("tr", has_text="Checkout errors").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    public.locator('[data-component="Checkout"][data-status="operational"]').wait_for(
        timeout=15_000
    )
    assert public.locator("text=All systems operational").is_visible()


def assert_accessible_light_and_dark(page) -> None:
    """axe-core: no serious WCAG 2.1 A/AA violation, in light nor in dark mode."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found += [f"({scheme}) {violation}" for violation in serious_violations(page)]
    page.emulate_media(color_scheme="light")
    assert not found, "\n".join(found)


def public_page_at(context, path: str, width: int):
    """A new tab of the browser on the public page ``path``, ``width`` px wide."""
    public = context.new_page()
    public.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    assert public.goto(path).status == 200
    return public


def test_a_manager_sets_a_status_by_hand_and_writes_a_notice_through_its_stages(
    owner, manager, sized_page
):
    status_page = make_status_page(owner.organization, "Acme status")
    checkout = make_component(status_page, "checkout-svc-eu1", public_name="Checkout")
    make_component(status_page, "search-svc", public_name="Search")
    public_path = f"/status/{status_page.pk}"
    page = sized_page
    width = page.viewport_size["width"]
    sign_in(page, manager)
    page.get_by_role("link", name="Status pages").click()
    section = page.locator(f"[data-status-page='{status_page.pk}']")

    # A status set by hand.
    row = section.locator(f"tr[data-component='{checkout.pk}']")
    row.get_by_text("Change").click()
    row.get_by_label("Status of checkout-svc-eu1").select_option("partial-outage")
    row.get_by_role("button", name="Set status").click()
    page.locator(".messages", has_text="checkout-svc-eu1 changed.").wait_for()
    assert row.locator(".badge").text_content() == ComponentStatus.PARTIAL_OUTAGE.label
    assert "(set by hand)" in row.inner_text()
    checkout.refresh_from_db()
    assert (checkout.status, checkout.manual_status) == ("partial-outage", "partial-outage")

    # A notice, "investigating", about Checkout only.
    section.get_by_text("Post a new notice").click()
    form = section.locator("form", has=page.get_by_role("button", name="Post notice"))
    form.get_by_label("Title").fill("Payments are slow")
    form.get_by_label("Status").select_option("investigating")
    form.get_by_label("Message").fill("Some card payments take a minute.")
    form.get_by_label("Checkout").check()
    form.get_by_role("button", name="Post notice").click()
    page.locator(".messages", has_text="Posted to Acme status: investigating.").wait_for()
    notice = Notice.objects.get()
    assert [c.public_name for c in notice.components.all()] == ["Checkout"]
    screenshot(page, f"status_pages_with_an_open_notice_{width}px")
    assert_accessible_light_and_dark(page)  # a status set by hand, an open notice

    # The public page, wide or on a phone: both shown, nothing wider than the screen.
    for public_width in sorted({width, 390}, reverse=True):
        public = public_page_at(page.context, public_path, public_width)
        assert public.locator(".status-banner").text_content() == "Partial outage"
        assert public.locator('[data-component="Checkout"]').get_attribute("data-status") == (
            "partial-outage"
        )
        assert public.locator('[data-component="Search"]').get_attribute("data-status") == (
            "operational"
        )
        shown = public.locator('[data-notice="investigating"]', has_text="Payments are slow")
        assert shown.is_visible()
        assert "Affects Checkout" in shown.inner_text()
        assert "Some card payments take a minute." in shown.inner_text()
        assert "checkout-svc-eu1" not in public.content()  # internal names stay inside
        assert_fits(public, public_width, 844)
        assert_accessible_light_and_dark(public)
        screenshot(public, f"public_status_page_set_by_hand_{public_width}px")
        public.close()

    # Its updates, from the same page, to resolved.
    messages = {
        "identified": "A card processor is slow.",
        "monitoring": "Switched processors; watching.",
        "resolved": "Payments are fast again.",
    }
    for status, message in messages.items():
        update = section.locator(f"form[data-notice='{notice.pk}']")
        update.get_by_label("Status").select_option(status)
        update.get_by_label("Update").fill(message)
        update.get_by_role("button", name="Post update").click()
        page.locator(".messages", has_text=f"Posted to Acme status: {status}.").wait_for()
    assert section.get_by_text("No open notice.").is_visible()

    # Back to following the incidents (none): operational; the notice is a past one.
    row.get_by_text("Change").click()
    row.get_by_label("Status of checkout-svc-eu1").select_option("")
    row.get_by_role("button", name="Set status").click()
    page.locator(".messages", has_text="checkout-svc-eu1 changed.").wait_for()
    public = public_page_at(page.context, public_path, 390)
    assert public.locator(".status-banner").text_content() == "All systems operational"
    past = public.locator('[data-notice="resolved"]', has_text="Payments are slow")
    stages = past.locator(".notice-updates li strong").all_text_contents()  # newest first
    assert stages == ["Resolved", "Monitoring", "Identified", "Investigating"]
    assert "Payments are fast again." in past.inner_text()
    assert_fits(public, 390, 844)
    assert_accessible_light_and_dark(public)  # each stage's colour


def mailed_link(mail, kind: str) -> str:
    """The path of the ``kind`` link (confirm, unsubscribe) of a mail."""
    [url] = re.findall(rf"http\S+/{kind}/\S+", mail.body)
    return urlparse(url).path


def test_a_visitor_subscribes_confirms_from_the_mail_and_unsubscribes(
    owner, sized_page, mailoutbox
):
    status_page = make_status_page(owner.organization, "Acme status")
    component = make_component(status_page, "checkout-svc-eu1", public_name="Checkout")
    page = sized_page  # never signed in
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    page.goto(f"/status/{status_page.pk}")
    page.get_by_label("Mail me this page's notices").fill("visitor@example.test")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    page.wait_for_url("**/subscribe")
    assert "We mailed visitor@example.test a link" in page.locator(SAID).inner_text()
    assert_fits(page, width, height)

    [confirmation] = mailoutbox
    assert confirmation.to == ["visitor@example.test"]
    assert confirmation.subject == "Confirm your subscription to Acme status status"
    subscriber = Subscriber.objects.get(email="visitor@example.test")
    assert page.goto(mailed_link(confirmation, "confirm")).status == 200
    assert Subscriber.objects.get(pk=subscriber.pk).confirmed_at is None  # opening changes nothing
    assert_fits(page, width, height)
    page.get_by_role("button", name="Confirm my subscription").click()
    page.locator(SAID, has_text="Subscribed: you will be mailed").wait_for()
    assert Subscriber.objects.get(pk=subscriber.pk).confirmed_at is not None

    posted = owner.api.post(
        f"/v1/status-page/{status_page.pk}/notice",
        {
            "title": "Payments are slow",
            "status": "investigating",
            "message": "Looking into it.",
            "component_ids": [str(component.pk)],
        },
        format="json",
    )
    assert posted.status_code == 201, posted.content
    [_, notice_mail] = mailoutbox
    assert notice_mail.to == ["visitor@example.test"]
    assert notice_mail.subject == "[Acme status] Payments are slow: Investigating"
    unsubscribe = mailed_link(notice_mail, "unsubscribe")
    assert notice_mail.extra_headers["List-Unsubscribe"].endswith(unsubscribe + ">")

    assert page.goto(unsubscribe).status == 200
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()  # opening changes nothing
    page.get_by_role("button", name="Unsubscribe", exact=True).click()
    page.locator(SAID, has_text="Unsubscribed: no more mail").wait_for()
    assert_fits(page, width, height)
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()

    updated = owner.api.post(
        f"/v1/status-page/{status_page.pk}/notice/{posted.json()['id']}/update",
        {"status": "resolved", "message": "Fixed."},
        format="json",
    )
    assert updated.status_code == 201, updated.content
    assert len(mailoutbox) == 2  # no more mail
