"""Incident name and description templates: text with ``{{ key.path }}`` placeholders.

A placeholder is ``{{ path }}`` or ``{{ path | default: ARG | default: ARG ... }}``, where
``ARG`` is a quoted text (``"unknown"`` or ``'unknown'``, a backslash escapes the next
character) or another key path. It renders the first value at its path (the key paths of
conditions: ``[*]``, ``["odd.name"]``, JSON held in strings); a value that is absent, ``null``
or the empty string gives way to the next ``default``, and the last one given way to renders
as nothing. Strings render as they are, other values as compact JSON.

A template is parsed when it is saved: an unclosed ``{{``, an empty placeholder, a key path
that does not parse or an unknown filter is a validation error naming the position. Templates
are user-supplied code that runs on every event: their cost is bounded by their size (at most
``MAX_PLACEHOLDERS`` placeholders of ``MAX_DEFAULTS`` defaults each), every lookup counts in
the evaluation's :class:`Budget`, and the text rendered is cut at ``limit`` characters.

A stored template that no longer parses (saved before a check that now refuses it, or written
around the API) renders as nothing, never as its own text: braces and key paths in an incident's
name help no responder. Evaluation then falls back as if there were no template (the incident
is named after its ruleset, described by the alert's own description) and the ruleset test says
so (``stale_template_notes``).

Not Jinja or Liquid: their paths are not these key paths (no ``[*]``, no JSON inside
strings), their loops and filters would need bounds of their own, and a condition's key and a
placeholder must find the same value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rulesets.conditions import (
    Budget,
    Embedded,
    KeyPathError,
    PathStep,
    parse_key_path,
    resolve_path,
    spelling,
)

MAX_PLACEHOLDERS = 20
MAX_DEFAULTS = 10
MAX_RENDERED_LENGTH = 1000

_DEFAULT_RE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?::\s*(.*?))?\s*\Z", re.DOTALL)


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says what and where."""


@dataclass(frozen=True)
class Placeholder:
    """``{{ path | default: ... }}``: each choice a key path (its steps) or a quoted text."""

    choices: tuple[tuple[PathStep, ...] | str, ...]


Part = str | Placeholder


def parse_template(template: str) -> tuple[Part, ...]:
    """The template's parts, literal texts and placeholders; ``TemplateError`` saying why not."""
    if not isinstance(template, str):
        raise TemplateError("must be a string")
    return _parse(template)


def template_errors(template: str) -> list[str]:
    """Why the template cannot be saved (``[]`` when it can)."""
    try:
        parse_template(template)
    except TemplateError as exc:
        return [str(exc)]
    return []


@lru_cache(maxsize=1024)
def _parse(template: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    start, placeholders = 0, 0
    while (opening := template.find("{{", start)) >= 0:
        if opening > start:
            parts.append(template[start:opening])
        closing = _closing(template, opening)
        placeholders += 1
        if placeholders > MAX_PLACEHOLDERS:
            raise TemplateError(f"at most {MAX_PLACEHOLDERS} placeholders are allowed")
        parts.append(_placeholder(template[opening + 2 : closing], opening))
        start = closing + 2
    if start < len(template):
        parts.append(template[start:])
    return tuple(parts)


def _closing(template: str, opening: int) -> int:
    """Where the ``}}`` closing the placeholder opened at ``opening`` is (quotes skipped)."""
    i, quote = opening + 2, ""
    while i < len(template):
        char = template[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif template.startswith("}}", i):
            return i
        i += 1
    unclosed = f"unclosed '{{{{' at position {opening}: close it with '}}}}'"
    raise TemplateError(unclosed + (f" (and the quote {quote} inside it)" if quote else ""))


def _split(inner: str) -> list[str]:
    """``inner`` cut at each ``|`` that is not inside quotes."""
    pieces, current, quote, i = [], [], "", 0
    while i < len(inner):
        char = inner[i]
        if quote:
            if char == "\\" and i + 1 < len(inner):
                current.append(char)
                i += 1
                char = inner[i]
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "|":
            pieces.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    pieces.append("".join(current))
    return pieces


def _placeholder(inner: str, position: int) -> Placeholder:
    where = f"in the placeholder at position {position}"
    path, *filters = _split(inner)
    if len(filters) > MAX_DEFAULTS:
        raise TemplateError(f"at most {MAX_DEFAULTS} defaults are allowed {where}")
    choices = [_path(path.strip(), where)]
    for text in filters:
        match = _DEFAULT_RE.match(text)
        if match is None or match.group(1) != "default":
            name = match.group(1) if match else text.strip()
            raise TemplateError(f'unknown filter {name!r} {where}; expected default: "text"')
        if not match.group(2):
            raise TemplateError(f'default needs a value {where}, e.g. default: "unknown"')
        argument = match.group(2)
        choices.append(_quoted(argument, where) if argument[0] in "\"'" else _path(argument, where))
    return Placeholder(tuple(choices))


def _path(text: str, where: str) -> tuple[PathStep, ...]:
    if not text:
        raise TemplateError(f"a key path is missing {where}")
    try:
        return parse_key_path(text)
    except KeyPathError as exc:
        raise TemplateError(f"invalid key path {text!r} {where}: {exc}") from None


def _quoted(text: str, where: str) -> str:
    quote, chars, i = text[0], [], 1
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
        elif text[i] == quote:
            if i != len(text) - 1:
                raise TemplateError(f"unexpected text after the quoted default {where}")
            return "".join(chars)
        else:
            chars.append(text[i])
            i += 1
    raise TemplateError(f"unterminated quoted default {where}")


def render_template(
    template: str,
    document: Any,
    budget: Budget | None = None,
    embedded: Embedded | None = None,
    *,
    limit: int = MAX_RENDERED_LENGTH,
) -> str:
    """The template rendered over ``document`` (an event's body; ``None``: no event), cut at
    ``limit`` characters; "" when it does not parse. Raises nothing but ``LimitExceeded``
    (``budget``: a default one)."""
    try:
        parts = parse_template(template)
    except TemplateError:
        return ""
    budget = Budget() if budget is None else budget
    embedded = {} if embedded is None else embedded
    out: list[str] = []
    length = 0
    for part in parts:
        text = part if isinstance(part, str) else _value(part, document, budget, embedded, limit)
        out.append(text)
        length += len(text)
        if length >= limit:
            break
    return "".join(out)[:limit]


def _value(
    placeholder: Placeholder, document: Any, budget: Budget, embedded: Embedded, limit: int
) -> str:
    for choice in placeholder.choices:
        if isinstance(choice, str):
            return choice[:limit]
        values = resolve_path(document, choice, budget, embedded)
        if values and values[0] is not None:
            text = spelling(values[0], budget)[:limit]
            if text:
                return text
    return ""
