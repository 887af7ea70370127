"""Reading shifts out of an iCalendar file (Grafana OnCall, PagerDuty, Google Calendar exports).

Pure: bytes in, events out. Recurring events (RRULE, RDATE, EXDATE) are expanded with dateutil
up to a horizon and a count, so a hostile file costs a bounded amount of work.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar

MAX_BYTES = 2 * 1024 * 1024
MAX_SHIFTS = 5000
HORIZON = timedelta(days=366)  # recurrences are expanded this far ahead
HISTORY = timedelta(days=31)  # and shifts that ended longer ago are left out
MAX_STEPS = 200_000  # recurrences looked at per event


class ImportError_(ValueError):
    """The file is not an iCalendar calendar we can read."""


@dataclass(frozen=True)
class ImportedEvent:
    start: datetime  # UTC
    end: datetime  # UTC
    summary: str
    emails: tuple[str, ...]  # attendees' and organizer's addresses, lower case


def _instant(value, zone: ZoneInfo) -> datetime:
    """A DTSTART/DTEND value as UTC: floating times and all-day dates are read in ``zone``."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC)
    raise ImportError_("an event has no usable start or end")


def _wall(value, dtstart):
    """``value`` as a naive wall-clock time of DTSTART's zone (a date as its midnight)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value.tzinfo is not None and isinstance(dtstart, datetime) and dtstart.tzinfo is not None:
        value = value.astimezone(dtstart.tzinfo)
    return value.replace(tzinfo=None)


def _emails(event) -> tuple[str, ...]:
    found = []
    for name in ("ATTENDEE", "ORGANIZER"):
        values = event.get(name)
        for value in values if isinstance(values, list) else [values] if values else []:
            text = str(value)
            if text.lower().startswith("mailto:"):
                found.append(text[7:].strip().lower())
    return tuple(found)


def _like(value, dtstart):
    """An RDATE/EXDATE value in the form of DTSTART (aware in its zone, or naive)."""
    value = value if isinstance(value, datetime) else datetime.combine(value, time())
    if isinstance(dtstart, datetime) and dtstart.tzinfo is not None:
        return (
            value.astimezone(dtstart.tzinfo)
            if value.tzinfo
            else value.replace(tzinfo=dtstart.tzinfo)
        )
    return value.replace(tzinfo=None)


def _starts(event, dtstart, since: datetime, until: datetime) -> list:
    """The event's start and its recurrences in [since, until], with a bounded amount of work."""
    if not event.get("RRULE") and not event.get("RDATE"):
        return [dtstart]
    aware = isinstance(dtstart, datetime) and dtstart.tzinfo is not None
    start = _like(dtstart, dtstart)
    rules = rruleset()
    try:
        if event.get("RRULE"):
            text = event["RRULE"].to_ical().decode()
            rules.rrule(rrulestr(text, dtstart=start, ignoretz=not aware))
        for name, add in (("RDATE", rules.rdate), ("EXDATE", rules.exdate)):
            values = event.get(name)
            for prop in values if isinstance(values, list) else [values] if values else []:
                for item in prop.dts:
                    add(_like(item.dt, dtstart))
    except (ValueError, TypeError) as exc:
        raise ImportError_(f"a recurrence cannot be read: {exc}"[:200]) from None
    since, until = (
        (since, until) if aware else (since.replace(tzinfo=None), until.replace(tzinfo=None))
    )
    found = []
    for n, occurrence in enumerate(rules):
        if occurrence > until or n >= MAX_STEPS:
            break
        if occurrence >= since:
            found.append(occurrence if isinstance(dtstart, datetime) else occurrence.date())
    return found


def read_events(
    content: bytes, zone: ZoneInfo, since: datetime, now: datetime
) -> list[ImportedEvent]:
    """The events that end after ``since`` (recurrences expanded until a year from ``now``),
    sorted by start; floating times and all-day dates are read in ``zone``."""
    if len(content) > MAX_BYTES:
        raise ImportError_(f"the file is larger than {MAX_BYTES // 1024 // 1024} MiB")
    try:
        calendar = Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError) as exc:
        raise ImportError_(f"not an iCalendar file: {exc}"[:200]) from None
    until = max(now, since) + HORIZON
    events: list[ImportedEvent] = []
    for event in calendar.walk("VEVENT"):
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or "DTSTART" not in event:
            continue
        dtstart = event["DTSTART"].dt
        if "DTEND" in event:
            length = _wall(event["DTEND"].dt, dtstart) - _wall(dtstart, dtstart)
        elif "DURATION" in event:
            length = event["DURATION"].dt
        else:
            length = timedelta(days=1) if not isinstance(dtstart, datetime) else timedelta()
        if length <= timedelta():
            continue
        summary = str(event.get("SUMMARY", ""))[:300]
        emails = _emails(event)
        for start in _starts(event, dtstart, since - length - timedelta(days=1), until):
            # Lengths are wall-clock: a week-long shift from 09:00 ends at 09:00 across DST.
            begin, end = _instant(start, zone), _instant(start + length, zone)
            if end <= since:
                continue
            events.append(ImportedEvent(begin, end, summary, emails))
            if len(events) > MAX_SHIFTS:
                raise ImportError_(f"more than {MAX_SHIFTS} shifts")
    events.sort(key=lambda e: (e.start, e.summary))
    return events


def match(event: ImportedEvent, members: dict[str, tuple[str, str]]) -> str | None:
    """The member id an event belongs to: by attendee e-mail, else an e-mail or a name in its
    summary. ``members``: ``{member_id: (email, name)}``."""
    by_email = {email.lower(): member_id for member_id, (email, _) in members.items()}
    for email in event.emails:
        if email in by_email:
            return by_email[email]
    summary = event.summary.lower()
    for email, member_id in by_email.items():
        if email and email in summary:
            return member_id
    for member_id, (_, name) in members.items():
        if name and name.lower() in summary:
            return member_id
    return None
