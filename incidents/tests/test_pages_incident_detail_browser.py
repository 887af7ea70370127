"""The incident detail in a real browser: reached from the list, its timeline, editing it."""

import pytest
from playwright.sync_api import expect

from incidents.tests.builders import open_incident
from pinghome.testing import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_responder_opens_an_incident_from_the_list_follows_its_timeline_and_edits_it(
    owner, sized_page
):
    page = sized_page
    incident = open_incident(owner.team, owner.user, name="Checkout is down", urgency="low")
    sign_in(page, owner)

    page.goto("/")
    page.get_by_role("link", name="Checkout is down").click()
    page.wait_for_url(f"**/incidents/{incident.pk}")
    assert page.get_by_role("heading", name="Checkout is down").is_visible()
    assert page.locator("[data-field=status]").inner_text() == "triggered"

    page.get_by_role("button", name="Acknowledge").click()  # sent without a reload (app.js)
    expect(page.locator("[data-field=status]")).to_have_text("acknowledged")

    page.locator("summary", has_text="Edit").click()
    page.get_by_label("Urgency").select_option("critical")
    screenshot(page, "incident_detail_edit_form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.locator("[data-field=urgency]").inner_text() == "critical"
    assert page.locator(".messages", has_text="Incident saved.").is_visible()

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("[data-field=status]")).to_have_text("resolved")

    timeline = page.locator("ol.timeline")
    for kind, message in [
        ("created", "Opened by owner@acme.test"),
        ("acknowledged", "Acknowledged by owner@acme.test"),
        ("edited", "Edited urgency"),
        ("resolved", "Resolved by owner@acme.test"),
    ]:
        entry = timeline.locator(f"li[data-kind={kind}]")
        assert message in entry.inner_text()
        assert entry.locator(".actor").inner_text() == "owner@acme.test"
        assert entry.locator("time").get_attribute("datetime")
    assert page.get_by_role("button", name="Acknowledge").count() == 0
