"""The API tokens page in a real browser, at desktop and phone widths."""

import pytest
from rest_framework.test import APIClient

from pinghome.testing import assert_fits, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_create_a_read_token_use_it_then_revoke_it(owner, browser_page, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("reporting")
    page.get_by_label("Expires").select_option(label="In 30 days")
    page.get_by_role("button", name="Create token").click()

    secret = page.locator("#new-token code.secret").inner_text()
    assert secret.startswith("ph_")
    assert_fits(page, width)
    screenshot(page, f"tokens_created_{width}")
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert script.get("/v1/teams").status_code == 200
    assert script.post("/v1/status-page", {"name": "x"}).status_code == 403

    row = page.locator("#tokens tr", has_text="reporting")
    assert "read" in row.inner_text()
    row.get_by_role("button", name="Revoke").click()
    page.locator(".messages", has_text="revoked").wait_for()
    assert "revoked" in page.locator("#tokens tr", has_text="reporting").inner_text()
    assert script.get("/v1/teams").status_code == 401
    assert secret not in page.content()
    assert_fits(page, width)
