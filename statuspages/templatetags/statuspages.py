"""``{% post_status_update incident %}``: the incident page's control to post written updates to
the organization's status pages (a small include, whatever the rest of the incident page is);
``|duration``: seconds as "1 h 5 min"."""

from datetime import timedelta

from django import template
from django.utils.safestring import mark_safe

from incidents.models import Incident
from incidents.reports_views import duration_text
from pinghome import live
from statuspages.forms import NoticeForm, NoticeUpdateForm
from statuspages.models import NoticeStatus, StatusPage
from statuspages.uptime import History

register = template.Library()


@register.filter
def duration(seconds: int) -> str:
    return duration_text(timedelta(seconds=seconds))


@register.filter
def uptime_bars(history: History) -> str:
    """A bar per day: built here, not by a template loop, and without escaping each value (a
    year of a page's components is thousands of bars, and the public page must answer within
    100 ms). Every value is made here from dates, statuses and numbers: none is anyone's text.
    """
    bars = []
    for bar in history.bars:
        title = f"{bar.day:%-d %b %Y}: {bar.percent}"
        if bar.status:
            title += " up"
        if bar.down_seconds:
            title += f", down {duration(bar.down_seconds)}"
        css = f"component-{bar.status}" if bar.status else "no-data"
        bars.append(
            f'<span class="day {css}" data-day="{bar.day.isoformat()}" '
            f'data-status="{bar.status or ""}" title="{title}"></span>'
        )
    return mark_safe("".join(bars))


@register.inclusion_tag("statuspages/_post_update.html", takes_context=True)
def post_status_update(context, incident: Incident) -> dict:
    pages = list(
        StatusPage.objects.filter(organization_id=incident.organization_id).prefetch_related(
            "components"
        )
    )
    for page in pages:
        page.notice_form = NoticeForm(page=page, auto_id=f"id_incident_notice_%s_{page.pk}")
    return {
        "incident": incident,
        "pages": pages,
        "notices": list(
            incident.notices.exclude(status=NoticeStatus.RESOLVED).select_related("status_page")
        ),
        "update_form": NoticeUpdateForm(auto_id=False),
        "next": live.page_path(context["request"]),
        "csrf_token": context.get("csrf_token"),
    }
