"""Each person's shifts across teams, their calendar feed and shift reminders."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from accounts.models import TeamMember
from pinghome.testing import make_persona
from schedules import personal
from schedules.models import ReminderPreference, ScheduleEntry, ShiftReminder
from schedules.tasks import send_shift_reminders

pytestmark = pytest.mark.django_db


def rotation(persona, *members, **fields):
    body = {
        "name": "Primary",
        "participants": [str(m.id) for m in members],
        "shift_length": "daily",
        "handoff": "2020-01-01T09:00",
        "time_zone": "UTC",
        **fields,
    }
    response = persona.api.post(f"/v1/team/{persona.team.id}/rotation", body, format="json")
    assert response.status_code == 201, response.json()


@pytest.fixture
def two_teams(owner):
    """The owner is in Ops (a daily rotation of one, from 09:00 UTC) and in Web (nights)."""
    web = make_persona("Acme", "Web", "web@acme.test")
    membership = TeamMember.objects.create(team=web.team, user=owner.user)
    ScheduleEntry.objects.create(
        team=web.team,
        team_member=membership,
        week_days=list(range(7)),
        start_time="22:00",
        end_time="02:00",
    )
    rotation(owner, owner.member, handoff="2020-01-01T09:00")
    return owner, web


def test_my_shifts_span_every_team_of_mine(two_teams):
    owner, web = two_teams
    now = timezone.now()
    shifts = personal.my_shifts(owner.user, now, now + timedelta(days=3))
    assert {s.team.name for s in shifts} == {"Ops", "Web"}
    assert shifts == sorted(shifts, key=lambda s: s.start)


def test_the_personal_feed_serves_every_team_of_mine(two_teams):
    owner, _ = two_teams
    client = Client()
    client.force_login(owner.user)
    response = client.post("/my/feed")
    assert response.status_code == 302
    page = client.get("/my/shifts").content.decode()
    url = page.split('aria-label="Calendar feed address"')[0].rsplit('value="', 1)[1].split('"')[0]
    ics = Calendar.from_ical(Client().get(url.replace("http://testserver", "")).content)
    summaries = {str(e["SUMMARY"]) for e in ics.walk("VEVENT")}
    assert summaries == {"On call: Ops", "On call: Web"}


def test_a_reminder_goes_once_before_a_shift_and_once_at_its_handoff(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    start = (timezone.now() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    rotation(owner, owner.member, handoff=start.strftime("%Y-%m-%dT%H:%M"))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_shift_reminders.delay().get() == 1
        assert send_shift_reminders.delay().get() == 0  # a second beat process: nothing again
    assert mailoutbox[0].subject == "Your on-call shift starts soon (Ops)"
    with django_capture_on_commit_callbacks(execute=True):
        assert personal.send_shift_reminders(start + timedelta(seconds=5)) == 1
        assert personal.send_shift_reminders(start + timedelta(seconds=65)) == 0
    assert mailoutbox[1].subject == "Your on-call shift starts now (Ops)"
    assert ShiftReminder.objects.count() == 2


def test_the_lead_time_is_each_persons_and_reminders_can_be_off(owner, mailoutbox):
    start = (timezone.now() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    rotation(owner, owner.member, handoff=start.strftime("%Y-%m-%dT%H:%M"))
    ReminderPreference.objects.create(user=owner.user, minutes_before=10)
    assert personal.send_shift_reminders() == 0
    assert personal.send_shift_reminders(start - timedelta(minutes=9)) == 1
    ReminderPreference.objects.filter(user=owner.user).update(enabled=False)
    assert personal.send_shift_reminders(start) == 0


def test_a_shift_already_under_way_is_not_announced(owner, mailoutbox):
    rotation(owner, owner.member, handoff="2020-01-01T00:00")
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    assert personal.send_shift_reminders(now) == 0
