"""Rotations on the on-call page: add, change from now on, delete; the viewer's time zone."""

import pytest
from django.test import Client

from schedules.models import Rotation

pytestmark = pytest.mark.django_db


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def form(persona, *members, **fields) -> dict:
    data = {
        "name": "Primary",
        "layer": "2",
        "shift_length": "weekly",
        "shift_hours": "",
        "handoff": "2025-01-06T09:00",
        "time_zone": "Europe/Berlin",
        "end": "",
        "restriction_days": ["1", "2", "3", "4", "5"],
        "restriction_start": "18:00",
        "restriction_end": "08:00",
        **fields,
    }
    for n, member in enumerate(members, start=1):
        data[f"participant_{n}"] = str(member.member.pk)
    return data


def test_adding_a_rotation_from_the_page_lists_it(owner, teammate):
    client = signed_in(owner)
    url = f"/oncall/{owner.team.id}/rotations/new"
    assert client.get(url).status_code == 200
    response = client.post(url, form(owner, owner, teammate))
    assert response.status_code == 302, response.context["form"].errors
    rotation = Rotation.objects.get()
    version = rotation.versions.get()
    assert version.participants == [str(owner.member.pk), str(teammate.member.pk)]
    assert version.restrictions == [
        {"week_days": [1, 2, 3, 4, 5], "start_time": "18:00:00", "end_time": "08:00:00"}
    ]
    page = client.get(f"/oncall?team={owner.team.id}").content.decode()
    assert f'data-rotation="{rotation.id}"' in page
    assert "Mon, Tue, Wed, Thu, Fri 18:00–08:00" in page
    assert ", from rotation Primary" in page  # each block says where it came from


def test_a_bad_rotation_form_names_the_field(owner):
    client = signed_in(owner)
    response = client.post(
        f"/oncall/{owner.team.id}/rotations/new", form(owner, owner, shift_length="custom")
    )
    assert response.status_code == 200
    assert "shift_hours" in response.context["form"].errors
    assert not Rotation.objects.exists()


def test_editing_a_rotation_adds_a_version_and_deleting_keeps_the_past(owner, teammate):
    client = signed_in(owner)
    client.post(f"/oncall/{owner.team.id}/rotations/new", form(owner, owner))
    rotation = Rotation.objects.get()
    rotation.versions.update(effective_from="2024-01-01T00:00:00Z")
    edit = f"/oncall/{owner.team.id}/rotations/{rotation.id}"
    assert "Primary" in client.get(edit).content.decode()
    response = client.post(edit, form(owner, teammate, owner))
    assert response.status_code == 302
    assert rotation.versions.count() == 2
    response = client.post(f"{edit}/delete")
    assert response.status_code == 302
    rotation.refresh_from_db()
    assert rotation.deleted_at is not None


def test_responders_cannot_add_rotations(owner, teammate):
    response = signed_in(teammate).post(
        f"/oncall/{owner.team.id}/rotations/new", form(owner, owner)
    )
    assert response.status_code == 403


def test_another_organizations_team_is_404(owner, outsider):
    assert signed_in(outsider).get(f"/oncall/{owner.team.id}/rotations/new").status_code == 404


def test_the_calendar_shows_times_in_the_viewers_zone_on_request(owner):
    owner.team.time_zone = "Europe/Berlin"
    owner.team.save()
    owner.user.time_zone = "America/New_York"
    owner.user.save()
    client = signed_in(owner)
    page = client.get(f"/oncall?team={owner.team.id}").content.decode()
    assert "Times in Europe/Berlin, the team's" in page
    assert "Show in yours (America/New_York)" in page
    page = client.get(f"/oncall?team={owner.team.id}&zone=mine").content.decode()
    assert "Times in America/New_York, your time zone" in page
