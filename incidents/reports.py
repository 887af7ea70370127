"""A team's report over a period of local days: aggregated in the database, a fixed number of
queries whatever the period (one more per distinct time zone of the team's members).

- Days and weeks (starting on Monday) are the team's local ones; an incident counts on the day,
  week and hour it opened, MTTA and MTTR are over the incidents opened in the period (or week)
  that were acknowledged / resolved.
- Per responder: pages received (messages sent to them about the team's incidents, one per
  contact method), night pages (of those, sent from 22:00 to 07:00 in the responder's time zone,
  else the team's) and acknowledgements (incidents opened in the period they acknowledged, with
  the mean time from opening to their acknowledgement).
- Noisiest: the rulesets and (ruleset, dedup key) pairs that opened the most incidents.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict

from django.db.models import Avg, Count, DurationField, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from accounts.models import Team, TeamMember, User
from incidents.models import Incident, TimelineEntry, TimelineKind, Urgency
from notifications.models import Delivery, DeliveryState
from schedules.calendar_grid import local_midnight, zone_of
from schedules.recurrence import EARLIEST, LATEST, SUPPORTED_DATES

MAX_DAYS = 366
NOISIEST = 10
NIGHT_STARTS, NIGHT_ENDS = 22, 7  # local hours: a page at 22:00 to 06:59 is a night page


class Totals(TypedDict):
    opened: int
    acknowledged: int
    resolved: int
    mtta_seconds: float | None
    mttr_seconds: float | None


class Week(Totals):
    week: date  # its Monday


class Day(TypedDict):
    date: date
    opened: int
    acknowledged: int
    resolved: int


class Responder(TypedDict):
    user_id: str
    email: str
    pages: int
    night_pages: int
    acknowledged: int
    mean_ack_seconds: float | None


class Noisy(TypedDict):
    ruleset_id: str
    ruleset: str
    dedup_key: str
    incidents: int
    events: int


@dataclass(frozen=True)
class Report:
    team: Team
    start: date
    end: date  # included
    totals: Totals
    days: list[Day]
    weeks: list[Week]
    by_urgency: dict[str, int]
    by_hour: list[int]  # 24 counts, local hours
    responders: list[Responder]
    noisiest_rulesets: list[Noisy]
    noisiest_dedup_keys: list[Noisy]


def period_errors(start: date, end: date) -> dict[str, str]:
    """What is wrong with the period ``start`` to ``end``, by bound ("start", "end")."""
    errors = {
        name: f"Enter a date {SUPPORTED_DATES}."
        for name, day in (("start", start), ("end", end))
        if not EARLIEST.date() <= day <= LATEST.date()
    }
    if errors:
        return errors
    if start > end:
        return {"end": "The end must not be before the start."}
    if (end - start).days + 1 > MAX_DAYS:
        return {"start": f"A report covers at most {MAX_DAYS} days."}
    return {}


def seconds(value: timedelta | None) -> float | None:
    return round(value.total_seconds(), 3) if value is not None else None


def _durations() -> dict[str, Any]:
    """What the totals and the weeks are summed from, per day: counts and summed durations (an
    average over a week or the period is a sum of sums over a sum of counts)."""
    return {
        "opened": Count("*"),
        "acknowledged": Count("acknowledged_at"),
        "resolved": Count("resolved_at"),
        "to_ack": Sum(F("acknowledged_at") - F("created_at"), output_field=DurationField()),
        "to_resolve": Sum(F("resolved_at") - F("created_at"), output_field=DurationField()),
        **{urgency: Count("created_at", filter=Q(urgency=urgency)) for urgency in Urgency.values},
    }


def _totals(rows: list[dict[str, Any]]) -> Totals:
    """The totals of ``rows`` (of ``_durations``)."""

    def mean(total: str, count: str) -> float | None:
        n = sum(row[count] for row in rows)
        spent = sum((row[total] for row in rows if row[total] is not None), timedelta())
        return seconds(spent / n) if n else None

    return Totals(
        opened=sum(row["opened"] for row in rows),
        acknowledged=sum(row["acknowledged"] for row in rows),
        resolved=sum(row["resolved"] for row in rows),
        mtta_seconds=mean("to_ack", "acknowledged"),
        mttr_seconds=mean("to_resolve", "resolved"),
    )


def build(team: Team, start: date, end: date) -> Report:
    """``team``'s report over the local days ``start`` to ``end`` (at most MAX_DAYS)."""
    zone = zone_of(team.time_zone)
    start_at, end_at = local_midnight(start, zone), local_midnight(end + timedelta(1), zone)
    incidents = Incident.objects.filter(team=team).order_by()
    opened = incidents.filter(created_at__gte=start_at, created_at__lt=end_at)
    # The incidents opened each day, with what weeks, totals and urgencies are summed from.
    per_day = {
        row["day"]: row
        for row in opened.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(**_durations())
    }
    # Acknowledgements and resolutions each day, whenever their incidents opened: one query
    # grouped by both days (an incident is mostly acknowledged and resolved within a day).
    acknowledged, resolved = defaultdict(int), defaultdict(int)
    for ack_day, resolved_day, count in (
        incidents.filter(
            Q(acknowledged_at__gte=start_at, acknowledged_at__lt=end_at)
            | Q(resolved_at__gte=start_at, resolved_at__lt=end_at)
        )
        .annotate(
            ack_day=TruncDate("acknowledged_at", tzinfo=zone),
            resolved_day=TruncDate("resolved_at", tzinfo=zone),
        )
        .values("ack_day", "resolved_day")
        .annotate(count=Count("*"))
        .values_list("ack_day", "resolved_day", "count")
    ):
        acknowledged[ack_day] += count
        resolved[resolved_day] += count
    days = [
        Day(
            date=day,
            opened=per_day[day]["opened"] if day in per_day else 0,
            acknowledged=acknowledged[day],
            resolved=resolved[day],
        )
        for day in (start + timedelta(n) for n in range((end - start).days + 1))
    ]
    by_week = defaultdict(list)
    for day, row in sorted(per_day.items()):
        by_week[day - timedelta(day.weekday())].append(row)  # its Monday
    by_hour = [0] * 24
    for hour, count in (
        opened.annotate(hour=ExtractHour("created_at", tzinfo=zone))
        .values("hour")
        .annotate(count=Count("*"))
        .values_list("hour", "count")
    ):
        by_hour[hour] = count
    return Report(
        team=team,
        start=start,
        end=end,
        totals=_totals(list(per_day.values())),
        days=days,
        weeks=[Week(week=monday, **_totals(rows)) for monday, rows in by_week.items()],
        by_urgency={u: sum(row[u] for row in per_day.values()) for u in Urgency.values},
        by_hour=by_hour,
        responders=_responders(team, start_at, end_at),
        noisiest_rulesets=_noisiest(opened, with_key=False),
        noisiest_dedup_keys=_noisiest(opened, with_key=True),
    )


