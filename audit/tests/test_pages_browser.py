"""The pages this issue added or extended fit a desktop and a phone (390 px) in a browser."""

import pytest

from pinghome.testing import assert_fits, screenshot, sign_in
from statuspages.tests.builders import make_component, make_status_page
from webhooks.services import create_webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_audit_log_webhook_settings_and_status_pages_fit(owner, browser_page, width):
    webhook = create_webhook(owner.organization, name="Grafana", team=owner.team)
    make_component(make_status_page(owner.organization, "Public"), "Checkout API")
    owner.api.put(f"/v1/team/{owner.team.id}", {"time_zone": "Europe/Berlin"})
    owner.api.post(f"/v1/webhook/{webhook.pk}/rotate", {})
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)

    page.get_by_role("link", name="Audit log").click()
    page.locator("#audit-records li", has_text="Europe/Berlin").locator("summary").click()
    assert page.locator("#audit-records td", has_text="Europe/Berlin").is_visible()
    assert_fits(page, width)
    screenshot(page, f"audit_log_{width}")

    page.goto(f"/webhooks/{webhook.pk}")
    page.locator("#settings summary").click()
    assert page.locator("#previous-urls").is_visible()
    assert_fits(page, width)
    screenshot(page, f"webhook_settings_{width}")

    page.goto("/status-pages")
    component = page.locator("[data-component]", has_text="Checkout API")
    component.locator("summary").click()
    assert component.get_by_label("Status of Checkout API").is_visible()
    assert component.get_by_label("Public name").is_visible()
    assert_fits(page, width)
