"""Team settings in a real browser, at desktop and phone widths: an admin creates a team,
invites a new person who joins through the e-mailed link, and manages roles."""

import pytest
from django.core import mail

from accounts.models import TeamMember
from pinghome.testing import assert_fits, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_create_a_team_invite_someone_who_joins_then_promote_and_remove(
    owner, teammate, browser_page, chromium, live_server, width
):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    page.get_by_role("link", name="Teams").click()
    assert_fits(page, width)
    page.get_by_label("Name", exact=True).fill("Payments")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create team").click()
    page.locator("h1", has_text="Payments").wait_for()

    page.get_by_label("E-mail").fill("new.person@acme.test")
    page.get_by_role("button", name="Add member").click()
    page.locator(".messages", has_text="Invitation sent").wait_for()
    assert page.locator("#invitations tr", has_text="new.person@acme.test").count() == 1
    page.get_by_label("E-mail").fill("mate@acme.test")
    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_role("button", name="Add member").click()
    page.locator(".messages", has_text="added").wait_for()
    assert_fits(page, width)
    screenshot(page, f"team_settings_{width}")

    # The invited person follows the e-mailed link in their own browser.
    link = next(m for m in mail.outbox if "new.person@acme.test" in m.to).body
    path = "/invitation/" + link.split("/invitation/")[1].split()[0]
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    newcomer = context.new_page()
    newcomer.goto(path)
    newcomer.get_by_label("Name").fill("New Person")
    newcomer.get_by_label("Password", exact=True).fill("a long enough passphrase")
    newcomer.get_by_label("Password again").fill("a long enough passphrase")
    newcomer.get_by_role("button", name="Join and sign in").click()
    newcomer.locator(".messages", has_text="Welcome to Payments").wait_for()
    newcomer.goto(path)
    assert "used already" in newcomer.content()
    context.close()

    page.reload()
    assert page.locator("#invitations").count() == 0
    row = page.locator("#members tr", has_text="New Person")
    assert "invited" not in row.inner_text()
    row.get_by_label("Role of new.person@acme.test").select_option("manager")
    row.get_by_role("button", name="Save").click()
    page.locator(".messages", has_text="is now a manager").wait_for()
    assert TeamMember.objects.get(user__email="new.person@acme.test").role == "manager"

    page.get_by_role("button", name="Remove mate@acme.test").click()
    page.locator(".messages", has_text="removed").wait_for()
    changes = page.locator("#membership-changes").inner_text()
    assert "removed mate@acme.test" in changes
    assert "added new.person@acme.test as responder" in changes
    assert "made new.person@acme.test in Payments a manager" in changes
    assert_fits(page, width)
