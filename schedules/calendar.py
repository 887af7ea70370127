"""Shifts as iCalendar (RFC 5545), rendered on request: never stored."""

import uuid
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import TeamMember
from schedules import oncall
from schedules.layers import ENTRY, OVERRIDE
from schedules.models import CalendarFeed

PAST, FUTURE = timedelta(days=7), timedelta(days=60)


def render(feed: CalendarFeed) -> bytes:
    now = timezone.now().replace(microsecond=0)
    member_id = str(feed.team_member_id) if feed.team_member_id else None
    shifts, _ = oncall.shifts(feed.team, now - PAST, now + FUTURE, member_id=member_id)
    names = {
        str(m.pk): m.user.name or m.user.email
        for m in TeamMember.objects.filter(team=feed.team).select_related("user")
    }
    rotation_names = dict(feed.team.rotations.values_list("id", "name"))
    cal = Calendar()
    cal.add("prodid", "-//pinghome//on-call//EN")
    cal.add("version", "2.0")
    title = names.get(member_id, "") if member_id else feed.team.name
    cal.add("x-wr-calname", f"On call: {title}")
    for shift in shifts:
        event = Event()
        event.add("uid", f"{feed.pk}-{shift.member_id}-{int(shift.start.timestamp())}@pinghome")
        event.add(
            "summary", f"On call: {names.get(shift.member_id, shift.member_id)} ({feed.team.name})"
        )
        event.add("description", f"From {source_label(shift.source, rotation_names)}")
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("dtstamp", now)
        cal.add_component(event)
    return cal.to_ical()


SOURCE_LABELS = {ENTRY: "a schedule entry", OVERRIDE: "an override"}


def source_label(source: str, rotation_names: dict) -> str:
    """``entry`` / ``override`` / a rotation's id, said in words."""
    if source in SOURCE_LABELS:
        return SOURCE_LABELS[source]
    return f"rotation {rotation_names.get(uuid.UUID(source), source)}"
