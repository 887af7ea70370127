"""A ruleset's ``fields``: key paths (``commonLabels.severity``, ``annotations.runbook_url``)
whose values its incidents' page shows as labels, and as links when they are http(s) URLs.

At most ``MAX_FIELDS`` paths, each a valid key path of at most ``MAX_KEY_LENGTH`` characters,
none twice. They are read from the incident's latest event, within the evaluation limits (a
path is user-supplied code that runs); each shows at most ``SHOWN_VALUES`` values of at most
``SHOWN_CHARS`` characters.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from incidents.models import Incident, IncidentEvent
from rulesets.conditions import (
    MAX_KEY_LENGTH,
    Budget,
    KeyPathError,
    LimitExceeded,
    parse_key_path,
    resolve_path,
    spelling,
)
from rulesets.evaluation import evaluation_budget, event_view
from webhooks.models import WebhookEvent

MAX_FIELDS = 20
SHOWN_VALUES, SHOWN_CHARS = 5, 300


def field_errors(paths: Any) -> dict[str, list[str]]:
    """Why these ``fields`` cannot be saved, by path ("fields.2"); ``{}`` when they can."""
    if not isinstance(paths, list):
        return {"fields": ["expected a list of key paths"]}
    if len(paths) > MAX_FIELDS:
        return {"fields": [f"at most {MAX_FIELDS} fields are allowed"]}
    errors: dict[str, list[str]] = {}
    for index, path in enumerate(paths):
        reason = ""
        if not isinstance(path, str):
            reason = "expected a key path (a string)"
        elif len(path) > MAX_KEY_LENGTH:
            reason = f"at most {MAX_KEY_LENGTH} characters are allowed"
        elif path in paths[:index]:
            reason = "named twice"
        else:
            try:
                parse_key_path(path)
            except KeyPathError as exc:
                reason = f"invalid key path: {exc}"
        if reason:
            errors[f"fields.{index}"] = [reason]
    return errors


@dataclass(frozen=True)
class Value:
    text: str
    link: bool  # an http(s) URL, shown as a link (escaped, as every value)


@dataclass(frozen=True)
class Shown:
    path: str
    values: list[Value]
    more: int = 0  # values beyond the ones shown


def _is_link(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and text == text.strip()


def shown(paths: list[str], body: Any, budget: Budget) -> tuple[list[Shown], str]:
    """Each path with its values in ``body``, and why the rest is not shown ('' when all is)."""
    result: list[Shown] = []
    embedded: dict[str, Any] = {}
    try:
        for path in paths:
            try:
                found = resolve_path(body, parse_key_path(path), budget, embedded)
            except KeyPathError:  # stored before it was checked
                found = []
            texts = [spelling(value, budget) for value in found[:SHOWN_VALUES]]
            values = [
                Value(text[:SHOWN_CHARS], len(text) <= SHOWN_CHARS and _is_link(text))
                for text in texts
            ]
            result.append(Shown(path, values, max(0, len(found) - SHOWN_VALUES)))
    except LimitExceeded as exc:
        return result, f"not all shown: evaluation limit exceeded: {exc}"
    return result, ""


def for_incident(incident: Incident) -> tuple[list[Shown], str]:
    """The fields of the incident's ruleset in its latest event, and what is not shown."""
    paths = incident.ruleset.fields if incident.ruleset_id else []
    if not paths:
        return [], ""
    latest = IncidentEvent.objects.filter(incident=incident).order_by("-id").values("event_id")
    event = WebhookEvent.objects.filter(pk__in=latest[:1]).only("body", "headers").first()
    if event is None:
        return [Shown(path, []) for path in paths], "no event attached"
    return shown(paths, event_view(event).body, evaluation_budget())
