"""Rotations through the API: create, read, change the future only, delete; the final schedule."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditRecord
from pinghome.testing import make_persona
from schedules.models import Rotation, RotationVersion, ScheduleEntry

pytestmark = pytest.mark.django_db


def body(persona, *members, **fields):
    return {
        "name": "Primary",
        "layer": 1,
        "participants": [str(m.member.id) for m in members],
        "shift_length": "weekly",
        "handoff": "2025-01-06T09:00:00",
        "time_zone": "Europe/Berlin",
        "end": None,
        "restrictions": [],
        **fields,
    }


def create(persona, *members, **fields):
    response = persona.api.post(
        f"/v1/team/{persona.team.id}/rotation", body(persona, *members, **fields), format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def oncall(persona, at):
    response = persona.api.get(f"/v1/team/{persona.team.id}/oncall", {"at": at})
    assert response.status_code == 200, response.json()
    return response.json()["team_member_ids"]


def test_a_rotation_is_created_and_read_back(owner, teammate):
    rotation_id = create(
        owner,
        owner,
        teammate,
        restrictions=[{"week_days": [5, 1, 1], "start_time": "18:00", "end_time": "08:00:00"}],
    )
    response = owner.api.get(f"/v1/rotation/{rotation_id}")
    assert response.status_code == 200
    data = response.json()
    assert data["participants"] == [str(owner.member.id), str(teammate.member.id)]
    assert data["handoff"] == "2025-01-06T09:00:00"
    assert data["restrictions"] == [
        {"week_days": [1, 5], "start_time": "18:00:00", "end_time": "08:00:00"}
    ]
    listed = owner.api.get(f"/v1/team/{owner.team.id}/rotations").json()
    assert [r["id"] for r in listed] == [rotation_id]
    assert AuditRecord.objects.filter(object_id=rotation_id, action="created").exists()


def test_a_weekly_rotation_hands_off_at_nine_berlin_in_winter_and_summer(owner, teammate):
    create(owner, owner, teammate)
    # 2025-01-13 09:00 Berlin is 08:00 UTC; 2025-07-07 09:00 Berlin is 07:00 UTC.
    assert oncall(owner, "2025-01-13T07:59:59Z") == [str(owner.member.id)]
    assert oncall(owner, "2025-01-13T08:00:00Z") == [str(teammate.member.id)]
    # Week 26 from 2025-01-06 is the one of 2025-07-07: participant 26 mod 2 = 0.
    assert oncall(owner, "2025-07-07T06:59:59Z") == [str(teammate.member.id)]
    assert oncall(owner, "2025-07-07T07:00:00Z") == [str(owner.member.id)]


def test_shifts_say_which_rotation_they_came_from_and_the_layer_wins(owner, teammate):
    ScheduleEntry.objects.create(
        team=owner.team,
        team_member=teammate.member,
        week_days=list(range(7)),
        start_time="00:00",
        end_time="00:00",
    )
    rotation_id = create(
        owner,
        owner,
        shift_length="daily",
        restrictions=[{"week_days": [1, 2, 3, 4, 5], "start_time": "09:00", "end_time": "17:00"}],
    )
    response = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts",
        {"from": "2025-01-06T00:00:00Z", "to": "2025-01-07T00:00:00Z"},
    )
    assert [
        (s["team_member_id"], s["start"], s["end"], s["source"]) for s in response.json()["shifts"]
    ] == [
        (str(teammate.member.id), "2025-01-06T00:00:00Z", "2025-01-06T08:00:00Z", "entry"),
        (str(owner.member.id), "2025-01-06T08:00:00Z", "2025-01-06T16:00:00Z", rotation_id),
        (str(teammate.member.id), "2025-01-06T16:00:00Z", "2025-01-07T00:00:00Z", "entry"),
    ]


def test_a_put_changes_only_the_future(owner, teammate, manager):
    rotation_id = create(owner, owner, teammate, shift_length="daily", handoff="2020-01-01T00:00")
    RotationVersion.objects.update(effective_from=datetime(2020, 1, 1, tzinfo=UTC))  # made then
    past = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts",
        {"from": "2024-01-01T00:00:00Z", "to": "2024-01-05T00:00:00Z"},
    ).json()
    now = timezone.now()
    response = owner.api.put(
        f"/v1/rotation/{rotation_id}",
        body(owner, manager, shift_length="daily", handoff="2020-01-01T00:00"),
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"message": "Rotation updated."}
    again = owner.api.get(
        f"/v1/team/{owner.team.id}/shifts",
        {"from": "2024-01-01T00:00:00Z", "to": "2024-01-05T00:00:00Z"},
    ).json()
    assert again == past
    later = (now + timedelta(days=3)).isoformat()
    assert oncall(owner, later) == [str(manager.member.id)]
    rotation = Rotation.objects.get(pk=rotation_id)
    assert rotation.versions.count() == 2
    assert owner.api.get(f"/v1/rotation/{rotation_id}").json()["participants"] == [
        str(manager.member.id)
    ]
    assert AuditRecord.objects.filter(object_id=rotation_id, action="updated").exists()


def test_deleting_a_started_rotation_keeps_its_past(owner, teammate):
    rotation_id = create(owner, owner, shift_length="daily", handoff="2020-01-01T00:00")
    response = owner.api.delete(f"/v1/rotation/{rotation_id}")
    assert response.status_code == 200
    assert owner.api.get(f"/v1/rotation/{rotation_id}").status_code == 404
    assert owner.api.get(f"/v1/team/{owner.team.id}/rotations").json() == []
    assert oncall(owner, "2024-01-01T00:00:00Z") == [str(owner.member.id)]
    assert oncall(owner, (timezone.now() + timedelta(hours=1)).isoformat()) == []


def test_deleting_a_rotation_that_never_started_removes_it(owner):
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    rotation_id = create(owner, owner, handoff=future)
    assert owner.api.delete(f"/v1/rotation/{rotation_id}").status_code == 200
    assert not Rotation.objects.filter(pk=rotation_id).exists()


def test_a_36_hour_custom_rotation(owner, teammate):
    create(owner, owner, teammate, shift_length="custom", shift_hours=36, time_zone="UTC")
    assert oncall(owner, "2025-01-07T20:59:59Z") == [str(owner.member.id)]
    assert oncall(owner, "2025-01-07T21:00:00Z") == [str(teammate.member.id)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"shift_length": "monthly"}, "shift_length"),
        ({"shift_length": "custom"}, "shift_hours"),
        ({"shift_length": "custom", "shift_hours": 0}, "shift_hours"),
        ({"handoff": "next monday"}, "handoff"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"layer": 0}, "layer"),
        ({"participants": []}, "participants"),
        ({"participants": ["00000000-0000-0000-0000-000000000000"]}, "participants"),
        ({"end": "soon"}, "end"),
        ({"restrictions": [{"start_time": "25:00", "end_time": "08:00"}]},
         "restrictions.0.start_time"),
        ({"restrictions": [{"week_days": [9], "start_time": "08:00", "end_time": "09:00"}]},
         "restrictions.0.week_days.0"),
        ({"name": ""}, "name"),
    ],
)  # fmt: skip
def test_an_invalid_rotation_is_422_naming_the_field(owner, fields, field):
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/rotation", body(owner, owner, **fields), format="json"
    )
    assert response.status_code == 422, response.json()
    assert field in response.json()["errors"]


def test_a_member_of_another_team_cannot_be_a_participant(owner):
    other = make_persona("Acme", "Web", "web@acme.test")
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/rotation", body(owner, other), format="json"
    )
    assert response.status_code == 422
    assert "participants" in response.json()["errors"]


def test_responders_cannot_change_rotations(owner, teammate):
    rotation_id = create(owner, owner)
    response = teammate.api.post(
        f"/v1/team/{owner.team.id}/rotation", body(owner, owner), format="json"
    )
    assert response.status_code == 403
    assert (
        teammate.api.put(
            f"/v1/rotation/{rotation_id}", body(owner, teammate), format="json"
        ).status_code
        == 403
    )
    assert teammate.api.delete(f"/v1/rotation/{rotation_id}").status_code == 403
    assert teammate.api.get(f"/v1/rotation/{rotation_id}").status_code == 200


def test_another_organizations_rotation_is_404(owner, outsider):
    rotation_id = create(owner, owner)
    assert outsider.api.get(f"/v1/rotation/{rotation_id}").status_code == 404
    assert outsider.api.delete(f"/v1/rotation/{rotation_id}").status_code == 404
    assert outsider.api.get(f"/v1/team/{owner.team.id}/rotations").status_code == 404
    assert (
        outsider.api.post(
            f"/v1/team/{owner.team.id}/rotation", body(owner, owner), format="json"
        ).status_code
        == 404
    )


def test_a_bad_token_is_401(anonymous, owner):
    assert anonymous.get(f"/v1/team/{owner.team.id}/rotations").status_code == 401


def test_listing_rotations_takes_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    for n in range(10):
        create(owner, owner, name=f"R{n}", layer=n + 1)
    with django_assert_max_num_queries(6):
        response = owner.api.get(f"/v1/team/{owner.team.id}/rotations")
    assert [r["layer"] for r in response.json()] == list(range(1, 11))


# --------------------------------------------------------------------------- lenient contract


def test_null_optional_arrays_and_dates_mean_no_filter_and_repeats_are_stored_once(owner):
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/schedule",
        {
            "team_member_id": str(owner.member.id),
            "months_of_year": None,
            "weeks_of_month": None,
            "start_date": None,
            "end_date": None,
            "week_days": [1, 1, 2, 2],
            "start_time": "09:00",
            "end_time": "17:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry = ScheduleEntry.objects.get(pk=response.json()["id"])
    assert (entry.months_of_year, entry.weeks_of_month, entry.week_days) == ([], [], [1, 2])
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/schedule",
        {
            "team_member_id": str(owner.member.id),
            "months_of_year": [1, 1, 12],
            "weeks_of_month": [-1, -1],
            "week_days": [3],
            "start_time": "09:00",
            "end_time": "17:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry = ScheduleEntry.objects.get(pk=response.json()["id"])
    assert (entry.months_of_year, entry.weeks_of_month) == ([1, 12], [-1])


def test_the_calendar_feed_serves_rotation_shifts_saying_where_they_came_from(owner, teammate):
    create(owner, owner, teammate, name="Primary", shift_length="daily", handoff="2020-01-01T09:00")
    response = owner.api.post(f"/v1/team/{owner.team.id}/calendar-feed", {}, format="json")
    secret = response.json()["url"].rsplit("/", 1)[1]
    ics = Client().get(f"/v1/calendar/{secret}").content.decode()
    assert "From rotation Primary" in ics
    assert ics.count("BEGIN:VEVENT") >= 60
