"""The "My shifts" page: one person's shifts across their teams in their own time zone, cover
requests (ask, take, withdraw), their calendar feed and reminder lead time."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team
from pinghome.api import parse_instant
from pinghome.pages import OrganizationPageMixin
from schedules import calendar, oncall, personal, services
from schedules.models import CalendarFeed, CoverRequest, ReminderPreference

DAYS = 14


def _back():
    return redirect(reverse("my-shifts"))


class MyShiftsView(OrganizationPageMixin, TemplateView):
    template_name = "schedules/my_shifts.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        zone = timezone.get_current_timezone()  # the viewer's (ViewerTimeZoneMiddleware)
        shifts = personal.my_shifts(user, now, now + timedelta(days=DAYS))
        teams = [m.team for m in user.memberships.select_related("team")]
        covers = list(
            services.upcoming_cover_requests(teams)
            .filter(cancelled_at__isnull=True)
            .select_related("team", "requester__user", "taken_by__user")
        )
        names = oncall.source_names([t.pk for t in teams])
        for shift in shifts:
            shift.label = calendar.source_label(shift.source, names)
            shift.asked = any(
                c.requester_id == shift.member.pk and c.start < shift.end and c.end > shift.start
                for c in covers
                if c.is_open
            )
        feed = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()
        preference = ReminderPreference.objects.filter(user=user).first()
        return super().get_context_data(
            nav="my-shifts",
            zone=zone,
            days=DAYS,
            shifts=shifts,
            theirs=[c for c in covers if c.is_open and c.requester.user_id != user.pk],
            mine=[c for c in covers if c.requester.user_id == user.pk],
            feed=feed,
            minutes_before=preference.minutes_before if preference else 60,
            reminders_on=preference.enabled if preference else True,
            **kwargs,
        )


class AskCoverView(OrganizationPageMixin, View):
    """Ask for cover of a shift (its start and end), or of part of it (local times)."""

    def post(self, request):
        team = self.get_in_organization(Team.objects, request.POST.get("team"))
        zone = timezone.get_current_timezone()
        start, end = (self._instant(request.POST, name, zone) for name in ("start", "end"))
        if start is None or end is None:
            messages.error(request, "Enter when the cover starts and ends.")
            return _back()
        try:
            services.request_cover(team, by=request.user, start=start, end=end)
        except services.CoverNotAllowed as exc:
            messages.error(request, f"Cover not asked: {exc}.")
            return _back()
        messages.success(request, "Cover asked: your teammates are told.")
        return _back()

    @staticmethod
    def _instant(data, name: str, zone) -> datetime | None:
        local = data.get(f"{name}_local")
        if local:
            try:
                return datetime.fromisoformat(local).replace(tzinfo=zone)
            except ValueError:
                return None
        return parse_instant(data.get(name, ""))


class CoverActionView(OrganizationPageMixin, View):
    def post(self, request, cover_id, action):
        cover = self.get_in_organization(
            CoverRequest.objects.select_related("team", "requester"),
            cover_id,
            field="team__organization",
        )
        try:
            if action == "take":
                services.take_cover(cover, by=request.user)
                messages.success(request, "You cover this shift now.")
            else:
                services.cancel_cover(cover, by=request.user)
                messages.success(request, "Cover request withdrawn.")
        except (services.CoverNotAllowed, services.CoverConflict) as exc:
            messages.error(request, str(exc))
        return _back()


class MyFeedView(OrganizationPageMixin, View):
    def post(self, request):
        if request.POST.get("action") == "revoke":
            for feed in CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True):
                services.revoke_feed(feed, by=request.user)
            messages.success(request, "Calendar feed revoked.")
        else:
            services.create_personal_feed(by=request.user)
            messages.success(
                request, "Calendar feed created: subscribe to it in your calendar app."
            )
        return _back()


class MySettingsView(OrganizationPageMixin, View):
    def post(self, request):
        raw = request.POST.get("minutes_before", "")
        if not raw.isascii() or not raw.isdigit() or not 0 <= int(raw) <= 7 * 24 * 60:
            messages.error(request, "Enter the minutes before a shift, 0 to 10080.")
            return _back()
        try:
            services.set_personal_settings(
                by=request.user,
                minutes_before=int(raw),
                enabled=request.POST.get("enabled") == "on",
                time_zone=request.POST.get("time_zone", "").strip(),
            )
        except ValueError:
            messages.error(request, "Unknown time zone: use an IANA name such as Europe/Berlin.")
            return _back()
        messages.success(request, "Settings saved.")
        return _back()
