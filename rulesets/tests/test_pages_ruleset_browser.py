"""The ruleset form in a real browser: rows added with the add-row button, then the test button."""

import json

import pytest
from django.test import Client

from pinghome.testing import assert_fits, sign_in
from rulesets.models import Ruleset
from rulesets.tests.pipeline import create_webhook, payload

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_ruleset_created_with_two_added_condition_rows_matches_an_ingested_event_in_a_test(
    owner, sized_page
):
    page = sized_page
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
    [result] = page.locator("#test-results [data-event]").all()
    assert "would attach to the open incident" in result.inner_text()  # it opened it
    assert "checkout-eu" in result.locator("[data-field=dedup_key]").inner_text()


def test_a_bad_regex_in_an_added_row_is_shown_next_to_that_row(owner, sized_page):
    page = sized_page
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
    assert "Condition 1, value 1: invalid regex" in row.locator(".errorlist").inner_text()
    assert not Ruleset.objects.exists()


def test_a_dedup_key_error_is_shown_right_below_the_dedup_key_input(owner, sized_page):
    """Issue 19, found broken 8: the form's grid put it under "Webhooks it listens to"."""
    page = sized_page
    create_webhook(owner, "Grafana")
    sign_in(page, owner)
    page.goto("/rulesets/new")
    page.fill("input[name=name]", "Disk")
    page.fill("input[name=dedup_key]", "a..b")
    page.get_by_role("button", name="Create ruleset").click()
    page.wait_for_load_state()

    field = page.locator("input[name=dedup_key]").bounding_box()
    error = page.locator(".form-grid .errorlist", has_text="Dedup key: invalid").bounding_box()
    assert field["x"] - 1 <= error["x"] < field["x"] + field["width"]  # in its column
    assert 0 <= error["y"] - (field["y"] + field["height"]) < 80  # right below it (and its help)
    assert page.locator("[data-field=webhook_ids] .errorlist").count() == 0
    assert not Ruleset.objects.exists()


def test_the_unsaved_form_is_tested_on_a_pasted_payload(owner, sized_page):
    page = sized_page
    create_webhook(owner, "Alertmanager")
    sign_in(page, owner)
    page.goto("/rulesets/new")
    page.fill("input[name=name]", "Fire")
    page.fill("input[name=incident_name]", '{{ commonLabels.alertname }} on {{ x | default: "?" }}')
    conditions = page.locator("[data-rows=conditions]")
    conditions.get_by_role("button", name="Add condition").click()
    row = conditions.locator("[data-row]").first
    row.get_by_label("Condition key").fill("commonLabels.severity")
    row.get_by_label("Condition values").fill("critical")
    page.check("input[name=test-source][value=payload]")
    page.fill("textarea[name=test-payload]", payload("alertmanager_v4_firing.json").decode())
    page.get_by_role("button", name="Test without saving").click()
    page.wait_for_load_state()

    result = page.locator("#test-results [data-event=payload]")
    assert "would open an incident" in result.inner_text()
    assert "Fire on ?" in result.inner_text()
    assert "✓ held" in result.locator("[data-check='1']").inner_text()
    assert page.locator("input[name=name]").input_value() == "Fire"
    assert_fits(page, page.viewport_size["width"])
    assert not Ruleset.objects.exists()
