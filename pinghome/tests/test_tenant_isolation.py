"""Tenant isolation, generated from the URLconf: no route lets one organization reach another's.

Every route of the API and every page that takes ids is called as organization B (Globex) with
the ids of organization A (Acme): in its path (404), and one at a time in the bodies and queries
of B's own valid requests (404, or 422 naming the field). Nothing of either changes. The kinds of
objects and the requests come from pinghome.testing (KINDS, WORDS, PAYLOADS): a new route that
they do not cover fails ``test_every_route_is_covered``.
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from pinghome.api import parse_uuid
from pinghome.testing import (
    KINDS,
    PAYLOADS,
    WORDS,
    Ids,
    Persona,
    make_persona,
    one_of_every_kind,
)

pytestmark = pytest.mark.django_db

# Reached without a session or a token, by the secret or signed link in their path: what they
# answer is decided by that secret, not by an organization.
PUBLIC = {
    "v1/incident/webhook/<str:webhook_id>": "ingest: the webhook id is the secret",
    "v1/calendar/<str:secret>.ics": "a calendar feed: its secret is the credential",
    "status/<str:status_page_id>": "a public status page",
    "status/<str:status_page_id>/feed.atom": "a public status page's Atom feed",
    "status/<str:status_page_id>/subscribe": "a public status page's subscription form",
    "status/<str:status_page_id>/confirm/<str:token>": "a subscription's secret link",
    "status/<str:status_page_id>/unsubscribe/<str:token>": "a subscription's secret link",
    "respond/<str:incident_id>/<str:token>": "a page's signed respond link",
    "invitation/<str:token>": "an invitation's secret link",
    "login/link/<str:uidb64>/<str:token>": "a sign-in link",
    "password-reset/<str:uidb64>/<str:token>": "a password reset link",
}
NOT_OURS = ("admin/",)  # Django's admin: superusers only, across organizations by design
METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("POST", "PUT", "PATCH")
# Changed by any authenticated request: not an object of either organization.
VOLATILE = {("accounts.ApiToken", "last_used_at")}


@dataclass(frozen=True)
class Route:
    route: str  # as the URLconf spells it, e.g. "v1/team/<str:team_id>"
    methods: tuple[str, ...]  # upper case; empty when the view does not say

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("v1/")

    def paths(self, ids: Ids) -> Iterator[str]:
        """The route with ``ids`` in it, once for each combination of WORDS it takes."""
        words = [p for p in self.parameters if p in WORDS]
        for values in itertools.product(*(WORDS[w] for w in words)):
            given = {**ids, **dict(zip(words, values, strict=True))}
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, g=given: g[m.group(1)], self.route)


def _walk(patterns, prefix: str = "") -> Iterator[Route]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and not route.startswith(NOT_OURS):
            view = getattr(pattern.callback, "view_class", None)
            allowed = getattr(view, "http_method_names", ())
            methods = tuple(m.upper() for m in METHODS if m in allowed and hasattr(view, m))
            yield Route(route, methods)


ROUTES = list(_walk(get_resolver().url_patterns))


def _checked() -> list[Route]:
    return [r for r in ROUTES if r.route not in PUBLIC]


def _with_ids() -> list[Route]:
    return [r for r in _checked() if set(r.parameters) & set(KINDS)]


def test_every_route_is_covered():
    missing = []
    for route in _checked():
        if not route.methods:
            missing.append(f"{route.route}: a view without methods (a function?)")
        for name in route.parameters:
            if name not in KINDS and name not in WORDS:
                missing.append(f"{route.route}: no builder for {name} in pinghome.testing.KINDS")
        for method in route.methods:
            if route.is_api and method in WRITES and f"{method} {route.route}" not in PAYLOADS:
                missing.append(f"{method} {route.route}: no request in pinghome.testing.PAYLOADS")
    known = {f"{m} {r.route}" for r in ROUTES for m in r.methods}
    missing += [f"{key}: in PAYLOADS, no such route" for key in PAYLOADS if key not in known]
    assert not missing, "\n".join(missing)


# --------------------------------------------------------------------------- the two organizations


@dataclass(frozen=True)
class Worlds:
    a: Ids  # Acme's objects
    b: Ids  # Globex's
    outsider: Persona  # Globex's admin, who calls
    browser: Client  # the outsider, signed in


@pytest.fixture(scope="module")
def worlds(module_db) -> Worlds:
    owner = make_persona("Acme", "Ops", "owner@acme.test")
    outsider = make_persona("Globex", "Ops", "admin@globex.test")
    browser = Client()
    browser.force_login(outsider.user)
    return Worlds(one_of_every_kind(owner), one_of_every_kind(outsider), outsider, browser)


def snapshot() -> dict[str, int]:
    """Rows written so far in this transaction, by table (PostgreSQL's own counters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        return dict(cursor.fetchall())


class _Undo(Exception):
    pass


def call(client, method: str, path: str, payload: dict | None, *, api: bool) -> tuple[Any, list]:
    """The response (or the exception raised) of one request and the tables it wrote to; every
    change is rolled back after."""
    kwargs: dict[str, Any] = {}
    if payload is not None and method in WRITES:
        kwargs = {"data": payload, "format": "json"} if api else {"data": payload}
    elif payload is not None:
        kwargs = {"data": payload} if method == "GET" else {"QUERY_STRING": urlencode(payload)}
    before = snapshot()
    try:
        with transaction.atomic():
            try:
                response = getattr(client, method.lower())(path, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a 500: reported, not raised
                response = exc
            after = snapshot()
            raise _Undo
    except _Undo:
        pass
    return response, sorted(table for table in after if after[table] != before.get(table))


def describe(response) -> str:
    if isinstance(response, Exception):
        return f"raised {response!r}"
    return f"{response.status_code} {response.content[:200]!r}"


def _client(route: Route, worlds: Worlds):
    return worlds.outsider.api if route.is_api else worlds.browser


# --------------------------------------------------------------------------- ids in paths


def test_another_organizations_ids_in_a_path_are_404_and_change_nothing(worlds):
    a = worlds.a
    failures = []
    for route in _with_ids():
        for method, path in itertools.product(route.methods, route.paths(a)):
            request = PAYLOADS.get(f"{method} {route.route}")
            response, changed = call(
                _client(route, worlds),
                method,
                path,
                request(a) if request else None,
                api=route.is_api,
            )
            if isinstance(response, Exception) or response.status_code != 404:
                failures.append(f"{method} {path}: {describe(response)}")
            if changed:
                failures.append(f"{method} {path} changed {changed}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- ids in bodies


def _id_leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path, value) of every string in ``value`` that is a UUID."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _id_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _id_leaves(item, (*path, index))
    elif isinstance(value, str) and parse_uuid(value):
        yield path, value


def _swapped(value: Any, path: tuple, new: str) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _swapped(value[head], tuple(rest), new)}
    return [_swapped(item, tuple(rest), new) if i == head else item for i, item in enumerate(value)]


def names(errors: dict, field: str) -> bool:
    """``errors`` name ``field``, an element of it or what holds it."""
    return any(
        key == field or field.startswith(f"{key}.") or key.startswith(f"{field}.") for key in errors
    )


def test_another_organizations_ids_in_a_request_are_404_or_422_naming_the_field(worlds):
    a, b, outsider = worlds.a, worlds.b, worlds.outsider
    kind_of = {value: kind for kind, value in b.items()}
    failures = []
    for route in _checked():
        for method in route.methods:
            request = PAYLOADS.get(f"{method} {route.route}")
            own = request(b) if request else None
            leaves = [(at, value) for at, value in _id_leaves(own) if value in kind_of]
            if not leaves:
                continue
            [path] = route.paths(b)
            response, _ = call(outsider.api, method, path, own, api=True)
            if isinstance(response, Exception) or response.status_code >= 300:
                failures.append(f"{method} {path} {own}: {describe(response)} (B's own)")
                continue
            for at, value in leaves:
                field = ".".join(str(part) for part in at)
                theirs = _swapped(own, at, a[kind_of[value]])
                response, changed = call(outsider.api, method, path, theirs, api=True)
                if isinstance(response, Exception):
                    failures.append(f"{method} {path} {field}: {describe(response)}")
                elif response.status_code == 422:
                    if not names(response.json()["errors"], field):
                        failures.append(f"{method} {path} {field}: {describe(response)}")
                elif response.status_code != 404:
                    failures.append(f"{method} {path} {field}: {describe(response)}")
                if changed:
                    failures.append(f"{method} {path} {field} changed {changed}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- what reads show


def test_what_an_organization_reads_shows_no_id_of_another(worlds):
    theirs = set(worlds.a.values())
    failures = []
    for route in _checked():
        if "GET" not in route.methods or route.route.startswith("v1/schema"):
            continue
        for path in route.paths(worlds.b):
            response, _ = call(_client(route, worlds), "GET", path, None, api=True)
            if isinstance(response, Exception) or response.status_code >= 500:
                failures.append(f"GET {path}: {describe(response)}")
                continue
            body = b"".join(response) if response.streaming else response.content
            leaked = sorted(value for value in theirs if value.encode() in body)
            if leaked:
                failures.append(f"GET {path} shows {leaked}")
    assert not failures, "\n".join(failures)
