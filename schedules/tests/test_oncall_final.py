"""The final schedule read from the database: on call at any instant agrees with the shifts."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from schedules import oncall
from schedules.models import ImportedLayer, ImportedShift, Override, RotationVersion, ScheduleEntry

pytestmark = pytest.mark.django_db


def rotation(persona, **fields):
    body = {
        "name": "R",
        "participants": [str(persona.member.id)],
        "shift_length": "daily",
        "handoff": "2025-03-01T09:00",
        **fields,
    }
    response = persona.api.post(f"/v1/team/{persona.team.id}/rotation", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_on_call_at_random_instants_agrees_with_the_rendered_shifts(owner, teammate, manager):
    owner.team.time_zone = "America/New_York"
    owner.team.save()
    members = [owner.member, teammate.member, manager.member]
    ids = [str(m.id) for m in members]
    for n, member in enumerate(members):
        ScheduleEntry.objects.create(
            team=owner.team,
            team_member=member,
            week_days=[n, n + 2, n + 4],
            start_time=f"{8 * n:02d}:00",
            end_time=f"{(8 * n + 10) % 24:02d}:00",
            time_zone="Europe/Berlin" if n else "",
        )
    rotation(
        owner,
        layer=2,
        participants=ids,
        shift_length="weekly",
        time_zone="Australia/Sydney",
        restrictions=[{"week_days": [1, 2, 3, 4, 5], "start_time": "18:00", "end_time": "08:00"}],
    )
    changed = rotation(owner, layer=1, participants=ids[:2], shift_length="custom", shift_hours=36)
    RotationVersion.objects.filter(rotation_id=changed).update(
        effective_from=datetime(2025, 1, 1, tzinfo=UTC)
    )
    RotationVersion.objects.create(
        rotation_id=changed,
        effective_from=datetime(2025, 3, 20, tzinfo=UTC),
        participants=ids[1:],
        shift_length="custom",
        shift_hours=36,
        handoff_date=datetime(2025, 3, 1).date(),
        handoff_time=datetime(2025, 3, 1, 9).time(),
    )
    layer = ImportedLayer.objects.create(team=owner.team, name="Import", layer=3)
    ImportedShift.objects.create(
        layer=layer,
        team_member=manager.member,
        start=datetime(2025, 3, 15, tzinfo=UTC),
        end=datetime(2025, 3, 17, tzinfo=UTC),
    )
    Override.objects.create(
        team=owner.team,
        team_member=manager.member,
        replaces_team_member=teammate.member,
        start=datetime(2025, 3, 10, 3, tzinfo=UTC),
        end=datetime(2025, 3, 12, 17, tzinfo=UTC),
    )
    start = datetime(2025, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=45)  # both of New York's and Berlin's spring changes
    shifts, _ = oncall.shifts(owner.team, start, end)
    rng = random.Random(18)
    for _ in range(300):
        t = start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
        expected = sorted({s.member_id for s in shifts if s.start <= t < s.end})
        assert oncall.on_call(owner.team, t) == expected, t
