"""Times on the pages in the viewer's time zone: the one set on My profile, else the browser's
(the ``tz`` cookie app.js keeps from ``Intl.DateTimeFormat().resolvedOptions().timeZone``), else
UTC. The API (``/v1/``) is never affected: it speaks UTC."""

from zoneinfo import ZoneInfo

from django.utils import timezone

from schedules.calendar_grid import zone_of

COOKIE = "tz"


def viewer_zone(request) -> ZoneInfo:
    """The signed-in viewer's zone; a cookie naming no known zone counts as none."""
    return zone_of(request.user.time_zone, request.COOKIES.get(COOKIE))


class ViewerTimeZoneMiddleware:
    """Signed-in HTML pages are rendered while the viewer's zone is the current one, so every
    date a template shows (and every naive date-time a form reads) is in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/v1/") or not request.user.is_authenticated:
            return self.get_response(request)
        with timezone.override(viewer_zone(request)):
            return self.get_response(request)
