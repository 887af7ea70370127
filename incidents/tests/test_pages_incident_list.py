"""The incident list: live updates, acknowledge and resolve in a browser; order, scope, queries."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.tests.builders import make_incident
from pinghome.testing import sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_ingested_alert_appears_without_reload_and_can_be_acknowledged_and_resolved(
    owner, browser_page
):
    page = browser_page
    webhook = create_webhook(owner)
    create_ruleset(
        owner,
        name="Checkout",
        incident_name="{{ service }} is down",
        conditions=[
            {"type": "json-check", "key": "status", "operator": "equal", "values": ["down"]}
        ],
        dedup_key="service",
    )
    sign_in(page, owner)
    page.goto("/")
    assert page.locator("text=No incidents match").is_visible()

    Client().post(
        f"/v1/incident/webhook/{webhook}",
        data=json.dumps({"status": "down", "service": "checkout"}),
        content_type="application/json",
    )
    row = page.locator("tr", has_text="checkout is down")
    row.wait_for(timeout=15_000)
    assert "triggered" in row.inner_text()

    row.get_by_role("button", name="Acknowledge").click()  # sent without a reload (app.js)
    row.locator(".badge.status-acknowledged").wait_for()

    page.locator("tr", has_text="checkout is down").get_by_role("button", name="Resolve").click()
    page.locator("tr", has_text="checkout is down").locator(".badge.status-resolved").wait_for()


def test_the_list_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_unresolved_incidents_come_first_then_resolved_newest_first(client, owner):
    now = timezone.now()
    for name, status, age in [
        ("old open", "triggered", 5),
        ("new resolved", "resolved", 1),
        ("new acknowledged", "acknowledged", 2),
        ("old resolved", "resolved", 9),
    ]:
        make_incident(owner.team, name=name, status=status, created_at=now - timedelta(hours=age))
    client.force_login(owner.user)

    html = client.get("/").content.decode()

    order = ["new acknowledged", "old open", "new resolved", "old resolved"]
    assert sorted(order, key=html.index) == order


def test_another_organizations_incidents_are_not_listed(client, owner, outsider):
    make_incident(outsider.team, name="Globex private incident")
    client.force_login(owner.user)

    assert "Globex private incident" not in client.get("/").content.decode()
