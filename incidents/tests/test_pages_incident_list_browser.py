"""The incident list in a browser during a storm: long names, a phone's width, live updates that
keep the responder's place, a session that ends, acknowledging a selection."""

import pytest

from incidents.models import Incident
from incidents.tests.builders import make_incident
from pinghome.testing import assert_fits, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# 499 characters, most of them in two unbroken tokens.
LONG_NAME = "Disk " + "x" * 240 + " " + "/var/lib/postgresql/" + "y" * 233


def box(locator) -> dict:
    """The element's box, measured in one step (a live update may replace it at any time)."""
    return locator.evaluate(
        "node => { const r = node.getBoundingClientRect();"
        " return {left: r.left, right: r.right, height: r.height}; }"
    )


def within(page, locator, width: int) -> bool:
    found = box(locator)
    return found["left"] >= 0 and found["right"] <= width


def test_a_499_character_name_neither_widens_the_list_nor_the_detail(owner, sized_page):
    # Found broken 2: the list was 4,474 px wide, the detail 5,638 px.
    page = sized_page
    width = page.viewport_size["width"]
    incident = make_incident(owner.team, name=LONG_NAME)
    assert len(LONG_NAME) == 499
    sign_in(page, owner)

    page.goto("/")
    assert_fits(page, width)
    row = page.locator(f"tr[data-incident='{incident.pk}']")
    assert within(page, row.locator(".badge.status-triggered"), width)
    assert within(page, row.get_by_role("button", name="Resolve"), width)

    page.goto(f"/incidents/{incident.pk}")
    assert_fits(page, width)
    assert within(page, page.get_by_role("button", name="Acknowledge"), width)


def test_at_390_px_the_list_the_detail_and_the_navigation_fit(owner, browser_page):
    # Found broken 3: the list was 893 px wide, its buttons off-screen, the nav cut.
    page = browser_page
    incident = make_incident(owner.team, name="Checkout is down", dedup_key="checkout-eu-west-1")
    sign_in(page, owner)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/")
    assert_fits(page, 390)
    row = page.locator(f"tr[data-incident='{incident.pk}']")
    for name in ("Acknowledge", "Resolve"):
        button = row.get_by_role("button", name=name)
        assert within(page, button, 390)
        assert box(button)["height"] >= 40  # a thumb's target
    for link in page.locator("header.top nav a").all():
        assert within(page, link, 390), link.inner_text()
    assert within(page, page.get_by_role("button", name="Acknowledge selected"), 390)

    page.goto(f"/incidents/{incident.pk}")
    assert_fits(page, 390)
    assert within(page, page.get_by_role("button", name="Acknowledge"), 390)


def test_live_updates_keep_focus_and_selection_and_highlight_what_is_new(owner, sized_page):
    # Found broken 4: every 5 s the refresh moved keyboard focus to the page body.
    page = sized_page
    first = make_incident(owner.team, name="Checkout is down")
    other = make_incident(owner.team, name="Search is slow")
    sign_in(page, owner)
    page.goto("/")
    page.get_by_role("checkbox", name="Select Search is slow").check()
    page.get_by_role("button", name="Acknowledge Checkout is down").focus()

    arrived = make_incident(owner.team, name="Payments fail")
    new_row = page.locator(f"tr[data-incident='{arrived.pk}']")
    new_row.wait_for(timeout=15_000)

    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Acknowledge Checkout is down"
    assert page.get_by_role("checkbox", name="Select Search is slow").is_checked()
    assert "is-new" in new_row.get_attribute("class")
    assert "is-new" not in (
        page.locator(f"tr[data-incident='{other.pk}']").get_attribute("class") or ""
    )
    assert page.title() == "(3) Incidents · pinghome"
    assert page.locator("#selected-count").inner_text() == "1 selected"

    page.keyboard.press("Enter")
    page.locator(f"tr[data-incident='{first.pk}'] .badge.status-acknowledged").wait_for()
    assert Incident.objects.get(pk=first.pk).status == "acknowledged"


def test_a_session_ended_in_another_tab_is_said_on_the_list(owner, sized_page):
    # Found broken 5: after signing out elsewhere the list went stale silently.
    page = sized_page
    make_incident(owner.team, name="Checkout is down")
    sign_in(page, owner)
    page.goto("/")
    banner = page.locator("#session-ended")
    assert not banner.is_visible()

    other_tab = page.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_load_state()

    banner.wait_for(state="visible", timeout=15_000)
    assert "Your session has ended" in banner.inner_text()
    assert banner.get_by_role("link", name="Sign in again").get_attribute("href") == "/login?next=/"


def test_a_responder_acknowledges_a_selection_at_once(owner, teammate, sized_page):
    page = sized_page
    storm = [make_incident(owner.team, name=f"Node {n} unreachable") for n in range(12)]
    make_incident(owner.team, name="Database replica lag")
    sign_in(page, teammate)
    page.goto("/")

    page.get_by_role("searchbox", name="Search").fill("unreachable")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-incident]").count() == 12
    page.get_by_label("Select all shown").check()
    page.get_by_role("checkbox", name="Select Node 0 unreachable").uncheck()
    assert page.locator("#selected-count").inner_text() == "11 selected"
    page.get_by_role("button", name="Acknowledge selected").click()  # without a reload
    page.locator(".messages", has_text="11 of 11 selected incidents acknowledged.").wait_for()

    statuses = dict(
        Incident.objects.filter(pk__in=[i.pk for i in storm]).values_list("name", "status")
    )
    assert statuses.pop("Node 0 unreachable") == "triggered"
    assert set(statuses.values()) == {"acknowledged"}
    assert page.locator("[data-field=acknowledged-by]").first.inner_text() == "by mate@acme.test"


def test_opted_in_a_responder_is_notified_of_new_triggered_incidents(owner, sized_page):
    page = sized_page
    page.context.grant_permissions(["notifications"])
    # The browser's notifications, recorded instead of shown.
    page.add_init_script(
        """
        window.shown = [];
        window.Notification = class {
          constructor(title, options) { window.shown.push([title, options.body]); }
          static requestPermission() { return Promise.resolve("granted"); }
        };
        window.Notification.permission = "granted";
        // The sound: each tone started is counted.
        window.beeps = 0;
        window.AudioContext = class {
          constructor() { this.currentTime = 0; this.destination = {}; }
          createOscillator() {
            return { frequency: {}, connect: (node) => node, start: () => { window.beeps += 1; },
                     stop() {} };
          }
          createGain() { return { gain: {}, connect: (node) => node }; }
        };
        """
    )
    make_incident(owner.team, name="Checkout is down")
    sign_in(page, owner)
    page.goto("/")
    page.get_by_label("Notify me of new incidents").check()

    arrived = make_incident(owner.team, name="Payments fail")
    page.locator(f"tr[data-incident='{arrived.pk}']").wait_for(timeout=15_000)
    page.wait_for_function("window.shown.length > 0")

    assert page.evaluate("window.shown") == [["1 new incident", "Payments fail"]]
    assert page.evaluate("window.beeps") == 0  # the sound is a choice of its own
    page.get_by_label("Play a sound").check()
    louder = make_incident(owner.team, name="Search is slow")
    page.locator(f"tr[data-incident='{louder.pk}']").wait_for(timeout=15_000)
    page.wait_for_function("window.shown.length > 1")
    assert page.evaluate("window.beeps") == 1
    page.reload()
    assert page.get_by_label("Notify me of new incidents").is_checked()  # kept in this browser
    assert page.get_by_label("Play a sound").is_checked()
