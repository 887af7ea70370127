"""The sign-in pages in a browser, on a 390 px wide phone: keyboard only, a lockout said
plainly, single sign-on through the local provider, no inline script."""

import pytest

from accounts.tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, LocalProvider
from accounts.tests.test_pages_signin import with_password
from pinghome.testing import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def assert_fits_and_runs_no_inline_script(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert (
        page.evaluate(
            """() => [...document.querySelectorAll('script:not([src])')].length
              + [...document.querySelectorAll('*')].filter(
                    el => [...el.attributes].some(a => a.name.startsWith('on'))).length"""
        )
        == 0
    )


def test_signing_in_with_the_keyboard_on_a_phone(browser_page, owner):
    page = browser_page
    page.set_viewport_size(PHONE)
    with_password(owner.user)
    page.goto("/oncall")
    assert page.url.endswith("/login?next=/oncall")
    assert_fits_and_runs_no_inline_script(page)
    page.keyboard.type("Owner@Acme.test")  # the address field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/oncall")


def test_a_lockout_is_said_plainly_on_a_phone(browser_page, owner, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto("/login")
    for _ in range(2):
        page.fill("input[name=username]", owner.user.email)
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
    alert = page.get_by_role("alert")
    assert "it is locked for 15 minutes" in alert.inner_text()
    assert_fits_and_runs_no_inline_script(page)


def test_single_sign_on_in_a_browser_on_a_phone(browser_page, owner, settings):
    with LocalProvider() as provider:
        settings.OIDC_ENABLED = True
        settings.OIDC_ISSUER = provider.issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_ALLOWED_DOMAINS = ["acme.test"]
        settings.OIDC_PROVIDER_NAME = "Acme SSO"
        settings.PASSWORD_SIGNIN = "admins"
        provider.claims = {"sub": "bea", "email": "bea@acme.test", "name": "Bea"}
        page = browser_page
        page.set_viewport_size(PHONE)
        page.goto("/login")
        assert_fits_and_runs_no_inline_script(page)
        page.get_by_role("link", name="Sign in with Acme SSO").click()
        page.wait_for_url(lambda url: "/login" not in url)
        assert page.locator("header.top").inner_text().count("bea@acme.test") == 1
