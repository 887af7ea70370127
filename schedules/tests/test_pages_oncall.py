"""On-call pages with the Django test client: calendars, entries and overrides."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from rulesets.tests.builders import make_team
from schedules.models import Override, ScheduleEntry

pytestmark = pytest.mark.django_db


def signed_in(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def entry(persona, member=None, **fields) -> ScheduleEntry:
    member = member or persona.member
    values = {
        "week_days": [1, 2, 3, 4, 5],
        "start_time": time(9),
        "end_time": time(17),
        **fields,
    }
    return ScheduleEntry.objects.create(team=member.team, team_member=member, **values)


def entry_form(persona, **fields):
    data = {
        "team_member": str(persona.member.id),
        "week_days": ["1", "2", "3", "4", "5"],
        "start_time": "09:00",
        "end_time": "17:00",
        "start_date": "",
        "end_date": "",
        "time_zone": "",
    }
    data.update(fields)
    return data


def blocks(html: str) -> list[str]:
    return re.findall(r'<div class="shift" data-member="([^"]+)"', html)


def test_the_on_call_pages_require_sign_in(owner):
    team = owner.team.id
    for url in ("/oncall", f"/oncall/{team}/entries/new", f"/oncall/{team}/overrides/new"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login"), url


def test_another_organizations_team_entry_and_override_are_404s(owner, outsider):
    mine = entry(owner)
    override = Override.objects.create(
        team=owner.team,
        team_member=owner.member,
        start=timezone.now(),
        end=timezone.now() + timedelta(hours=1),
    )
    client = signed_in(outsider)
    team = owner.team.id
    for url in (
        f"/oncall?team={team}",
        "/oncall?team=nope",
        f"/oncall/{team}/entries/new",
        f"/oncall/{team}/entries/{mine.id}",
        f"/oncall/{team}/overrides/new",
        # their own team, but my entry: still a 404
        f"/oncall/{outsider.team.id}/entries/{mine.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/oncall/{team}/entries/{mine.id}/delete").status_code == 404
    assert client.post(f"/oncall/{team}/overrides/{override.id}/delete").status_code == 404
    assert client.post(f"/oncall/{team}/entries/new", entry_form(owner)).status_code == 404
    assert ScheduleEntry.objects.count() == 1 and Override.objects.count() == 1


def test_the_page_shows_who_is_on_call_now_and_who_is_next(owner, teammate):
    entry(owner, week_days=list(range(7)), start_time=time(0), end_time=time(0))
    now = timezone.now()
    Override.objects.create(
        team=owner.team,
        team_member=teammate.member,
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=2),
    )
    html = signed_in(owner).get("/oncall").content.decode()
    now_box = html.split('id="on-call-now"')[1].split('id="on-call-next"')[0]
    next_box = html.split('id="on-call-next"')[1].split("</div>")[0]
    assert "owner@acme.test" in now_box and "mate@acme.test" not in now_box
    assert "mate@acme.test" in next_box and "owner@acme.test" not in next_box


def test_the_week_calendar_shows_each_shift_in_the_team_time_zone_with_gaps(owner):
    owner.team.time_zone = "Europe/Paris"
    owner.team.save()
    entry(owner)  # Monday to Friday, 09:00-17:00 Paris
    html = signed_in(owner).get(f"/oncall?team={owner.team.id}&date=2025-03-12").content.decode()
    assert 'data-view="week"' in html
    assert blocks(html) == [str(owner.member.id)] * 5
    assert html.count("<small>09:00–17:00</small>") == 5
    days = re.findall(r'<div class="day" data-date="([0-9-]+)"', html)
    assert days == [f"2025-03-{d}" for d in range(10, 17)]
    assert 'class="gap-block"' in html and "No one on call 17:00–24:00" in html
    # 09:00 of a 24-hour day is 37.5% down the column; 17:00 is included (to 17:00:01)
    assert "top: 37.500%; height: 33.334%" in html
    assert "?team=" in html and "date=2025-03-03" in html and "date=2025-03-17" in html


def test_the_month_view_marks_days_of_other_months(owner):
    entry(owner, week_days=[0])  # Sundays
    html = signed_in(owner).get(f"/oncall?team={owner.team.id}&view=month&date=2025-03-05")
    html = html.content.decode()
    assert 'data-view="month"' in html and "March 2025" in html
    assert len(blocks(html)) == 6  # Sundays of Mar 2 .. Apr 6 shown in whole weeks
    assert '<td class="outside" data-date="2025-02-24">' in html
    assert '<td class="" data-date="2025-03-01">' in html


def test_members_have_distinct_colours(owner, teammate):
    entry(owner)
    entry(teammate, start_time=time(17), end_time=time(9))
    html = signed_in(owner).get(f"/oncall?team={owner.team.id}&date=2025-03-12").content.decode()
    colours = dict(
        re.findall(r'data-member="([^"]+)" style="[^"]*background: (hsl\([^)]+\))', html)
    )
    assert set(colours) == {str(owner.member.id), str(teammate.member.id)}
    assert len(set(colours.values())) == 2


def test_the_month_view_with_20_entries_takes_a_bounded_number_of_queries(
    owner, teammate, django_assert_max_num_queries
):
    for n in range(20):
        entry(
            owner if n % 2 else teammate,
            week_days=[n % 7],
            start_time=time(n),
            end_time=time((n + 3) % 24),
        )
    Override.objects.create(
        team=owner.team,
        team_member=owner.member,
        start=timezone.now(),
        end=timezone.now() + timedelta(days=2),
    )
    client = signed_in(owner)
    with django_assert_max_num_queries(24):
        response = client.get(f"/oncall?team={owner.team.id}&view=month")
    assert response.status_code == 200
    assert response.content.decode().count("data-entry=") == 20


def test_adding_a_schedule_entry_saves_it_and_returns_to_the_calendar(owner):
    owner.team.time_zone = "Europe/Paris"
    owner.team.save()
    client = signed_in(owner)
    assert client.get(f"/oncall/{owner.team.id}/entries/new").status_code == 200
    response = client.post(
        f"/oncall/{owner.team.id}/entries/new",
        entry_form(
            owner,
            week_days=["0", "6"],
            start_time="22:00",
            end_time="06:30:15",
            start_date="2025-04-01T00:00",
            months_of_year=["4", "5"],
            weeks_of_month=["1", "-1"],
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/oncall?team={owner.team.id}"
    saved = ScheduleEntry.objects.get()
    assert saved.week_days == [0, 6] and saved.months_of_year == [4, 5]
    assert saved.weeks_of_month == [-1, 1]
    assert (saved.start_time, saved.end_time) == (time(22), time(6, 30, 15))
    # typed in the team's time zone (Paris, UTC+2 in April)
    assert saved.start_date == datetime(2025, 3, 31, 22, tzinfo=UTC)
    assert saved.end_date is None and saved.time_zone == ""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_time": "25:00"}, "Enter a time as HH:MM or HH:MM:SS"),
        ({"end_time": ""}, "This field may not be blank."),
        ({"week_days": []}, "This field is required and must not be empty."),
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone"),
        (
            {"start_date": "2025-05-01T00:00", "end_date": "2025-04-01T00:00"},
            "end_date must not be before start_date.",
        ),
        ({"start_date": "soon"}, "Datetime has wrong format"),
    ],
)
def test_an_invalid_entry_is_a_visible_form_error(owner, fields, message):
    response = signed_in(owner).post(
        f"/oncall/{owner.team.id}/entries/new", entry_form(owner, **fields)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ScheduleEntry.objects.exists()


def test_a_duplicate_entry_is_a_form_error(owner):
    client = signed_in(owner)
    url = f"/oncall/{owner.team.id}/entries/new"
    assert client.post(url, entry_form(owner)).status_code == 302
    response = client.post(url, entry_form(owner))
    assert response.status_code == 200
    assert "an identical entry exists for this team member" in response.content.decode()
    assert ScheduleEntry.objects.count() == 1


def test_a_member_of_another_team_cannot_be_scheduled(owner):
    payments = make_team(owner.organization, "Payments")
    response = signed_in(owner).post(f"/oncall/{payments.id}/entries/new", entry_form(owner))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ScheduleEntry.objects.exists()


def test_editing_an_entry_replaces_its_rule_but_never_its_member(owner, teammate):
    mine = entry(owner, months_of_year=[1])
    client = signed_in(owner)
    page = client.get(f"/oncall/{owner.team.id}/entries/{mine.id}").content.decode()
    assert 'value="09:00:00"' in page
    response = client.post(
        f"/oncall/{owner.team.id}/entries/{mine.id}",
        entry_form(teammate, week_days=["2"], start_time="08:00", end_time="12:00"),
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.team_member_id == owner.member.id
    assert (mine.week_days, mine.start_time, mine.months_of_year) == ([2], time(8), [])


def test_deleting_an_entry(owner):
    mine = entry(owner)
    response = signed_in(owner).post(f"/oncall/{owner.team.id}/entries/{mine.id}/delete")
    assert response.status_code == 302
    assert not ScheduleEntry.objects.exists()


def test_an_override_is_typed_in_the_team_time_zone_and_shown_until_it_ends(owner, teammate):
    owner.team.time_zone = "America/New_York"
    owner.team.save()
    client = signed_in(owner)
    assert client.get(f"/oncall/{owner.team.id}/overrides/new").status_code == 200
    start = timezone.now().astimezone(ZoneInfo("America/New_York"))
    start = start.replace(second=0, microsecond=0) + timedelta(hours=1)
    response = client.post(
        f"/oncall/{owner.team.id}/overrides/new",
        {
            "team_member": str(teammate.member.id),
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "replaces_team_member": str(owner.member.id),
        },
    )
    assert response.status_code == 302
    override = Override.objects.get()
    assert override.start == start and override.end == start + timedelta(hours=3)
    assert override.replaces_team_member_id == owner.member.id
    html = client.get("/oncall").content.decode()
    assert f'data-override="{override.id}"' in html


def test_an_override_ending_before_it_starts_is_a_form_error(owner):
    response = signed_in(owner).post(
        f"/oncall/{owner.team.id}/overrides/new",
        {
            "team_member": str(owner.member.id),
            "start": "2025-03-12T10:00",
            "end": "2025-03-12T09:00",
            "replaces_team_member": "",
        },
    )
    assert response.status_code == 200
    assert "must be after start" in response.content.decode()
    assert not Override.objects.exists()


def test_deleting_an_override(owner):
    override = Override.objects.create(
        team=owner.team,
        team_member=owner.member,
        start=timezone.now(),
        end=timezone.now() + timedelta(hours=1),
    )
    response = signed_in(owner).post(f"/oncall/{owner.team.id}/overrides/{override.id}/delete")
    assert response.status_code == 302
    assert not Override.objects.exists()


@pytest.mark.parametrize("view", ["week", "month"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_past_the_supported_years_shows_the_current_period(owner, view, day):
    entry(owner, time_zone="Pacific/Kiritimati", start_time=time(22), end_time=time(6))
    response = signed_in(owner).get(f"/oncall?team={owner.team.id}&view={view}&date={day}")
    assert response.status_code == 200
    today = timezone.now().date().isoformat()[:7]
    assert f'data-date="{today}' in response.content.decode()
