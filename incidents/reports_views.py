"""Reports: a team's incidents per day and its response times, aggregated in the database.

Days are the team's local days. Per day: incidents opened, acknowledged and resolved that day
(each counted by the time of its own transition). Mean times to acknowledge and to resolve are
over the incidents opened in the period that were acknowledged / resolved.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.views.generic import TemplateView

from incidents.models import Incident
from pinghome.pages import OrganizationPageMixin
from schedules.calendar_grid import local_midnight, zone_of
from schedules.recurrence import EARLIEST, LATEST, SUPPORTED_DATES

DEFAULT_DAYS, MAX_DAYS = 30, 366
CHART_WIDTH, CHART_HEIGHT = 800, 200
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_BOTTOM, MARGIN_TOP = 32, 24, 22, 10


def supported_date(day: date) -> None:
    if not EARLIEST.date() <= day <= LATEST.date():
        raise ValidationError(f"Enter a date {SUPPORTED_DATES}.")


class PeriodForm(forms.Form):
    start = forms.DateField(
        required=False, validators=[supported_date], widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, validators=[supported_date], widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, today: date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            self.add_error("end", "The end must not be before the start.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", f"A report covers at most {MAX_DAYS} days.")
        data.update(start=start, end=end)
        return data


def per_day(incidents, field: str, zone, start_at, end_at) -> dict[date, int]:
    """How many incidents had ``field`` on each local day of [start_at, end_at)."""
    return dict(
        incidents.filter(**{f"{field}__gte": start_at, f"{field}__lt": end_at})
        .annotate(day=TruncDate(field, tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )


def duration_text(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0 s"


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


def bar_chart(counts: list[tuple[date, int]]) -> dict:
    """Geometry of an SVG bar chart of ``counts`` (viewBox CHART_WIDTH x CHART_HEIGHT)."""
    top = max((count for _, count in counts), default=0) or 1
    plot_width = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = CHART_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_width / max(len(counts), 1)
    baseline = CHART_HEIGHT - MARGIN_BOTTOM
    bars = []
    for index, (day, count) in enumerate(counts):
        height = plot_height * count / top
        bars.append(
            Bar(
                day,
                count,
                x=round(MARGIN_LEFT + index * step + step * 0.1, 2),
                y=round(baseline - height, 2),
                width=round(step * 0.8, 2),
                height=round(height, 2),
            )
        )
    labels = sorted({0, len(counts) // 2, len(counts) - 1}) if counts else []
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bars": bars,
        "top": top,
        "top_y": MARGIN_TOP,
        "baseline": baseline,
        "left": MARGIN_LEFT,
        "right": CHART_WIDTH - MARGIN_RIGHT,
        "x_labels": [
            {"x": round(MARGIN_LEFT + (i + 0.5) * step, 2), "day": counts[i][0]} for i in labels
        ],
    }


class ReportView(OrganizationPageMixin, TemplateView):
    template_name = "reports/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(nav="reports", **self.team_choice(), **kwargs)
        team = context["team"]
        if team is None:
            return context
        zone = zone_of(team.time_zone)
        today = timezone.now().astimezone(zone).date()
        query = self.request.GET.copy()
        if not query.get("start") and not query.get("end"):  # shown in the inputs
            query["start"] = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
            query["end"] = today.isoformat()
        form = PeriodForm(query, today=today)
        context["form"] = form
        if not form.is_valid():
            return context
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        start_at, end_at = local_midnight(start, zone), local_midnight(end + timedelta(1), zone)
        incidents = Incident.objects.filter(team=team)
        opened, acknowledged, resolved = (
            per_day(incidents, field, zone, start_at, end_at)
            for field in ("created_at", "acknowledged_at", "resolved_at")
        )
        totals = incidents.filter(created_at__gte=start_at, created_at__lt=end_at).aggregate(
            opened=Count("id"),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            mtta=Avg(F("acknowledged_at") - F("created_at")),
            mttr=Avg(F("resolved_at") - F("created_at")),
        )
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        context.update(
            start=start,
            end=end,
            rows=[(d, opened.get(d, 0), acknowledged.get(d, 0), resolved.get(d, 0)) for d in days],
            chart=bar_chart([(d, opened.get(d, 0)) for d in days]),
            totals=totals,
            mtta=duration_text(totals["mtta"]),
            mttr=duration_text(totals["mttr"]),
        )
        return context
