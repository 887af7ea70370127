"""What every page shares, in a browser at 1366 and 390 px: a page that does not exist keeps the
navigation (found broken 11), and the browser's icon request is answered."""

import pytest

from pinghome.testing import assert_fits, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_missing_page_keeps_the_navigation_and_the_icon_is_served(owner, sized_page):
    page = sized_page
    sign_in(page, owner)

    response = page.goto("/no-such-page")

    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert page.locator("header.top nav").get_by_role("link", name="Webhooks").is_visible()
    assert_fits(page, page.viewport_size["width"])
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    page.get_by_role("link", name="Go to the incidents").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert page.get_by_role("heading", name="Incidents").is_visible()
