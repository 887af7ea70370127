"""A responder's flows through the incident list and an incident's page, in a browser at 1366 and
at 390 px: sort, save the view, "Mine", the next page, resolve and snooze a selection; on the
incident, the alert's fields, a responder added, a reassignment, a snooze and the link to its
ruleset."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.tests.builders import bulk_incidents, make_incident
from pinghome.testing import assert_fits, sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook, send

pytestmark = pytest.mark.django_db(transaction=True)

RUNBOOK = "https://runbooks.example.com/replica-lag"


def shown(page) -> list[str]:
    return page.locator("tr[data-incident]").evaluate_all(
        "rows => rows.map(row => row.dataset.incident)"
    )


def test_a_responder_sorts_saves_the_view_keeps_theirs_pages_on_and_resolves_and_snoozes(
    owner, teammate, sized_page
):
    page = sized_page
    width = page.viewport_size["width"]
    now = timezone.now()
    storm = bulk_incidents(owner.team, [now - timedelta(minutes=n) for n in range(52)])
    mine = make_incident(
        owner.team,
        name="Database replica lag",
        urgency="critical",
        created_at=now - timedelta(days=1),
        assignees=[{"type": "team_member", "id": str(teammate.member.pk)}],
    )
    sign_in(page, teammate)
    page.goto("/")
    assert str(mine.pk) not in shown(page)  # newest first: the oldest is on page 2

    page.get_by_label("Sort").select_option("urgency")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**sort=urgency**")
    assert shown(page)[0] == str(mine.pk)
    assert_fits(page, width)

    page.get_by_label("Save this view as").fill("Urgent first")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".messages", has_text="Saved as “Urgent first”.").wait_for()

    page.get_by_role("link", name="Mine", exact=True).click()
    page.wait_for_url("**mine=true**")
    assert shown(page) == [str(mine.pk)]
    assert page.get_by_label("Assigned to me").is_checked()

    page.get_by_role("link", name="Urgent first").click()
    page.wait_for_url("**sort=urgency**")
    assert page.get_by_label("Sort").input_value() == "urgency"
    assert len(shown(page)) == 50 and shown(page)[0] == str(mine.pk)

    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**after=**")
    assert shown(page) == [str(incident.pk) for incident in storm[49:]]
    assert_fits(page, width)

    page.get_by_role("checkbox", name="Select Incident 49").check()
    page.get_by_role("checkbox", name="Select Incident 50").check()
    page.get_by_role("button", name="Resolve selected").click()
    page.locator(".messages", has_text="2 of 2 selected incidents resolved.").wait_for()
    assert "after=" in page.url  # back on the page it was on
    page.get_by_role("checkbox", name="Select Incident 51").check()
    page.get_by_role("button", name="Snooze selected 1 h").click()
    page.locator(".messages", has_text="1 of 1 selected incidents snoozed for an hour.").wait_for()

    statuses = dict(
        Incident.objects.filter(pk__in=[i.pk for i in storm[49:]]).values_list("name", "status")
    )
    assert statuses == {
        "Incident 49": "resolved",
        "Incident 50": "resolved",
        "Incident 51": "acknowledged",
    }
    assert Incident.objects.get(name="Incident 51").snoozed_until > now + timedelta(minutes=59)


def test_a_responder_reads_the_alert_adds_a_responder_reassigns_snoozes_and_opens_the_ruleset(
    owner, teammate, sized_page
):
    page = sized_page
    width = page.viewport_size["width"]
    webhook = create_webhook(owner)
    ruleset = create_ruleset(
        owner, name="Replica lag", fields=["commonLabels.severity", "commonAnnotations.runbook_url"]
    )
    send(
        webhook,
        {
            "status": "firing",
            "commonLabels": {"severity": "critical"},
            "commonAnnotations": {"runbook_url": RUNBOOK},
        },
    )
    incident = Incident.objects.get()
    sign_in(page, teammate)
    page.goto(f"/incidents/{incident.pk}")

    fields = page.locator("#alert-fields")
    assert fields.locator("[data-field='commonLabels.severity']").inner_text() == "critical"
    runbook = fields.get_by_role("link", name=RUNBOOK)
    assert runbook.get_attribute("href") == RUNBOOK
    assert "noopener" in runbook.get_attribute("rel")
    assert_fits(page, width)

    responders = page.locator("#responders")
    responders.get_by_label("Person or team").select_option(label="mate@acme.test (Ops)")
    responders.get_by_role("button", name="Add as responder").click()
    page.locator(".messages", has_text="Responder added.").wait_for()
    assert "mate@acme.test" in page.locator("[data-field=assignees]").inner_text()

    responders.get_by_label("Person or team").select_option(label="owner@acme.test (Ops)")
    responders.get_by_role("button", name="Reassign to them").click()
    page.locator(".messages", has_text="Reassigned.").wait_for()
    assert page.locator("[data-field=assignees]").inner_text() == "owner@acme.test (Ops)"

    page.locator("#snooze").get_by_role("button", name="1 h").click()
    page.locator("[data-field=snoozed-until]").wait_for()
    assert page.locator("[data-field=status]").inner_text() == "acknowledged"
    incident.refresh_from_db()
    assert incident.snoozed_until > timezone.now() + timedelta(minutes=59)
    assert_fits(page, width)

    # Found broken 6: the incident's ruleset was plain text.
    page.locator("#incident-summary").get_by_role("link", name="Replica lag").click()
    page.wait_for_url(f"**/rulesets/{ruleset}")
    assert page.locator("input[name=name]").input_value() == "Replica lag"
