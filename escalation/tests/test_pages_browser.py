"""Escalation in a real browser, at desktop and phone widths: a manager builds "on-call now,
then the lead after 10 minutes, then everyone", makes it the default, and a responder
escalates an incident by hand."""

import pytest

from notifications.tests.test_routing import on_call_always
from pinghome.testing import assert_fits, make_persona, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_build_a_policy_make_it_the_default_and_escalate_an_incident(
    owner, teammate, browser_page, width
):
    lead = make_persona("Acme", "Leads", "lead@acme.test")
    on_call_always(owner, teammate.member)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.get_by_role("link", name="Escalation").click()
    page.locator("h1", has_text="Escalation: Ops").wait_for()
    assert_fits(page, width)

    page.get_by_role("link", name="New policy").click()
    page.get_by_label("Name").fill("On-call, lead, everyone")
    page.get_by_label("Repeat").fill("1")
    step = page.locator("#step-1")
    step.get_by_label("Page").select_option(f"oncall:{owner.team.id}")
    step = page.locator("#step-2")
    step.get_by_label("After (minutes)").fill("10")
    step.get_by_label("Page").select_option(f"user:{lead.user.id}")
    assert_fits(page, width)
    page.get_by_role("button", name="Create policy").click()
    page.locator(".messages", has_text="created").wait_for()

    page.get_by_role("link", name="Edit").last.click()
    step = page.locator("#step-3")
    step.get_by_label("After (minutes)").fill("10")
    step.get_by_label("Page").select_option(f"team:{owner.team.id}")
    page.get_by_role("button", name="Save policy").click()
    card = page.locator("section.policy", has_text="On-call, lead, everyone")
    assert "After 10 min: everyone in Ops" in " ".join(card.inner_text().split())
    card.get_by_role("button", name="Make default").click()
    page.locator(".messages", has_text="is now the default").wait_for()
    assert "team default" in page.locator("section.policy").first.inner_text()
    assert_fits(page, width)
    screenshot(page, f"escalation_policies_{width}")

    # A responder opens an incident: step 1 paged the on-call; they escalate it by hand.
    page.context.clear_cookies()
    sign_in(page, teammate)
    response = teammate.api.post(
        f"/v1/team/{owner.team.id}/incident",
        {"name": "Checkout down", "description": "", "urgency": "high"},
    )
    page.goto(f"/incidents/{response.json()['id']}")
    assert page.locator('[data-field="escalation-step"]').inner_text().startswith("1 of 3")
    page.get_by_role("button", name="Escalate now").click()
    page.locator(".messages", has_text="escalated").wait_for()
    assert page.locator('[data-field="escalation-step"]').inner_text().startswith("2 of 3")
    assert page.locator("li[data-kind=escalated]", has_text="paged lead@acme.test").count() == 1
    assert_fits(page, width)
    screenshot(page, f"escalation_incident_{width}")
