"""Issue 19's "Done means", in a browser at 1366 and 390 px: during a storm a responder finds
theirs, acknowledges ten at once, adds a note, merges duplicates, snoozes and posts
"investigating" to the public status page, without a reload (a mark set on the window survives
every step) and without losing their place (focus stays on the control used, which stays where
it was on the screen)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident, TimelineKind
from incidents.tests.builders import make_incident, open_incident
from pinghome.testing import assert_accessible, assert_fits, sign_in
from statuspages.models import Notice
from statuspages.tests.builders import make_component, make_status_page

pytestmark = pytest.mark.django_db(transaction=True)


def mark(page) -> None:
    """A value that only lives as long as this document: a reload or a navigation drops it."""
    page.evaluate("window.__marker = 1")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def focused(page) -> str:
    return page.evaluate(
        "(document.activeElement.getAttribute('aria-label') || "
        "document.activeElement.textContent).trim()"
    )


def top(locator) -> float:
    return locator.evaluate("node => node.getBoundingClientRect().top")


def in_view(locator) -> bool:
    return locator.evaluate(
        "node => { const r = node.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )


def test_a_responder_acknowledges_ten_at_once_and_snoozes_one_without_a_reload(
    owner, teammate, sized_page
):
    page = sized_page
    width = page.viewport_size["width"]
    now = timezone.now()
    storm = [
        make_incident(owner.team, name=f"Node {n} unreachable", created_at=now - timedelta(n))
        for n in range(12)
    ]
    make_incident(owner.team, name="Database replica lag")
    sign_in(page, teammate)
    page.goto("/?q=unreachable")
    mark(page)

    for incident in storm[:10]:
        page.get_by_role("checkbox", name=f"Select {incident.name}", exact=True).check()
    button = page.get_by_role("button", name="Acknowledge selected")
    button.focus()
    before = top(button)
    button.press("Enter")

    page.locator(".messages", has_text="10 of 10 selected incidents acknowledged.").wait_for()
    assert_not_reloaded(page)
    assert page.url.endswith("/?q=unreachable")
    assert focused(page) == "Acknowledge selected"
    if width > 390:  # on a phone the bar is held at the bottom of the screen, and grows
        assert abs(top(button) - before) <= 2
    assert in_view(button)
    said = page.locator(".bulk-bar .form-status")
    expect(said).to_have_text("10 of 10 selected incidents acknowledged.")
    assert page.locator("#selected-count").inner_text() == ""  # the selection is cleared
    assert page.locator("input[name=incident_id]:checked").count() == 0
    acknowledged = page.locator("tr[data-incident] .badge.status-acknowledged")
    assert acknowledged.count() == 10
    assert page.locator("[data-field=acknowledged-by]").first.inner_text() == "by mate@acme.test"
    assert page.title() == "(3) Incidents · pinghome"

    page.get_by_role("checkbox", name="Select Node 11 unreachable").check()
    page.get_by_role("button", name="Snooze selected 1 h").click()
    page.locator(".messages", has_text="1 of 1 selected incidents snoozed for an hour.").wait_for()
    assert_not_reloaded(page)
    assert focused(page) == "Snooze selected 1 h"
    assert_fits(page, width)

    statuses = dict(
        Incident.objects.filter(pk__in=[i.pk for i in storm]).values_list("name", "status")
    )
    assert statuses.pop("Node 10 unreachable") == "triggered"
    assert set(statuses.values()) == {"acknowledged"}
    assert Incident.objects.get(name="Node 11 unreachable").snoozed_until > now
    assert_accessible(page)


def test_a_row_acknowledged_on_the_list_keeps_the_focus_in_its_row(owner, sized_page):
    page = sized_page
    incident = make_incident(owner.team, name="Checkout is down")
    sign_in(page, owner)
    page.goto("/")
    mark(page)

    page.get_by_role("button", name="Acknowledge Checkout is down").click()

    row = page.locator(f"tr[data-incident='{incident.pk}']")
    row.locator(".badge.status-acknowledged").wait_for()
    assert_not_reloaded(page)
    assert focused(page) == "Resolve Checkout is down"  # the Acknowledge button is gone


def test_on_the_incident_a_responder_notes_merges_snoozes_and_posts_investigating(
    owner, teammate, sized_page
):
    page = sized_page
    width = page.viewport_size["width"]
    incident = open_incident(owner.team, owner.user, name="Checkout is down")
    duplicate = make_incident(owner.team, name="Checkout returns 502")
    other = make_incident(owner.team, name="Checkout is slow")
    status_page = make_status_page(owner.organization, "Acme status")
    make_component(status_page, "checkout", public_name="Checkout")
    sign_in(page, teammate)
    page.goto(f"/incidents/{incident.pk}")
    mark(page)

    # A note: the form is cleared, the note is on the timeline, the button where it was.
    page.get_by_label("Add a note").fill("Rolled back deploy 4f2c1.")
    add = page.get_by_role("button", name="Add note")
    add.focus()
    before = top(add)
    add.press("Enter")
    note = page.locator("ol.timeline li[data-kind=note]", has_text="Rolled back deploy 4f2c1.")
    note.wait_for()
    assert_not_reloaded(page)
    assert note.locator(".actor").inner_text() == "mate@acme.test"
    assert "is-new" in note.get_attribute("class")
    assert page.get_by_label("Add a note").input_value() == ""
    assert focused(page) == "Add note"
    assert abs(top(add) - before) <= 2 and in_view(add)
    expect(page.locator("#timeline .form-status")).to_have_text("Note added.")

    # An empty note is refused, said under the form, and nothing is lost.
    page.get_by_label("Add a note").evaluate("node => node.removeAttribute('required')")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .form-status")).to_contain_text("The note was not added")
    assert page.locator(".messages li.error").count() == 1
    assert_not_reloaded(page)

    # Merge one duplicate: the other stays offered, the merge is on the timeline.
    page.locator("#merge summary").click()
    page.get_by_role("checkbox", name="Checkout returns 502").check()
    page.get_by_role("button", name="Merge the ticked ones into this incident").click()
    page.locator(".messages", has_text="Merged 1 incident(s) into this one.").wait_for()
    assert_not_reloaded(page)
    assert focused(page) == "Merge the ticked ones into this incident"
    assert page.locator("#merge").evaluate("node => node.open")
    assert page.get_by_role("checkbox", name="Checkout returns 502").count() == 0
    assert page.get_by_role("checkbox", name="Checkout is slow").is_visible()
    assert page.locator("ol.timeline li[data-kind=merged]").count() == 1
    assert "Checkout returns 502" in page.locator("#responders").inner_text()
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id == incident.pk
    assert Incident.objects.get(pk=other.pk).merged_into_id is None

    # Snooze for an hour: acknowledged until then.
    snooze = page.locator("#snooze").get_by_role("button", name="1 h")
    snooze.click()
    page.locator("[data-field=snoozed-until]").wait_for()
    assert_not_reloaded(page)
    expect(page.locator("[data-field=status]")).to_have_text("acknowledged")
    assert focused(page) == "1 h"
    assert page.locator("ol.timeline li[data-kind=snoozed]").count() == 1

    # Post "investigating" to the public status page.
    page.get_by_text("Post a new notice to Acme status").click()
    form = page.locator("#status-updates form", has_text="Title")
    form.get_by_label("Title").fill("Payments are failing")
    form.get_by_label("Status").select_option("investigating")
    form.get_by_label("Message").fill("We are looking into failed payments.")
    form.get_by_label("Checkout").check()
    form.get_by_role("button", name="Post notice").click()
    page.locator(".messages", has_text="Posted to Acme status: investigating.").wait_for()
    assert_not_reloaded(page)
    assert focused(page) == "Post notice"
    notice = page.locator("#status-updates form[data-notice]")
    assert "Payments are failing" in notice.inner_text()
    assert page.locator("ol.timeline li[data-kind=status-update]").count() == 1
    assert Notice.objects.get().status == "investigating"
    assert page.url.endswith(f"/incidents/{incident.pk}")

    # An update to the notice, from the form that has just appeared.
    notice.get_by_label("Status").select_option("identified")
    notice.get_by_label("Update").fill("A bad deploy; rolled back.")
    notice.get_by_role("button", name="Post update").click()
    page.locator(".messages", has_text="Posted to Acme status: identified.").wait_for()
    assert_not_reloaded(page)
    assert Notice.objects.get().status == "identified"

    assert_fits(page, width)
    assert_accessible(page)
    assert incident.timeline.filter(kind=TimelineKind.NOTE).count() == 1


def test_a_responder_is_added_and_the_incident_escalated_without_a_reload(
    owner, teammate, sized_page
):
    page = sized_page
    incident = open_incident(owner.team, owner.user, name="Checkout is down")
    sign_in(page, owner)
    page.goto(f"/incidents/{incident.pk}")
    mark(page)

    responders = page.locator("#responders")
    responders.get_by_label("Person or team").select_option(label="mate@acme.test (Ops)")
    responders.get_by_role("button", name="Add as responder").click()
    page.locator(".messages", has_text="Responder added.").wait_for()
    assert_not_reloaded(page)
    assert "mate@acme.test" in page.locator("[data-field=assignees]").inner_text()
    assert focused(page) == "Add as responder"
    # The edit form knows the new assignee: saving it does not drop them.
    chosen = page.locator("#edit select[name=assignees] option:checked").all_text_contents()
    assert "mate@acme.test (Ops)" in chosen


def test_a_form_sent_after_the_session_ended_says_so(owner, browser_page):
    page = browser_page
    incident = make_incident(owner.team, name="Checkout is down")
    sign_in(page, owner)
    page.goto(f"/incidents/{incident.pk}")
    mark(page)
    other_tab = page.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_load_state()

    page.get_by_label("Add a note").fill("Still there?")
    page.get_by_role("button", name="Add note").click()

    page.locator("#session-ended").wait_for(state="visible")
    assert_not_reloaded(page)
    expect(page.locator("#timeline .form-status")).to_contain_text("your session has ended")
    assert page.get_by_label("Add a note").input_value() == "Still there?"  # nothing lost
    assert not incident.timeline.filter(kind=TimelineKind.NOTE).exists()
