"""Under the Content-Security-Policy, pages, the admin and the API docs still work in a real
browser, and the browser reports no violation."""

import pytest
from playwright.sync_api import expect

from pinghome.testing import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def violations(browser_page):
    """What the browser refused under the policy, as it reports it."""
    found: list[str] = []
    browser_page.on(
        "console",
        lambda message: (
            found.append(f"{browser_page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def test_pages_the_admin_and_the_api_docs_work_without_a_violation(owner, browser_page, violations):
    page = browser_page
    owner.user.is_staff = owner.user.is_superuser = True
    owner.user.save(update_fields=["is_staff", "is_superuser"])
    sign_in(page, owner)

    page.goto("/webhooks")
    page.get_by_label("Name").fill("Grafana")
    page.get_by_role("button", name="Create webhook").click()
    page.wait_for_url("**/webhooks/*")
    page.goto("/oncall")
    page.goto("/admin/")
    page.goto("/admin/webhooks/webhook/")
    assert page.get_by_role("link", name="Grafana").is_visible()
    page.get_by_role("link", name="Grafana").click()  # a change form, with the admin's scripts
    page.wait_for_load_state("networkidle")
    page.goto("/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator("#operations-tag-audit-log").is_visible()
    # Swagger UI renders the operations near the viewport only (a virtual list): the last tag
    # appears once scrolled to, with its operations.
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#operations-tag-webhooks")).to_be_visible()
    assert page.locator(".opblock").count() > 0
    assert violations == []
