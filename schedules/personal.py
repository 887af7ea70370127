"""What each person sees and is told: their shifts across teams, cover requests, reminders."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Team, TeamMember, User
from notifications.services import notify_user
from schedules import oncall
from schedules.calendar_grid import zone_of
from schedules.layers import FinalShift
from schedules.models import CoverRequest, ReminderPreference, ShiftReminder

logger = logging.getLogger(__name__)

DEFAULT_LEAD = timedelta(minutes=ReminderPreference.DEFAULT_MINUTES)
HANDOFF_GRACE = timedelta(minutes=10)  # a handoff reminder still goes out this late (beat down)
MY_SHIFTS_URL = "/my/shifts"


@dataclass
class MyShift:
    team: Team
    member: TeamMember
    start: datetime
    end: datetime
    source: str
    label: str = ""  # where it came from, in words (set by the page)
    asked: bool = False  # whether cover is asked for some of it (set by the page)

    @property
    def member_id(self) -> str:
        return str(self.member.pk)


def user_zone(user: User) -> ZoneInfo:
    """The user's own time zone (their setting, else UTC), for what is sent to them; pages use
    the viewer's, which may be their browser's (pinghome.viewer_zone)."""
    return zone_of(user.time_zone or "UTC")


def my_shifts(user: User, start: datetime, end: datetime) -> list[MyShift]:
    """The user's final shifts over [start, end) in every team they belong to."""
    found = []
    for member in (
        TeamMember.objects.filter(user=user).select_related("team").order_by("team__name")
    ):
        shifts, _ = oncall.shifts(member.team, start, end, member_id=str(member.pk))
        found.extend(MyShift(member.team, member, s.start, s.end, s.source) for s in shifts)
    found.sort(key=lambda s: (s.start, s.team.name))
    return found


def stretches(shifts: list[FinalShift]) -> list[tuple[str, datetime, datetime]]:
    """``(member, start, end)`` of each stretch on call: a shift right after the member's own
    (another source, same person) continues it."""
    ends = {(s.member_id, s.start): s.end for s in shifts}
    out = []
    for member_id, start in sorted(ends):
        if any(s.member_id == member_id and s.end == start for s in shifts):
            continue
        end = start
        while (member_id, end) in ends:
            end = ends[(member_id, end)]
        out.append((member_id, start, end))
    return out


def _when(user: User, start: datetime, end: datetime) -> str:
    zone = user_zone(user)
    s, e = start.astimezone(zone), end.astimezone(zone)
    return f"{s:%a %d %b %H:%M} to {e:%a %d %b %H:%M} ({zone.key})"


def _name(member: TeamMember) -> str:
    return member.user.name or member.user.email


def tell_cover_requested(cover_id: str) -> int:
    """Every teammate of the requester hears of an open cover request."""
    cover = (
        CoverRequest.objects.filter(pk=cover_id, taken_at__isnull=True, cancelled_at__isnull=True)
        .select_related("team", "requester__user")
        .first()
    )
    if cover is None:
        return 0
    mates = (
        cover.team.members.exclude(pk=cover.requester_id)
        .select_related("user")
        .order_by("created_at")
    )
    for mate in mates:
        notify_user(
            mate.user,
            reason="cover",
            subject=f"{_name(cover.requester)} asks for cover ({cover.team.name})",
            text=f"{_name(cover.requester)} asks a teammate to cover "
            f"{_when(mate.user, cover.start, cover.end)}. Take it from your shifts page.",
            url=f"{settings.SITE_URL}{MY_SHIFTS_URL}",
        )
    return len(mates)


def tell_cover_taken(cover_id: str) -> int:
    cover = (
        CoverRequest.objects.filter(pk=cover_id, taken_by__isnull=False)
        .select_related("team", "requester__user", "taken_by__user")
        .first()
    )
    if cover is None:
        return 0
    notify_user(
        cover.requester.user,
        reason="cover",
        subject=f"{_name(cover.taken_by)} covers you ({cover.team.name})",
        text=f"{_name(cover.taken_by)} took your cover request for "
        f"{_when(cover.requester.user, cover.start, cover.end)}.",
        url=f"{settings.SITE_URL}{MY_SHIFTS_URL}",
    )
    return 1


def _once(member_id: str, kind: str, start: datetime) -> bool:
    """Claim the reminder of this shift; False when it was sent already (by any process)."""
    try:
        with transaction.atomic():
            ShiftReminder.objects.create(team_member_id=member_id, kind=kind, shift_start=start)
    except IntegrityError:
        return False
    return True


def send_shift_reminders(now: datetime | None = None) -> int:
    """Remind each member before their shift starts (their lead time) and at its handoff."""
    now = now or timezone.now()
    leads = {
        user_id: (timedelta(minutes=minutes) if enabled else None)
        for user_id, minutes, enabled in ReminderPreference.objects.values_list(
            "user_id", "minutes_before", "enabled"
        )
    }
    horizon = max([DEFAULT_LEAD, *(lead for lead in leads.values() if lead)])
    teams = list(
        Team.objects.filter(
            Q(schedule_entries__isnull=False)
            | Q(rotations__deleted_at__isnull=True, rotations__isnull=False)
            | Q(overrides__end__gt=now)
        ).distinct()
    )
    members = {
        str(m.pk): m for m in TeamMember.objects.filter(team__in=teams).select_related("user")
    }
    sent = 0
    for team in teams:
        window_start = now - HANDOFF_GRACE
        shifts, _ = oncall.shifts(team, window_start, now + horizon + timedelta(minutes=1))
        for member_id, start, end in stretches(shifts):
            member = members.get(member_id)
            if member is None or start <= window_start:  # cut by the window: not a start
                continue
            lead = leads.get(member.user_id, DEFAULT_LEAD)
            if lead is None:
                continue
            if start <= now:
                kind, subject = ShiftReminder.Kind.HANDOFF, "Your on-call shift starts now"
            elif start - lead <= now:
                kind, subject = ShiftReminder.Kind.BEFORE, "Your on-call shift starts soon"
            else:
                continue
            if not _once(member_id, kind, start):
                continue
            notify_user(
                member.user,
                reason="shift",
                subject=f"{subject} ({team.name})",
                text=f"You are on call for {team.name} {_when(member.user, start, end)}.",
                url=f"{settings.SITE_URL}{MY_SHIFTS_URL}",
            )
            sent += 1
    return sent
