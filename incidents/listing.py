"""The incident list of the pages: search, sort and cursor pages over any number of incidents.

Unresolved incidents come first, then resolved ones, each part in the chosen order: a page is
read from the first part and, when it runs out, from the second, so neither part is ever
sorted whole with the other (an organization keeps many more resolved incidents than open
ones). The cursor names the part and the sort values of the last row shown: the next page
starts right after it, without gap or repeat, however many incidents open meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Team, TeamMember, User
from incidents.assignees import AssignedTo
from incidents.models import AssigneeType, Incident, IncidentStatus, Urgency
from pinghome.api import parse_instant, parse_uuid

PAGE_SIZE = 50
SEARCH_MAX_ASSIGNEES = 50  # people and teams a search term may name

URGENCY_RANK = Case(
    *(When(urgency=urgency, then=Value(rank)) for rank, urgency in enumerate(Urgency.values)),
    default=Value(-1),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Sort:
    label: str
    # (alias, descending) pairs; the id follows last, in the direction of the last one.
    keys: tuple[tuple[str, bool], ...]


SORTS = {
    "newest": Sort("Newest first", (("created_at", True),)),
    "oldest": Sort("Oldest first", (("created_at", False),)),
    "urgency": Sort("Most urgent first", (("urgency_rank", True), ("created_at", True))),
    "activity": Sort("Latest event first", (("activity", True),)),
}
DEFAULT_SORT = "newest"
OPEN = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED)
ALIASES = {"urgency_rank": URGENCY_RANK, "activity": Coalesce("last_event_at", "created_at")}


def _instant(value: Any) -> datetime | None:
    return parse_instant(value) if isinstance(value, str) else None


def _rank(value: Any) -> int | None:
    return value if type(value) is int else None


def _id(value: Any) -> uuid.UUID | None:
    return parse_uuid(value) if isinstance(value, str) else None


# How a cursor's values are read back: a cursor is text from the address bar.
PARSERS = {"created_at": _instant, "activity": _instant, "urgency_rank": _rank, "id": _id}


def search(queryset: QuerySet, text: str, organization_id) -> QuerySet:
    """Incidents whose name or dedup key contains ``text``, or assigned to a person or team of
    the organization whose name (or e-mail address) contains it."""
    text = text.strip()
    if not text:
        return queryset
    matches = Q(name__icontains=text) | Q(dedup_key__icontains=text)
    members = TeamMember.objects.filter(team__organization_id=organization_id).filter(
        Q(user__name__icontains=text) | Q(user__email__icontains=text)
    )
    teams = Team.objects.filter(organization_id=organization_id, name__icontains=text)
    for kind, ids in (
        (AssigneeType.TEAM_MEMBER, members.values_list("pk", flat=True)[:SEARCH_MAX_ASSIGNEES]),
        (AssigneeType.TEAM, teams.values_list("pk", flat=True)[:SEARCH_MAX_ASSIGNEES]),
    ):
        matches |= Q(AssignedTo(kind, ids))
    return queryset.filter(matches)


def mine(queryset: QuerySet, user: User) -> QuerySet:
    """Incidents assigned to the user by name (any of their team memberships)."""
    memberships = user.memberships.values_list("pk", flat=True)
    return queryset.filter(AssignedTo(AssigneeType.TEAM_MEMBER, memberships))


@dataclass
class Page:
    incidents: list[Incident]
    next_cursor: str | None


def page(queryset: QuerySet, *, sort: str, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """One page of ``queryset``: unresolved incidents first, then resolved ones, in ``sort``
    order, starting after ``cursor`` (an unreadable cursor starts at the first page)."""
    order = SORTS.get(sort) or SORTS[DEFAULT_SORT]
    keys = (*order.keys, ("id", order.keys[-1][1]))
    queryset = queryset.annotate(**{name: ALIASES[name] for name, _ in keys if name in ALIASES})
    queryset = queryset.order_by(*(f"-{name}" if desc else name for name, desc in keys))
    # One query per status (each an index range of "incident_org_recent", read in its order when
    # sorting by age), merged here: never a scan of every incident of the organization.
    parts = [
        [queryset.filter(status=status) for status in OPEN],
        [queryset.filter(status=IncidentStatus.RESOLVED)],
    ]
    start = decode_cursor(cursor, keys)
    rows: list[Incident] = []
    for index in range(start[0] if start else 0, len(parts)):
        wanted = size + 1 - len(rows)
        found: list[Incident] = []
        for part in parts[index]:
            if start and index == start[0]:
                part = part.filter(after(keys, start[1]))
            found += part[:wanted]
        for name, descending in reversed(keys):  # stable sorts, the last key first
            found.sort(key=attrgetter(name), reverse=descending)
        rows += found[:wanted]
        if len(rows) > size:
            break
    if len(rows) <= size:
        return Page(rows, None)
    last = rows[size - 1]
    values = [getattr(last, name) for name, _ in keys]
    return Page(rows[:size], encode_cursor(int(last.is_resolved), values))


def after(keys: tuple[tuple[str, bool], ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order of ``keys`` (a lexicographic comparison)."""
    which = Q(pk__in=[])
    for index, (name, descending) in enumerate(keys):
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
        for (equal, _), value in zip(keys[:index], values, strict=False):
            step &= Q(**{equal: value})
        which |= step
    return which


def encode_cursor(part: int, values: list[Any]) -> str:
    plain = [
        str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime) else v
        for v in values
    ]
    raw = json.dumps([part, *plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, keys: tuple[tuple[str, bool], ...]
) -> tuple[int, list[Any]] | None:
    """The part and sort values a cursor names; None for anything else."""
    if not cursor or len(cursor) > 1000:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(decoded, list) or len(decoded) != len(keys) + 1 or decoded[0] not in (0, 1):
        return None
    values = [PARSERS[name](value) for (name, _), value in zip(keys, decoded[1:], strict=True)]
    if any(value is None for value in values):
        return None
    return decoded[0], values
