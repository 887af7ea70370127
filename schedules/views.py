"""On-call pages: who is on call, week and month calendars, schedule entries and overrides."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team
from pinghome.pages import OrganizationPageMixin
from schedules import calendar, calendar_grid, ics_import, oncall, services
from schedules.calendar_grid import zone_of
from schedules.forms import (
    MONTHS,
    WEEK_DAYS,
    WEEKS,
    OverrideForm,
    RotationForm,
    ScheduleEntryForm,
    names,
)
from schedules.models import ImportedLayer, Override, Rotation, ScheduleEntry
from schedules.recurrence import EARLIEST, LATEST

NEXT_SHIFT_WINDOW = timedelta(days=35)
HOUR_MARKS = range(0, 24, 3)


def oncall_url(team: Team, **params) -> str:
    query = {"team": str(team.pk), **{k: v for k, v in params.items() if v}}
    return f"{reverse('oncall')}?{urlencode(query)}"


class TeamPageMixin(OrganizationPageMixin):
    """Pages of one team of the organization (another organization's team is a 404)."""

    def get_team(self, team_id) -> Team:
        return self.get_in_organization(Team.objects, team_id)


class OnCallView(TeamPageMixin, TemplateView):
    template_name = "schedules/oncall.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(nav="oncall", **self.team_choice(), **kwargs)
        team = context["team"]
        if team is None:
            return context
        mine = timezone.get_current_timezone()  # the viewer's (ViewerTimeZoneMiddleware)
        viewer_zone = self.request.GET.get("zone") == "mine"
        zone = mine if viewer_zone else zone_of(team.time_zone)
        keep = {"zone": "mine"} if viewer_zone else {}
        now = timezone.now()
        view = (
            calendar_grid.MONTH if self.request.GET.get("view") == "month" else calendar_grid.WEEK
        )
        try:
            anchor = date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            anchor = None
        if anchor is None or not EARLIEST.date() <= anchor <= LATEST.date():
            anchor = now.astimezone(zone).date()
        shown = calendar_grid.period(view, anchor)
        start = calendar_grid.local_midnight(shown.first, zone)
        end = calendar_grid.local_midnight(shown.last + timedelta(days=1), zone)
        shifts, gaps = oncall.shifts(team, start, end)

        members = list(team.members.select_related("user").order_by("created_at", "id"))
        member_names = {str(m.pk): m.user.name or m.user.email for m in members}
        colours = calendar_grid.member_colours(member_names)
        source_names = oncall.source_names([team.pk])
        days = calendar_grid.lay_out(
            shown.days,
            zone,
            shifts,
            gaps,
            names=member_names,
            colours=colours,
            sources={
                shift.source: calendar.source_label(shift.source, source_names) for shift in shifts
            },
            month=shown.month if view == calendar_grid.MONTH else None,
            now=now,
        )
        upcoming, _ = oncall.shifts(team, now, now + NEXT_SHIFT_WINDOW)
        next_start = min((s.start for s in upcoming if s.start > now), default=None)
        entries = list(
            team.schedule_entries.select_related("team_member__user").order_by("created_at")
        )
        for entry in entries:
            entry.days_label = names(WEEK_DAYS, entry.week_days)
            entry.months_label = names(MONTHS, entry.months_of_year) or "every month"
            entry.weeks_label = names(WEEKS, entry.weeks_of_month) or "every week"
        context.update(
            zone=zone,
            viewer_zone=viewer_zone,
            my_zone=mine,
            team_zone_url=oncall_url(team, view=view, date=shown.anchor.isoformat()),
            my_zone_url=oncall_url(team, view=view, date=shown.anchor.isoformat(), zone="mine"),
            rotations=self.rotations(team, member_names),
            view=view,
            period=shown,
            today=now.astimezone(zone).date(),
            days=days,
            weeks=calendar_grid.weeks(days),
            hours=[{"label": f"{h:02d}:00", "offset": round(100 * h / 24, 3)} for h in HOUR_MARKS],
            legend=[(member_names[m], colours[m]) for m in member_names],
            gap_count=len(gaps),
            now=now,
            on_call_now=[
                (member_names.get(m, "unknown member"), colours.get(m, ""))
                for m in oncall.on_call(team, now)
            ],
            next_start=next_start,
            on_call_next=[
                (member_names.get(s.member_id, "unknown member"), colours.get(s.member_id, ""))
                for s in upcoming
                if s.start == next_start
            ],
            next_window_days=NEXT_SHIFT_WINDOW.days,
            entries=entries,
            imported_layers=team.imported_layers.annotate(shift_count=Count("shifts")),
            overrides=team.overrides.filter(end__gt=now)
            .select_related("team_member__user", "replaces_team_member__user")
            .order_by("start", "created_at")[:50],
            previous_url=oncall_url(team, view=view, date=shown.previous.isoformat(), **keep),
            next_url=oncall_url(team, view=view, date=shown.next.isoformat(), **keep),
            today_url=oncall_url(team, view=view, **keep),
            week_url=oncall_url(team, view="week", date=anchor.isoformat(), **keep),
            month_url=oncall_url(team, view="month", date=anchor.isoformat(), **keep),
        )
        return context

    @staticmethod
    def rotations(team: Team, member_names: dict[str, str]) -> list[Rotation]:
        found = list(team.rotations.filter(deleted_at__isnull=True).prefetch_related("versions"))
        for rotation in found:
            rotation.state = services.rotation_state(
                rotation, max(rotation.versions.all(), key=lambda v: v.effective_from)
            )
            rotation.people = ", ".join(
                member_names.get(p, "former member") for p in rotation.state["participants"]
            )
            for restriction in rotation.state["restrictions"]:
                restriction["days"] = names(WEEK_DAYS, restriction["week_days"]) or "every day"
        found.sort(key=lambda r: (-r.state["layer"], r.created_at))
        return found


class EntryFormView(TeamPageMixin, View):
    """Add (no ``entry_id``) or edit a schedule entry; the member of an entry is fixed."""

    def get_entry(self, team: Team, entry_id) -> ScheduleEntry | None:
        if entry_id is None:
            return None
        return self.get_in_organization(
            ScheduleEntry.objects.filter(team=team), entry_id, field="team__organization"
        )

    def get(self, request, team_id, entry_id=None):
        team = self.get_team(team_id)
        entry = self.get_entry(team, entry_id)
        initial = {}
        if entry is None:
            membership = team.members.filter(user=request.user).first()
            initial = {
                "team_member": str(membership.pk) if membership else "",
                "start_time": "09:00",
                "end_time": "17:00",
            }
        form = ScheduleEntryForm(team=team, entry=entry, initial=initial)
        return self.render(team, entry, form)

    def post(self, request, team_id, entry_id=None):
        team = self.get_team(team_id)
        entry = self.get_entry(team, entry_id)
        form = ScheduleEntryForm(request.POST, team=team, entry=entry)
        rule = form.validated()
        if rule is None:
            return self.render(team, entry, form)
        member = team.members.get(pk=rule.pop("team_member_id"))
        try:
            if entry is None:
                services.create_entry(team, member, rule, by=request.user)
            else:
                services.replace_rule(entry, rule, by=request.user)
        except services.DuplicateEntry as exc:
            form.add_error(None, f"{exc}.")
            return self.render(team, entry, form)
        messages.success(
            request, "Schedule entry added." if entry is None else "Schedule entry saved."
        )
        return redirect(oncall_url(team))

    def render(self, team, entry, form):
        context = {"nav": "oncall", "team": team, "entry": entry, "form": form}
        return render(self.request, "schedules/entry_form.html", context)


class EntryDeleteView(TeamPageMixin, View):
    def post(self, request, team_id, entry_id):
        team = self.get_team(team_id)
        entry = self.get_in_organization(
            ScheduleEntry.objects.filter(team=team), entry_id, field="team__organization"
        )
        services.delete_entry(entry, by=request.user)
        messages.success(request, "Schedule entry deleted.")
        return redirect(oncall_url(team))


class OverrideCreateView(TeamPageMixin, View):
    def get(self, request, team_id):
        team = self.get_team(team_id)
        zone = zone_of(team.time_zone)
        start = timezone.now().astimezone(zone).replace(minute=0, second=0, microsecond=0)
        start += timedelta(hours=1)
        form = OverrideForm(
            team=team,
            initial={
                "start": start.strftime("%Y-%m-%dT%H:%M"),
                "end": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
            },
        )
        return self.render(team, form)

    def post(self, request, team_id):
        team = self.get_team(team_id)
        form = OverrideForm(request.POST, team=team)
        data = form.validated()
        if data is None:
            return self.render(team, form)
        services.create_override(team, by=request.user, data=data)
        messages.success(request, "Override added.")
        return redirect(oncall_url(team))

    def render(self, team, form):
        context = {"nav": "oncall", "team": team, "form": form}
        return render(self.request, "schedules/override_form.html", context)


class OverrideDeleteView(TeamPageMixin, View):
    def post(self, request, team_id, override_id):
        team = self.get_team(team_id)
        override = self.get_in_organization(
            Override.objects.filter(team=team), override_id, field="team__organization"
        )
        services.delete_override(override, by=request.user)
        messages.success(request, "Override deleted.")
        return redirect(oncall_url(team))


class RotationFormView(TeamPageMixin, View):
    """Add (no ``rotation_id``) or change a rotation; a change applies from now on."""

    def get_rotation(self, team: Team, rotation_id) -> Rotation | None:
        if rotation_id is None:
            return None
        return self.get_in_organization(
            Rotation.objects.filter(team=team, deleted_at__isnull=True),
            rotation_id,
            field="team__organization",
        )

    def get(self, request, team_id, rotation_id=None):
        team = self.get_team(team_id)
        rotation = self.get_rotation(team, rotation_id)
        if rotation is None:
            zone = zone_of(team.time_zone)
            monday = timezone.now().astimezone(zone).date()
            monday += timedelta(days=(7 - monday.weekday()) % 7)
            membership = team.members.filter(user=request.user).first()
            form = RotationForm(
                team=team,
                initial={
                    "handoff": f"{monday.isoformat()}T09:00",
                    "participant_1": str(membership.pk) if membership else "",
                },
            )
        else:
            state = services.rotation_state(rotation, services.current_version(rotation))
            form = RotationForm(team=team, initial_body=state)
        return self.render(team, rotation, form)

    def post(self, request, team_id, rotation_id=None):
        team = self.get_team(team_id)
        rotation = self.get_rotation(team, rotation_id)
        form = RotationForm(request.POST, team=team)
        data = form.validated()
        if data is None:
            return self.render(team, rotation, form)
        if rotation is None:
            services.create_rotation(team, data, by=request.user)
            messages.success(request, "Rotation added.")
        else:
            services.update_rotation(rotation, data, by=request.user)
            messages.success(request, "Rotation saved: the change applies from now on.")
        return redirect(oncall_url(team))

    def render(self, team, rotation, form):
        context = {"nav": "oncall", "team": team, "rotation": rotation, "form": form}
        return render(self.request, "schedules/rotation_form.html", context)


class RotationDeleteView(TeamPageMixin, View):
    def post(self, request, team_id, rotation_id):
        team = self.get_team(team_id)
        rotation = self.get_in_organization(
            Rotation.objects.filter(team=team, deleted_at__isnull=True),
            rotation_id,
            field="team__organization",
        )
        services.delete_rotation(rotation, by=request.user)
        messages.success(request, "Rotation deleted; its past shifts stay.")
        return redirect(oncall_url(team))


class LayerImportView(TeamPageMixin, View):
    """Upload an iCalendar file: its events become a layer of fixed shifts."""

    def post(self, request, team_id):
        team = self.get_team(team_id)
        upload = request.FILES.get("file")
        name = request.POST.get("name", "").strip()[:200] or "Imported"
        raw = request.POST.get("layer", "1")
        layer = int(raw) if raw.isascii() and raw.isdigit() else 0
        raw_since = request.POST.get("since", "")
        try:
            day = date.fromisoformat(raw_since) if raw_since else None
        except ValueError:
            day = date.min  # refused below
        if upload is None or not 1 <= layer <= 100 or (day and not 1970 <= day.year <= 9000):
            messages.error(request, "Choose an iCalendar file, a layer from 1 to 100 and a date.")
            return redirect(oncall_url(team))
        since = calendar_grid.local_midnight(day, zone_of(team.time_zone)) if day else None
        try:
            result = services.import_layer(
                team,
                by=request.user,
                name=name,
                layer=layer,
                content=upload.read(ics_import.MAX_BYTES + 1),
                since=since,
            )
        except ics_import.ImportError_ as exc:
            messages.error(request, f"Not imported: {exc}.")
            return redirect(oncall_url(team))
        messages.success(request, f"Imported {result.shifts} shifts into layer {name}.")
        zone = zone_of(team.time_zone)
        for event in result.unmatched[:10]:
            messages.warning(
                request,
                f"Matched no member: {event.summary or 'no summary'} "
                f"({event.start.astimezone(zone):%Y-%m-%d %H:%M}).",
            )
        if len(result.unmatched) > 10:
            messages.warning(request, f"{len(result.unmatched) - 10} more matched no member.")
        return redirect(oncall_url(team))


class LayerDeleteView(TeamPageMixin, View):
    def post(self, request, team_id, layer_id):
        team = self.get_team(team_id)
        layer = self.get_in_organization(
            ImportedLayer.objects.filter(team=team), layer_id, field="team__organization"
        )
        services.delete_layer(layer, by=request.user)
        messages.success(request, "Imported layer deleted.")
        return redirect(oncall_url(team))
