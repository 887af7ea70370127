"""The maintenance pages, the admin, and the public status page's announcement."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from maintenance.models import MaintenanceWindow
from maintenance.tests.test_api_maintenance_windows import body, create, iso
from pinghome.testing import assert_fits, screenshot, sign_in
from rulesets.tests.pipeline import create_ruleset, create_webhook

pytestmark = pytest.mark.django_db


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def form(**fields) -> dict:
    return {
        "reason": "Database upgrade",
        "start": "2030-03-05T22:00",
        "end": "2030-03-06T02:00",
        **fields,
    }


def test_the_maintenance_pages_require_sign_in(owner):
    window_id = create(owner)
    for url in ("/maintenance", f"/maintenance/{window_id}"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login"), url


def test_a_window_is_scheduled_from_the_page_in_the_users_time_zone(owner):
    owner.user.time_zone = "Europe/Berlin"
    owner.user.save(update_fields=["time_zone"])
    client = signed_in(owner)

    response = client.post(
        "/maintenance",
        form(
            weekly="on",
            week_days=["2"],
            start_time="22:00",
            end_time="02:00",
            time_zone="Europe/Berlin",
            teams=[str(owner.team.pk)],
        ),
    )

    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.start == datetime(2030, 3, 5, 21, 0, tzinfo=UTC)
    assert window.recurrence == {
        "week_days": [2],
        "start_time": "22:00:00",
        "end_time": "02:00:00",
        "time_zone": "Europe/Berlin",
    }
    assert list(window.teams.all()) == [owner.team]
    html = client.get("/maintenance").content.decode()
    assert "Database upgrade" in html and "teams <strong>Ops</strong>" in html


def test_errors_of_the_api_are_shown_next_to_their_fields(owner):
    client = signed_in(owner)
    weekly = {"weekly": "on", "start_time": "25:00", "end_time": "02:00"}

    no_day = client.post("/maintenance", form(**weekly))
    bad_time = client.post("/maintenance", form(week_days=["1"], **weekly))
    backwards = client.post("/maintenance", form(end="2030-03-05T21:00"))

    assert [r.status_code for r in (no_day, bad_time, backwards)] == [422] * 3
    assert "week_days" in no_day.context["form"].errors
    assert "start_time" in bad_time.context["form"].errors
    assert backwards.context["form"].errors["end"] == ["must be after start"]
    assert "must be after start" in backwards.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_a_window_is_edited_and_deleted_from_its_page(owner):
    window_id = create(owner)
    client = signed_in(owner)

    page = client.get(f"/maintenance/{window_id}").content.decode()
    assert 'value="Database upgrade"' in page
    assert client.post(f"/maintenance/{window_id}", form(reason="Kernel patch")).status_code == 302
    assert MaintenanceWindow.objects.get().reason == "Kernel patch"
    assert client.post(f"/maintenance/{window_id}", {"delete": "1"}).status_code == 302
    assert not MaintenanceWindow.objects.exists()


def test_a_responder_cannot_schedule_or_delete_a_window_from_the_page(owner, teammate):
    window_id = create(owner, team_ids=[str(owner.team.pk)])
    client = signed_in(teammate)

    assert client.post("/maintenance", form(teams=[str(teammate.team.pk)])).status_code == 403
    assert client.post(f"/maintenance/{window_id}", {"delete": "1"}).status_code == 403
    assert MaintenanceWindow.objects.count() == 1


def test_another_organizations_window_page_is_a_404(owner, outsider):
    window_id = create(owner)

    client = signed_in(outsider)
    assert client.get(f"/maintenance/{window_id}").status_code == 404
    assert client.post(f"/maintenance/{window_id}", {"delete": "1"}).status_code == 404
    assert "data-window" not in client.get("/maintenance").content.decode()


def test_the_admin_refuses_a_recurrence_the_api_would_refuse(owner, admin_client):
    response = admin_client.post(
        "/admin/maintenance/maintenancewindow/add/",
        {
            "organization": str(owner.organization.pk),
            "reason": "x",
            "start_0": "2030-01-01",
            "start_1": "00:00:00",
            "end_0": "2030-01-02",
            "end_1": "00:00:00",
            "recurrence": '{"week_days": [9], "start_time": "22:00", "end_time": "02:00"}',
        },
    )

    assert response.status_code == 200
    assert "week_days" in response.context["adminform"].form.errors["recurrence"][0]
    assert not MaintenanceWindow.objects.exists()


# --------------------------------------------------------------------------- status page


def status_page_with_component(owner) -> tuple[str, str]:
    page = owner.api.post("/v1/status-page", {"name": "Public"}, format="json").json()["id"]
    component = owner.api.post(
        f"/v1/status-page/{page}/component", {"name": "Checkout"}, format="json"
    ).json()["id"]
    return page, component


def holding_ruleset(owner, page, component, **fields) -> str:
    ruleset = create_ruleset(owner, **fields)
    owner.api.put(
        f"/v1/ruleset/{ruleset}/actions",
        {
            "actions": [
                {
                    "type": "trigger-alerts",
                    "settings": [{"status_page_id": page, "component_id": component}],
                }
            ]
        },
        format="json",
    )
    return ruleset


def test_the_public_page_announces_a_window_of_its_components(owner):
    page, component = status_page_with_component(owner)
    webhook = create_webhook(owner)
    holding_ruleset(owner, page, component, webhook_ids=[webhook])
    soon = timezone.now() + timedelta(days=2)
    create(
        owner,
        reason="Payment provider upgrade",
        start=iso(soon),
        end=iso(soon + timedelta(hours=2)),
        webhook_ids=[webhook],
    )
    create(
        owner,
        reason="Someone else's",
        start=iso(soon),
        end=iso(soon + timedelta(hours=1)),
        webhook_ids=[create_webhook(owner, "other")],
    )
    create(
        owner,
        reason="Far away",
        start=iso(soon + timedelta(days=60)),
        end=iso(soon + timedelta(days=61)),
    )

    html = Client().get(f"/status/{page}").content.decode()

    assert "Payment provider upgrade" in html
    assert 'data-maintenance="planned"' in html and "affects Checkout" in html
    assert "Someone else" not in html and "Far away" not in html


def test_the_public_page_shows_a_window_under_way_and_none_after(owner):
    page, component = status_page_with_component(owner)
    holding_ruleset(owner, page, component)
    now = timezone.now()
    window_id = create(
        owner,
        reason="Upgrade",
        start=iso(now - timedelta(minutes=5)),
        end=iso(now + timedelta(minutes=5)),
    )

    assert 'data-maintenance="now"' in Client().get(f"/status/{page}").content.decode()
    owner.api.delete(f"/v1/maintenance-window/{window_id}")
    assert "Maintenance" not in Client().get(f"/status/{page}").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_window_is_scheduled_in_a_browser_at_390px(owner, browser_page):
    page = browser_page
    sign_in(page, owner)
    page.goto("/maintenance")
    page.set_viewport_size({"width": 390, "height": 900})

    page.get_by_label("Reason").fill("Database upgrade")
    page.get_by_label("Start (UTC)").fill("2030-03-05T22:00")
    page.get_by_label("End (UTC)").fill("2030-03-06T02:00")
    page.get_by_label("Ops").check()
    page.get_by_role("button", name="Schedule window").focus()
    assert page.evaluate("document.activeElement.textContent") == "Schedule window"
    page.keyboard.press("Enter")
    page.wait_for_url("**/maintenance")
    assert "scheduled" in page.locator(".messages").inner_text()
    assert page.locator("[data-window]").count() == 1
    assert_fits(page, 390)
    screenshot(page, "maintenance-list-390")
    assert MaintenanceWindow.objects.get().reason == "Database upgrade"
    assert body()["reason"] == "Database upgrade"
