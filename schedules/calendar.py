"""Shifts as iCalendar (RFC 5545), rendered on request: never stored."""

from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import TeamMember
from schedules import oncall
from schedules.layers import ENTRY, OVERRIDE
from schedules.models import CalendarFeed
from schedules.personal import my_shifts

PAST, FUTURE = timedelta(days=7), timedelta(days=60)
SOURCE_LABELS = {ENTRY: "a schedule entry", OVERRIDE: "an override"}


def source_label(source: str, names: dict[str, str]) -> str:
    """``entry`` / ``override`` / a rotation's or an imported layer's id, said in words."""
    return SOURCE_LABELS.get(source) or names.get(source, source)


def render(feed: CalendarFeed) -> bytes:
    """A team's shifts, one member's, or (a personal feed) one user's across their teams."""
    now = timezone.now().replace(microsecond=0)
    start, end = now - PAST, now + FUTURE
    if feed.user_id is not None:
        found = [(s.team, s) for s in my_shifts(feed.user, start, end)]
        teams = {team.pk: team for team, _ in found}
        title = feed.user.name or feed.user.email
        people: dict[str, str] = {}
    else:
        member_id = str(feed.team_member_id) if feed.team_member_id else None
        shifts, _ = oncall.shifts(feed.team, start, end, member_id=member_id)
        found = [(feed.team, s) for s in shifts]
        teams = {feed.team.pk: feed.team}
        people = {
            str(m.pk): m.user.name or m.user.email
            for m in TeamMember.objects.filter(team=feed.team).select_related("user")
        }
        title = people.get(member_id, "") if member_id else feed.team.name
    names = oncall.source_names(list(teams))
    cal = Calendar()
    cal.add("prodid", "-//pinghome//on-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"On call: {title}")
    for team, shift in found:
        event = Event()
        event.add("uid", f"{feed.pk}-{shift.member_id}-{int(shift.start.timestamp())}@pinghome")
        who = (
            f"{people.get(shift.member_id, shift.member_id)} ({team.name})" if people else team.name
        )
        event.add("summary", f"On call: {who}")
        event.add("description", f"From {source_label(shift.source, names)}")
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("dtstamp", now)
        cal.add_component(event)
    return cal.to_ical()
