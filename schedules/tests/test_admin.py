"""Schedule entries, overrides and calendar feeds in the admin."""

from datetime import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import TeamMember, User
from rulesets.tests.builders import make_team
from schedules.models import CalendarFeed, Override, ScheduleEntry

pytestmark = pytest.mark.django_db

ENTRY_ADD = reverse("admin:schedules_scheduleentry_add")
OVERRIDE_ADD = reverse("admin:schedules_override_add")


@pytest.fixture
def staff(owner):
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])
    owner.user.user_permissions.set(Permission.objects.filter(content_type__app_label="schedules"))
    client = Client()
    client.force_login(owner.user)
    return client


@pytest.fixture
def superuser():
    client = Client()
    client.force_login(User.objects.create_superuser("root@pinghome.test", "not-a-secret-1"))
    return client


def entry_data(persona, **overrides) -> dict:
    data = {
        "team": persona.team.pk,
        "team_member": persona.member.pk,
        "week_days": "[5, 1, 3]",
        "months_of_year": "",
        "weeks_of_month": "",
        "start_time": "09:00",
        "end_time": "17:30:00",
        "time_zone": "",
    }
    return {**data, **overrides}


def errors_of(response) -> dict:
    assert response.status_code == 200
    return response.context["adminform"].form.errors


def test_a_valid_entry_is_saved_as_the_api_stores_it(staff, owner):
    response = staff.post(ENTRY_ADD, entry_data(owner, time_zone="Europe/Paris"))
    assert response.status_code == 302, response.context and response.context["errors"]
    entry = ScheduleEntry.objects.get()
    assert entry.week_days == [1, 3, 5]
    assert entry.months_of_year == [] and entry.weeks_of_month == []
    assert (entry.start_time, entry.end_time) == (time(9), time(17, 30))
    assert entry.time_zone == "Europe/Paris"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("week_days", "[7]"),
        ("week_days", "[]"),
        ("week_days", '["monday"]'),
        ("months_of_year", "[0, 13]"),
        ("weeks_of_month", "[6]"),
        ("time_zone", "Mars/Olympus"),
    ],
)
def test_invalid_rule_fields_are_named(staff, owner, field, value):
    response = staff.post(ENTRY_ADD, entry_data(owner, **{field: value}))
    assert field in errors_of(response)
    assert not ScheduleEntry.objects.exists()


def test_the_member_must_be_in_the_team(staff, owner):
    other = make_team(owner.organization, "Other")
    response = staff.post(ENTRY_ADD, entry_data(owner, team=other.pk))
    assert errors_of(response)["team_member"] == ["Must be a member of the selected team."]


def test_another_organizations_member_cannot_be_chosen(staff, owner, outsider):
    response = staff.post(ENTRY_ADD, entry_data(owner, team_member=outsider.member.pk))
    assert "team_member" in errors_of(response)
    assert not ScheduleEntry.objects.exists()


def test_an_override_ends_after_it_starts(staff, owner):
    response = staff.post(
        OVERRIDE_ADD,
        {
            "team": owner.team.pk,
            "team_member": owner.member.pk,
            "start_0": "2024-03-01",
            "start_1": "10:00:00",
            "end_0": "2024-03-01",
            "end_1": "09:00:00",
        },
    )
    assert "end" in errors_of(response)
    assert not Override.objects.exists()


def test_an_override_is_saved(staff, owner):
    mate = TeamMember.objects.create(
        team=owner.team,
        user=User.objects.create_user("mate@acme.test", organization=owner.organization),
    )
    response = staff.post(
        OVERRIDE_ADD,
        {
            "team": owner.team.pk,
            "team_member": mate.pk,
            "replaces_team_member": owner.member.pk,
            "start_0": "2024-03-01",
            "start_1": "09:00:00",
            "end_0": "2024-03-01",
            "end_1": "17:00:00",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert Override.objects.get().replaces_team_member == owner.member


def test_revoking_a_calendar_feed(superuser, owner):
    feed = CalendarFeed.objects.create(team=owner.team)
    page = superuser.get(reverse("admin:schedules_calendarfeed_change", args=[feed.pk]))
    assert feed.public_url in page.content.decode()
    listing = superuser.get(reverse("admin:schedules_calendarfeed_changelist"))
    assert feed.secret not in listing.content.decode()
    superuser.post(
        reverse("admin:schedules_calendarfeed_changelist"),
        {"action": "revoke_selected", "_selected_action": [str(feed.pk)]},
    )
    feed.refresh_from_db()
    assert feed.revoked_at is not None


def test_a_rotation_shows_its_history_read_only(superuser, owner):
    response = owner.api.post(
        f"/v1/team/{owner.team.id}/rotation",
        {
            "name": "Primary",
            "participants": [str(owner.member.id)],
            "shift_length": "daily",
            "handoff": "2025-01-06T09:00",
        },
        format="json",
    )
    rotation_id = response.json()["id"]
    listing = superuser.get(reverse("admin:schedules_rotation_changelist"))
    assert "Primary" in listing.content.decode()
    page = superuser.get(reverse("admin:schedules_rotation_change", args=[rotation_id]))
    assert page.status_code == 200
    assert "2025-01-06" in page.content.decode() or "Jan. 6, 2025" in page.content.decode()
    assert superuser.get(reverse("admin:schedules_rotation_add")).status_code == 403
