"""The Reports page and its CSV export: a team's report (``incidents.reports``) over a period.

Per day: incidents opened, acknowledged and resolved that day (each counted by the time of its
own transition); weekly MTTA and MTTR; responders; the noisiest rulesets and dedup keys;
incidents by urgency and by hour of day. Over more than ``DAILY_MAX`` days the chart has a bar
per week and the days are in the CSV only: a year of days is too long to read and to render.
"""

import csv
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from incidents import reports
from pinghome.pages import OrganizationPageMixin
from schedules.calendar_grid import zone_of

DEFAULT_DAYS = 30
DAILY_MAX = 92  # days: a longer period is charted per week, its days are in the CSV
CHART_WIDTH, CHART_HEIGHT = 800, 200
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_BOTTOM, MARGIN_TOP = 32, 24, 22, 10


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        for name, message in reports.period_errors(start, end).items():
            self.add_error(name, message)
        data.update(start=start, end=end)
        return data


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
        today = timezone.now().astimezone(zone_of(team.time_zone)).date()
        query = self.request.GET.copy()
        if not query.get("start") and not query.get("end"):  # shown in the inputs
            query["start"] = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
            query["end"] = today.isoformat()
        form = PeriodForm(query, today=today)
        context["form"] = form
        if not form.is_valid():
            return context
        report = reports.build(team, form.cleaned_data["start"], form.cleaned_data["end"])
        totals = report.totals
        top_hour = max(report.by_hour) or 1
        daily = len(report.days) <= DAILY_MAX
        opened: dict[date, int] = {}
        for day in report.days:  # per day, else per week from its Monday (or the start)
            key = day["date"] if daily else max(report.start, _monday(day["date"]))
            opened[key] = opened.get(key, 0) + day["opened"]
        context.update(
            report=report,
            start=report.start,
            end=report.end,
            daily=daily,
            daily_max=DAILY_MAX,
            rows=[(d["date"], d["opened"], d["acknowledged"], d["resolved"]) for d in report.days]
            if daily
            else [],
            chart=bar_chart(list(opened.items())),
            totals=totals,
            mtta=duration_text(_delta(totals["mtta_seconds"])),
            mttr=duration_text(_delta(totals["mttr_seconds"])),
            weeks=[
                {
                    **week,
                    "mtta": duration_text(_delta(week["mtta_seconds"])),
                    "mttr": duration_text(_delta(week["mttr_seconds"])),
                }
                for week in report.weeks
            ],
            responders=[
                {**r, "mean_ack": duration_text(_delta(r["mean_ack_seconds"]))}
                for r in report.responders
            ],
            hours=[(hour, n, round(100 * n / top_hour)) for hour, n in enumerate(report.by_hour)],
            export=self.request.GET.urlencode(),
        )
        return context

    def render_to_response(self, context, **kwargs):
        table = self.request.GET.get("csv")
        if table is None:
            return super().render_to_response(context, **kwargs)
        if "report" not in context or table not in CSV_TABLES:
            raise Http404
        return csv_response(context["report"], table)


def _monday(day: date) -> date:
    return day - timedelta(day.weekday())


def _delta(seconds: float | None) -> timedelta | None:
    return timedelta(seconds=seconds) if seconds is not None else None


CSV_TABLES = {
    "days": lambda report: report.days,
    "weeks": lambda report: report.weeks,
    "responders": lambda report: report.responders,
    "rulesets": lambda report: report.noisiest_rulesets,
    "dedup-keys": lambda report: report.noisiest_dedup_keys,
    "urgency": lambda report: [
        {"urgency": urgency, "incidents": n} for urgency, n in report.by_urgency.items()
    ],
    "hours": lambda report: [
        {"hour": hour, "incidents": n} for hour, n in enumerate(report.by_hour)
    ],
}


def csv_response(report: reports.Report, table: str) -> HttpResponse:
    """One table of the report as CSV (durations in seconds)."""
    rows = CSV_TABLES[table](report)
    name = f"{report.team.name}-{table}-{report.start}-{report.end}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe(name)}"'
    if rows:
        writer = csv.DictWriter(response, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return response


def _cell(value):
    """Text a spreadsheet would run as a formula (a dedup key comes from an alert) is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
