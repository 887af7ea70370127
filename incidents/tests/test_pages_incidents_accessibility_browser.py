"""The incident pages against WCAG 2.1 AA with axe-core: light and dark, wide and narrow; the
skip link."""

import pytest

from incidents import services
from incidents.tests.builders import make_incident, open_incident
from pinghome.testing import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1366, 390])
def test_the_list_and_the_detail_have_no_serious_violations(owner, browser_page, width, scheme):
    page = browser_page
    opened = open_incident(owner.team, owner.user, name="Checkout is down", urgency="critical")
    services.acknowledge(
        make_incident(owner.team, name="Search is slow", urgency="high"), by=owner.user
    )
    services.resolve(make_incident(owner.team, name="Disk full", urgency="low"), by=owner.user)
    make_incident(owner.team, name="Replica lag", urgency="medium", dedup_key="db-7")
    sign_in(page, owner)
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/")
    page.get_by_role("checkbox", name="Select Replica lag").check()
    assert_accessible(page)

    page.goto(f"/incidents/{opened.pk}")
    assert_accessible(page)


def test_the_first_tab_reaches_a_skip_link_that_moves_focus_to_the_content(owner, sized_page):
    page = sized_page
    sign_in(page, owner)
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("node => node === document.activeElement")
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"
