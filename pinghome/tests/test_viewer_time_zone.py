"""Every signed-in page shows times in the viewer's time zone: the one set on My profile, else
their browser's (the ``tz`` cookie app.js keeps), else UTC. The API keeps speaking UTC."""

from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditRecord
from webhooks.models import WebhookEvent

WINDOW = {
    "reason": "Database upgrade",
    "start": "2030-03-05T22:00:00Z",
    "end": "2030-03-06T02:00:00Z",
}


@pytest.fixture
def world(owner):
    """A webhook with an event (and the audit record of its creation) and a maintenance window
    starting 2030-03-05 22:00 UTC."""
    webhook = owner.api.post("/v1/webhook", {"name": "Alarms"}, format="json").json()
    owner.api.post(f"/v1/incident/webhook/{webhook['id']}", {"state": "ALARM"}, format="json")
    window = owner.api.post("/v1/maintenance-window", WINDOW, format="json").json()
    return {"webhook_id": webhook["id"], "window_id": window["id"]}


def pages(client, world) -> dict[str, str]:
    return {
        path: client.get(path).content.decode()
        for path in ("/audit-log", f"/webhooks/{world['webhook_id']}", "/maintenance", "/my/shifts")
    }


def local(at, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def set_zone(persona, zone: str) -> None:
    persona.user.time_zone = zone
    persona.user.save(update_fields=["time_zone"])


def test_a_viewer_in_tokyo_sees_the_audit_log_the_events_and_the_windows_in_tokyo_time(
    client, owner, world
):
    set_zone(owner, "Asia/Tokyo")
    client.force_login(owner.user)
    client.cookies["tz"] = "America/New_York"  # their profile's zone wins over the browser's

    shown = pages(client, world)

    record = AuditRecord.objects.filter(object_id=world["webhook_id"]).latest("created_at")
    assert local(record.created_at, "Asia/Tokyo") in shown["/audit-log"]
    assert "Times in Asia/Tokyo." in shown["/audit-log"]
    event = WebhookEvent.objects.get(webhook_id=world["webhook_id"])
    assert local(event.received_at, "Asia/Tokyo") in shown[f"/webhooks/{world['webhook_id']}"]
    assert "2030-03-06 07:00 JST" in shown["/maintenance"]
    assert "in Asia/Tokyo." in shown["/my/shifts"]


def test_a_viewer_who_set_no_zone_sees_their_browsers(client, owner, world):
    client.force_login(owner.user)
    client.cookies["tz"] = "America/New_York"

    shown = pages(client, world)

    record = AuditRecord.objects.filter(object_id=world["webhook_id"]).latest("created_at")
    assert local(record.created_at, "America/New_York") in shown["/audit-log"]
    event = WebhookEvent.objects.get(webhook_id=world["webhook_id"])
    webhook_page = shown[f"/webhooks/{world['webhook_id']}"]
    assert local(event.received_at, "America/New_York") in webhook_page
    assert "2030-03-05 17:00 EST" in shown["/maintenance"]
    assert "in America/New_York." in shown["/my/shifts"]
    profile = client.get("/profile").content.decode()
    assert "The pages show times in America/New_York." in profile


def test_a_window_typed_on_the_page_is_read_in_the_browsers_zone(client, owner):
    client.force_login(owner.user)
    client.cookies["tz"] = "Asia/Tokyo"

    response = client.post(
        "/maintenance",
        {"reason": "Upgrade", "start": "2030-03-06T07:00", "end": "2030-03-06T11:00"},
    )

    assert response.status_code == 302, response.content.decode()
    window = owner.api.get("/v1/maintenance-windows").json()[0]
    assert window["start"] == "2030-03-05T22:00:00Z"


@pytest.mark.parametrize(
    "cookie", ["Mars/Base", "../../etc/passwd", "Europe/" + "x" * 300, "", "UTC; other=1"]
)
def test_a_cookie_naming_no_zone_means_utc(client, owner, world, cookie):
    client.force_login(owner.user)
    client.cookies["tz"] = cookie

    shown = pages(client, world)

    assert "2030-03-05 22:00 UTC" in shown["/maintenance"]
    assert "Times in UTC." in shown["/audit-log"]


def test_the_on_call_calendar_offers_the_browsers_zone(client, owner):
    owner.team.time_zone = "Europe/Berlin"
    owner.team.save()
    client.force_login(owner.user)
    client.cookies["tz"] = "America/New_York"

    page = client.get("/oncall").content.decode()
    assert "Times in Europe/Berlin, the team's" in page
    assert "Show in yours (America/New_York)" in page
    page = client.get("/oncall?zone=mine").content.decode()
    assert "Times in America/New_York, your time zone" in page


def test_the_api_speaks_utc_to_a_signed_in_viewer_too(owner, world):
    set_zone(owner, "Asia/Tokyo")
    owner.api.force_login(owner.user)  # a session as well as the token, as from the API docs
    owner.api.cookies["tz"] = "Asia/Tokyo"

    window = owner.api.get(f"/v1/maintenance-window/{world['window_id']}").json()

    assert window["start"] == "2030-03-05T22:00:00Z"
