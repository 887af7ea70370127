"""The ruleset form in a real browser: rows added with the add-row button, then the test button."""

import json

import pytest
from django.test import Client

from pinghome.testing import sign_in
from rulesets.models import Ruleset
from rulesets.tests.pipeline import create_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_ruleset_created_with_two_added_condition_rows_matches_an_ingested_event_in_a_test(
    owner, browser_page
):
    page = browser_page
    webhook = create_webhook(owner, "Grafana")
    sign_in(page, owner)
    page.goto("/rulesets")
    page.get_by_role("link", name="New ruleset").click()

    page.fill("input[name=name]", "Checkout down")
    page.select_option("select[name=rule_type]", "state-change")
    page.fill("input[name=dedup_key]", "service")
    page.select_option("select[name=webhook_ids]", label="Grafana")
    conditions = page.locator("[data-rows=conditions]")
    rows = conditions.locator("[data-row]")
    assert rows.count() == 0
    conditions.get_by_role("button", name="Add condition").click()
    conditions.get_by_role("button", name="Add condition").click()
    assert rows.count() == 2
    rows.nth(0).get_by_label("Condition key").fill("status")
    rows.nth(0).get_by_label("Condition values").fill("down\nfailing")
    rows.nth(1).get_by_label("Condition key").fill("service")
    rows.nth(1).get_by_label("Condition operator").select_option("starts-with")
    rows.nth(1).get_by_label("Condition values").fill("check")
    page.get_by_role("button", name="Create ruleset").click()
    page.wait_for_url("**/rulesets/*")
    assert "Ruleset Checkout down saved." in page.locator(".messages").inner_text()
    ruleset = Ruleset.objects.get(name="Checkout down")
    assert [c["key"] for c in ruleset.conditions] == ["status", "service"]
    assert ruleset.conditions[0]["values"] == ["down", "failing"]

    Client().post(
        f"/v1/incident/webhook/{webhook}",
        data=json.dumps({"status": "down", "service": "checkout-eu"}),
        content_type="application/json",
    )
    page.get_by_role("link", name="Test").click()
    page.wait_for_url(f"**/rulesets/{ruleset.id}/test")
    [row] = page.locator("tr[data-event]").all()
    assert "matched" in row.inner_text()
    assert "checkout-eu" in row.locator("td").nth(4).inner_text()


def test_a_bad_regex_in_an_added_row_is_shown_next_to_that_row(owner, browser_page):
    page = browser_page
    sign_in(page, owner)
    page.goto("/rulesets/new")
    page.fill("input[name=name]", "Disk")
    conditions = page.locator("[data-rows=conditions]")
    conditions.get_by_role("button", name="Add condition").click()
    row = conditions.locator("[data-row]").first
    row.get_by_label("Condition key").fill("message")
    row.get_by_label("Condition operator").select_option("regex")
    row.get_by_label("Condition values").fill("disk (full")
    page.get_by_role("button", name="Create ruleset").click()
    page.wait_for_load_state()
    row = page.locator("[data-rows=conditions] [data-row]").first
    assert "conditions.0.values.0: invalid regex" in row.locator(".errorlist").inner_text()
    assert not Ruleset.objects.exists()
