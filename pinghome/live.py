"""Live fragments of a page, for app.js: ``?part=NAME`` (repeatable) answers only those regions of
the page, each the template partial the whole page includes, with the same sign-in, scoping and
filters as the page, and the messages waiting for the viewer.

app.js refreshes a region (``data-refresh`` with ``data-part``) from its fragment, and sends a
form marked ``data-live-parts`` with fetch: same URL, same fields and CSRF token, plus the
``X-Live-Parts`` header naming the regions it changes. The view answers as without JavaScript,
post/redirect/get, through ``redirect_back``, which asks the page it redirects to for those parts
only. Without JavaScript nothing of this is used: the forms post and the pages reload.
"""

import re
from urllib.parse import urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render

PARAM = "part"
HEADER = "X-Live-Parts"
MAX_PARTS = 10
_NAME = re.compile(r"^[a-z][a-z-]{0,30}$")


def requested(request: HttpRequest, known) -> list[str]:
    """The parts of ``known`` that ``?part=`` names, in ``known``'s order; [] for the page."""
    wanted = set(request.GET.getlist(PARAM))
    return [name for name in known if name in wanted]


def render_parts(
    request: HttpRequest, templates: list[str], context: dict, *, status: int = 200
) -> HttpResponse:
    """The messages and each template of ``templates`` (a page's partials), nothing else."""
    response = render(
        request, "live_parts.html", {**context, "part_templates": templates}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response


def page_path(request: HttpRequest) -> str:
    """The page's path and query without ``part``: what its forms send back as ``next``."""
    query = request.GET.copy()
    query.pop(PARAM, None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def with_parts(url: str, parts: list[str]) -> str:
    """``url`` asking for ``parts`` (replacing any it asked for), its #fragment kept."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = QueryDict(query, mutable=True)
    params.pop(PARAM, None)
    params.setlist(PARAM, parts)
    return urlunsplit((scheme, netloc, path, params.urlencode(), fragment))


def header_parts(request: HttpRequest) -> list[str]:
    names = request.headers.get(HEADER, "").split()[:MAX_PARTS]
    return [name for name in names if _NAME.match(name)]


def redirect_back(request: HttpRequest, to: str) -> HttpResponseRedirect:
    """Post/redirect/get to ``to``; for a form app.js sent, to the parts it named only."""
    parts = header_parts(request)
    return HttpResponseRedirect(with_parts(to, parts) if parts else to)
