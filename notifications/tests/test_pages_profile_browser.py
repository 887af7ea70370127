"""My profile and a page's links in a real browser, at a phone's width."""

import re

import pytest

from incidents.models import Incident
from notifications.tests.test_routing import open_incident
from pinghome.testing import assert_fits, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_set_up_paging_on_my_profile(owner, browser_page, mailoutbox, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.get_by_role("link", name="My profile").click()
    assert "you are paged by e-mail" in page.locator("#methods").inner_text()

    page.locator("summary", has_text="Add a contact method").click()
    page.get_by_label("Type").select_option("email")
    page.get_by_label("Target").fill("pager@acme.test")
    page.get_by_label("Label").fill("Pager")
    page.get_by_role("button", name="Add and send a code").click()
    page.locator(".messages", has_text="code is on its way").wait_for()
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.locator(".messages", has_text="Verified").wait_for()
    assert page.locator(".method[data-verified=true]").count() == 1

    rules = page.locator("#rules-high")
    rules.get_by_label("Method").first.select_option(label="Pager")
    rules.get_by_label("After (minutes)").first.fill("0")
    rules.get_by_role("button", name="Save high rules").click()
    page.locator(".messages", has_text="Rules for high urgency saved").wait_for()

    page.get_by_role("button", name="Send me a test page").click()
    page.locator(".messages", has_text="Test page sent").wait_for()
    assert "sent" in page.locator("#deliveries tr", has_text="pinghome test page").inner_text()

    page.get_by_label("Your time zone").select_option("Europe/Berlin")
    page.locator("#time-zone").get_by_role("button", name="Save").click()
    page.locator(".messages", has_text="Time zone saved").wait_for()
    assert_fits(page, width)
    screenshot(page, f"my_profile_{width}")

    page.get_by_role("link", name="Deliveries").click()
    assert "pinghome test page" not in page.content(), "a team's page lists its incidents' pages"
    page.locator("summary", has_text="Add a chat channel").click()
    page.get_by_label("Apprise URL").fill("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ")
    page.get_by_label("Label").fill("#ops")
    page.get_by_role("button", name="Add chat channel").click()
    page.locator(".messages", has_text="Chat channel added").wait_for()
    assert "#ops" in page.locator("#chat-channels").inner_text()
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in page.content()
    assert_fits(page, width)
    screenshot(page, f"team_deliveries_{width}")


def test_acknowledge_from_the_email_on_a_phone(owner, teammate, browser_page, mailoutbox):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(teammate.member.id)}]
    )
    link = re.search(r"Acknowledge: http://[^/]+(/respond/\S+)", mailoutbox[-1].body).group(1)
    page.goto(link)  # no sign-in
    assert page.get_by_role("heading", name="Acknowledge this incident?").is_visible()
    assert Incident.objects.get(pk=incident_id).status == "triggered"
    assert_fits(page, 390)
    screenshot(page, "link_confirmation_390")
    page.get_by_role("button", name="Acknowledge").click()
    page.locator("#link-done").wait_for()
    assert Incident.objects.get(pk=incident_id).status == "acknowledged"
    page.goto(link)
    assert "already used" in page.locator("#link-problem").inner_text()
