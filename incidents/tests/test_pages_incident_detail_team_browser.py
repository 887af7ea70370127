"""The incident page for a team, in a browser on a phone: a note, a duplicate merged, a live
timeline that keeps what the responder is typing."""

import pytest

from incidents.models import Incident
from incidents.tests.builders import make_incident, open_incident
from pinghome.testing import assert_fits, sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_responder_adds_a_note_and_merges_a_duplicate(owner, teammate, sized_page):
    page = sized_page
    width = page.viewport_size["width"]
    incident = open_incident(owner.team, owner.user, name="Checkout is down")
    duplicate = make_incident(owner.team, name="Checkout returns 502")
    sign_in(page, teammate)
    page.goto(f"/incidents/{incident.pk}")
    assert_fits(page, width)

    page.get_by_label("Add a note").fill("Rolled back deploy 4f2c1.")
    page.get_by_role("button", name="Add note").click()
    note = page.locator("ol.timeline li[data-kind=note]")
    note.wait_for()
    assert "Rolled back deploy 4f2c1." in note.inner_text()
    assert note.locator(".actor").inner_text() == "mate@acme.test"

    page.locator("#merge summary").click()
    page.get_by_role("checkbox", name="Checkout returns 502").check()
    page.get_by_role("button", name="Merge the ticked ones into this incident").click()
    page.locator(".messages", has_text="Merged 1 incident(s) into this one.").wait_for()
    assert Incident.objects.get(pk=duplicate.pk).merged_into_id == incident.pk
    assert page.locator("ol.timeline li[data-kind=merged]").is_visible()
    assert_fits(page, width)


def test_the_timeline_updates_live_and_keeps_what_is_being_typed(owner, teammate, sized_page):
    page = sized_page
    incident = open_incident(owner.team, owner.user, name="Checkout is down")
    sign_in(page, owner)
    page.goto(f"/incidents/{incident.pk}")
    box = page.get_by_label("Add a note")
    box.fill("Looking at the")
    box.focus()

    response = teammate.api.post(
        f"/v1/incident/{incident.pk}/note", {"text": "DB failover done."}, format="json"
    )
    assert response.status_code == 201
    arrived = page.locator("ol.timeline li[data-kind=note]", has_text="DB failover done.")
    arrived.wait_for(timeout=20_000)

    assert "is-new" in arrived.get_attribute("class")
    assert box.evaluate("node => node === document.activeElement")
    assert box.input_value() == "Looking at the"


def test_at_390_px_names_without_spaces_wrap_on_the_timeline_and_the_merge_list(
    owner, browser_page
):
    # The page was 182 px too wide: the timeline's actor "ruleset:<its name>" does not break,
    # and neither does a duplicate's dedup key in the merge list once opened.
    page = browser_page
    webhook = create_webhook(owner)
    create_ruleset(owner, name="HighErrorRateOnCheckoutServiceInProductionEuWest1")
    send(webhook, {"status": "firing"})
    incident = Incident.objects.get()
    make_incident(owner.team, name="Checkout returns 502", dedup_key="checkout-" + "x" * 90)
    sign_in(page, owner)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"/incidents/{incident.pk}")
    assert page.locator("ol.timeline .actor", has_text="ruleset:HighErrorRate").count()
    assert_fits(page, 390)
    page.locator("#merge summary").click()
    assert page.get_by_role("checkbox", name="Checkout returns 502").is_visible()
    assert_fits(page, 390)
