"""Importing a layer from a real-world iCalendar export (Google Calendar, with a VTIMEZONE,
recurrences, an exception, an all-day event, a cancelled one and a folded attendee line)."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditRecord
from schedules.ics_import import ImportError_, read_events
from schedules.models import ImportedLayer, ImportedShift

EXPORT = (Path(__file__).parent / "data" / "oncall-export.ics").read_bytes()
SINCE = datetime(2025, 3, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_export_is_read_with_recurrences_exceptions_and_all_day_events():
    events = read_events(EXPORT, ZoneInfo("UTC"), SINCE, SINCE)
    assert [(e.start, e.end, e.summary) for e in events] == [
        (utc("2025-03-17T08:00"), utc("2025-03-24T08:00"), "On call: Owner"),
        (utc("2025-03-24T08:00"), utc("2025-03-31T07:00"), "[Ops primary] mate@acme.test"),
        (utc("2025-03-31T07:00"), utc("2025-04-07T07:00"), "On call: Owner"),
        (utc("2025-04-07T07:00"), utc("2025-04-14T07:00"), "[Ops primary] mate@acme.test"),
        (utc("2025-04-18T00:00"), utc("2025-04-22T00:00"), "Easter cover - Dana Contractor"),
        (utc("2025-04-21T07:00"), utc("2025-04-28T07:00"), "[Ops primary] mate@acme.test"),
        (utc("2025-04-28T07:00"), utc("2025-05-05T07:00"), "On call: Owner"),
    ]
    assert events[0].emails == ("owner@acme.test", "ops@acme.test")


def test_what_ended_long_before_since_is_left_out():
    events = read_events(EXPORT, ZoneInfo("UTC"), utc("2025-04-20T00:00"), SINCE)
    assert [e.start for e in events][0] == utc("2025-04-18T00:00")


@pytest.mark.parametrize("content", [b"not a calendar", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT"])
def test_a_file_that_is_no_calendar_is_refused(content):
    with pytest.raises(ImportError_):
        read_events(content, ZoneInfo("UTC"), SINCE, SINCE)


def test_an_endless_minutely_rule_costs_a_bounded_amount_of_work():
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        b"DTSTART:19900101T000000Z\r\nDTEND:19900101T000100Z\r\nRRULE:FREQ=MINUTELY\r\n"
        b"SUMMARY:spam\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert read_events(ics, ZoneInfo("UTC"), SINCE, SINCE) == []


@pytest.mark.django_db
def test_importing_through_the_api_makes_a_layer_and_lists_the_unmatched(owner, teammate):
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/layer-import",
        {"name": "Google", "layer": 3, "ics": EXPORT.decode(), "since": "2025-03-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["shifts"] == 6
    assert data["unmatched"] == [
        {
            "start": "2025-04-18T00:00:00Z",
            "end": "2025-04-22T00:00:00Z",
            "summary": "Easter cover - Dana Contractor",
            "emails": [],
        }
    ]
    layer = ImportedLayer.objects.get(pk=data["id"])
    assert layer.layer == 3
    assert ImportedShift.objects.filter(layer=layer, team_member=teammate.member).count() == 3

    def oncall(at):
        return owner.api.get(f"/v1/team/{owner.team.id}/oncall", {"at": at}).json()

    assert oncall("2025-03-18T12:00:00Z")["team_member_ids"] == [str(owner.member.id)]
    assert oncall("2025-03-25T12:00:00Z")["team_member_ids"] == [str(teammate.member.id)]
    assert oncall("2025-04-15T12:00:00Z")["team_member_ids"] == []
    shifts = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts",
        {"from": "2025-03-18T00:00:00Z", "to": "2025-03-19T00:00:00Z"},
    ).json()["shifts"]
    assert [s["source"] for s in shifts] == [data["id"]]
    assert owner.api.get(f"/v1/team/{owner.team.id}/layers").json()[0]["name"] == "Google"
    assert AuditRecord.objects.filter(object_id=data["id"], action="created").exists()

    assert teammate.api.delete(f"/v1/layer/{data['id']}").status_code == 403
    assert owner.api.delete(f"/v1/layer/{data['id']}").status_code == 200
    assert not ImportedShift.objects.exists()


@pytest.mark.django_db
def test_an_unreadable_file_is_422_naming_ics(owner):
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/layer-import",
        {"name": "Broken", "ics": "hello"},
        format="json",
    )
    assert response.status_code == 422
    assert "ics" in response.json()["errors"]


@pytest.mark.django_db
def test_outsiders_and_responders_cannot_import(owner, teammate, outsider):
    body = {"name": "X", "ics": EXPORT.decode()}
    url = f"/v1/team/{owner.team.id}/layer-import"
    assert outsider.api.post(url, body, format="json").status_code == 404
    assert teammate.api.post(url, body, format="json").status_code == 403


@pytest.mark.django_db
def test_importing_from_the_page_lists_the_layer_and_the_unmatched(owner, teammate):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client()
    client.force_login(owner.user)
    response = client.post(
        f"/oncall/{owner.team.id}/layers/import",
        {
            "name": "Google",
            "layer": "2",
            "since": "2025-03-01",
            "file": SimpleUploadedFile("oncall.ics", EXPORT, content_type="text/calendar"),
        },
        follow=True,
    )
    page = response.content.decode()
    layer = ImportedLayer.objects.get()
    assert f'data-layer="{layer.id}"' in page
    assert "Matched no member: Easter cover - Dana Contractor" in page
    client.post(f"/oncall/{owner.team.id}/layers/{layer.id}/delete")
    assert not ImportedLayer.objects.exists()