def _noisiest(opened: QuerySet, *, with_key: bool) -> list[Noisy]:
    group = ["ruleset_id", "ruleset__name", *(["dedup_key"] if with_key else [])]
    rows = (
        opened.filter(ruleset__isnull=False)
        .values(*group)
        .annotate(incidents=Count("*"), events=Sum("event_count"))
        .order_by("-incidents", "-events", *group)[:NOISIEST]
    )
    return [
        Noisy(
            ruleset_id=str(row["ruleset_id"]),
            ruleset=row["ruleset__name"],
            dedup_key=row.get("dedup_key", ""),
            incidents=row["incidents"],
            events=row["events"] or 0,
        )
        for row in rows
    ]


def _responders(team: Team, start_at, end_at) -> list[Responder]:
    """The team's members, and anyone else paged about or acknowledging its incidents."""
    people: dict[Any, str] = dict(  # user id -> e-mail address
        TeamMember.objects.filter(team=team).values_list("user_id", "user__email")
    )
    pages = Delivery.objects.filter(
        team=team,  # "delivery_team_recent"; a page's team is its incident's
        incident__isnull=False,
        user__isnull=False,
        state=DeliveryState.SENT,
        created_at__gte=start_at,
        created_at__lt=end_at,
    ).order_by()
    # Pages per person and, in one pass, night ones by each clock a person paged may read: the
    # time zones of the organization's people (without one, the team's).
    zones = set(
        User.objects.filter(organization_id=team.organization_id)
        .exclude(time_zone="")
        .values_list("time_zone", flat=True)
        .distinct()
    ) | {team.time_zone}
    clocks = {f"night_{n}": zone for n, zone in enumerate(sorted(zones))}
    paged: dict[Any, tuple[int, int]] = {}
    for row in pages.values("user_id", "user__email", "user__time_zone").annotate(
        pages=Count("*"),
        **{name: _night_pages(zone, zone == team.time_zone) for name, zone in clocks.items()},
    ):
        zone = row["user__time_zone"] or team.time_zone
        night = next((row[name] for name, z in clocks.items() if z == zone), 0)
        people.setdefault(row["user_id"], row["user__email"])
        paged[row["user_id"]] = (row["pages"], night)
    # Grouped by the person alone, not with a join for their e-mail address: that join turns
    # PostgreSQL's plan into a loop over every acknowledgement of anyone by any team.
    acks = {
        row["actor_user_id"]: row
        for row in TimelineEntry.objects.filter(
            kind=TimelineKind.ACKNOWLEDGED,
            actor_user__isnull=False,
            incident__team=team,  # one join: "incident__in=opened" would add a second
            incident__created_at__gte=start_at,
            incident__created_at__lt=end_at,
        )
        .values("actor_user_id")
        .annotate(
            count=Count("incident_id", distinct=True),
            mean=Avg(F("created_at") - F("incident__created_at")),
        )
        .order_by()
    }
    if others := set(acks) - set(people):
        people.update(User.objects.filter(pk__in=others).values_list("pk", "email"))
    responders = [
        Responder(
            user_id=str(user_id),
            email=email,
            pages=paged.get(user_id, (0, 0))[0],
            night_pages=paged.get(user_id, (0, 0))[1],
            acknowledged=acks[user_id]["count"] if user_id in acks else 0,
            mean_ack_seconds=seconds(acks[user_id]["mean"]) if user_id in acks else None,
        )
        for user_id, email in people.items()
    ]
    return sorted(responders, key=lambda r: (-r["pages"], -r["acknowledged"], r["email"]))


def _night_pages(zone_name: str, team_zone: bool) -> Count:
    """Pages sent at night by the clock of ``zone_name``, to people who read it (and to those
    without a time zone of their own, by the team's clock ``zone_name`` when ``team_zone``)."""
    hour = ExtractHour("created_at", tzinfo=zone_of(zone_name))
    readers = (
        Q(user__time_zone=zone_name) | Q(user__time_zone="")
        if team_zone
        else Q(user__time_zone=zone_name)
    )
    return Count(
        "created_at",
        filter=readers
        & (Q(GreaterThanOrEqual(hour, NIGHT_STARTS)) | Q(LessThan(hour, NIGHT_ENDS))),
    )
