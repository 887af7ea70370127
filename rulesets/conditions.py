"""Condition engine of alert rulesets: pure functions over plain JSON-like data.

A condition is ``{"type", "key", "operator", "values"}``; a list of conditions holds when
every condition holds (an empty list holds).

* ``json-check`` resolves ``key`` as a path in the event body; ``header-check`` reads the
  HTTP header named ``key`` (case-insensitive, no path parsing).
* Paths: ``a.b``, ``a[0]``, ``a[-1]``, ``a[*]`` (any element of a list / any value of an
  object), ``["odd.name"]`` or ``['odd name']`` (backslash escapes the next character).
  Bare names may not contain whitespace, ``.``, ``[`` or ``]``. A name only applies to an
  object and an index only to a list, so ``a.0`` never indexes a list. When a path continues
  into a string holding a JSON object or array, the string is parsed and the path goes on
  inside it. A path that leads nowhere is *absent*; a JSON ``null`` at the path is present.
* A path yields zero or more candidates. Positive operators hold when they hold for ANY
  (candidate, value) pair; ``not-equal`` / ``not-contains`` hold when no candidate
  equals / contains any value, so they HOLD on an absent path (nothing equals). Every other
  operator except ``not-exists`` fails on an absent path. ``exists`` holds when there is at
  least one candidate, ``not-exists`` when there is none.
* Equality: numeric when both sides are numbers (int/float but not bool, or strings that
  parse as finite decimals, compared exactly with ``Decimal``), otherwise the text spelling
  (:func:`value_to_text`: strings as-is, everything else compact JSON) is compared.
  ``contains`` is element membership for arrays and substring of the spelling otherwise.
  ``starts-with`` / ``ends-with`` / ``regex`` use the spelling. Ordering operators need
  numbers on both sides; anything else never matches.
* ``regex`` patterns are RE2 (https://github.com/google/re2/wiki/Syntax), searched anywhere in
  the spelling: matching takes time linear in the text whatever the pattern. Python ``re``
  never sees a user's pattern; what RE2 cannot compile (look-around, back-references) is a
  validation error.

Evaluation never raises on an odd event body: it can only make a condition not match. Its
work is bounded by a :class:`Budget` (values visited by key paths, bytes examined by string
operators and by parsing JSON held in strings, time); beyond it :class:`LimitExceeded` is
raised, the one exception evaluation lets through.
"""

from __future__ import annotations

import json
import math
import operator as operator_module
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import re2

CONDITION_TYPES = ("json-check", "header-check")
OPERATORS: tuple[str, ...] = (
    "equal",
    "not-equal",
    "contains",
    "not-contains",
    "starts-with",
    "ends-with",
    "regex",
    "greater-than",
    "greater-or-equal",
    "less-than",
    "less-or-equal",
    "exists",
    "not-exists",
)
NEGATED_OPERATORS = {"not-equal": "equal", "not-contains": "contains"}
PRESENCE_OPERATORS = ("exists", "not-exists")
_COMPARISONS = {
    "greater-than": operator_module.gt,
    "greater-or-equal": operator_module.ge,
    "less-than": operator_module.lt,
    "less-or-equal": operator_module.le,
}
NUMERIC_OPERATORS = tuple(_COMPARISONS)

MAX_CONDITIONS = 100
MAX_VALUES = 100
MAX_VALUE_LENGTH = 1000
MAX_KEY_LENGTH = 500

# ("key", name) | ("index", n) | ("any",)
PathStep = tuple[str, str] | tuple[str, int] | tuple[str]
ANY_STEP: PathStep = ("any",)

# Possessive: a long run of digits that is not a number fails at once instead of backtracking
# over every way of splitting it (quadratic: 45 s for 40,000 digits).
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]++\.?+[0-9]*+|\.[0-9]++)(?:[eE][+-]?+[0-9]++)?+", re.ASCII)
_INDEX_RE = re.compile(r"-?[0-9]+", re.ASCII)


class KeyPathError(ValueError):
    """A key path that cannot be parsed."""


# --------------------------------------------------------------------------- limits

# What one evaluation of an event by a ruleset may cost when the caller sets no limits.
DEFAULT_MAX_VALUES = 100_000
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_TIME_LIMIT_MS = 1000
# RE2 reads the text once, but when its DFA gives up (patterns such as "[ab]*a[ab]{200}") it
# steps through every instruction of the program for each byte: a search is counted as its
# text's bytes once per this many instructions, so even then it stays within the time limit.
REGEX_INSTRUCTIONS_PER_BYTE = 8


class LimitExceeded(Exception):
    """The work allowed for one evaluation is spent; the message says which limit."""


class Budget:
    """The work one evaluation of an event by a ruleset may do. Not thread-safe, single use.

    ``visit`` counts values reached by key paths (every element a ``[*]`` fans out to, every
    value of a path through JSON held in a string), ``examine`` bytes read by string operators
    and by parsing JSON held in strings. Each operation is bounded by the size of the event, so
    checking the clock between operations keeps the time limit too.
    """

    __slots__ = ("max_values", "max_bytes", "time_limit_ms", "deadline", "values", "bytes", "_tick")

    def __init__(
        self,
        *,
        max_values: int = DEFAULT_MAX_VALUES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
    ):
        self.max_values, self.max_bytes, self.time_limit_ms = max_values, max_bytes, time_limit_ms
        self.deadline = time.monotonic() + time_limit_ms / 1000
        self.values = self.bytes = 0
        self._tick = 1024  # the clock is read once per this many values visited

    def visit(self, count: int) -> None:
        self.values += count
        if self.values > self.max_values:
            raise LimitExceeded(f"more than {self.max_values} values visited by key paths")
        if self.values >= self._tick:
            self._tick = self.values + 1024
            self.check_clock()

    def examine(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.max_bytes:
            raise LimitExceeded(f"more than {self.max_bytes} bytes examined")
        self.check_clock()

    def check_clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"more than {self.time_limit_ms} ms spent")


# --------------------------------------------------------------------------- patterns

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a pattern refused is a validation error, not a log line
_RE2_OPTIONS.never_capture = True  # only whether it matches is asked


def compile_pattern(pattern: str) -> Any:
    """A user's ``regex`` value compiled by RE2; ``ValueError`` saying why when it cannot be."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        raise ValueError(str(reason) or "not a valid RE2 pattern") from None
    except (TypeError, ValueError, UnicodeError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


# --------------------------------------------------------------------------- key paths


def parse_key_path(key: str) -> tuple[PathStep, ...]:
    """Parse a key path such as ``alerts[*].labels["a.b"]`` into steps."""
    if not isinstance(key, str):
        raise KeyPathError("must be a string")
    return _parse_key_path(key)


@lru_cache(maxsize=1024)
def _parse_key_path(key: str) -> tuple[PathStep, ...]:
    if not key:
        raise KeyPathError("must not be empty")
    steps: list[PathStep] = []
    i, n = 0, len(key)
    while i < n:
        if key[i] == "[":
            step, i = _parse_bracket(key, i)
            steps.append(step)
            continue
        if steps:
            if key[i] != ".":
                raise _path_error(key, i, "expected '.' or '['")
            i += 1
        start = i
        while i < n and key[i] not in ".[]" and not key[i].isspace():
            i += 1
        if i == start:
            what = "after '.'" if start else "at the start"
            raise _path_error(key, start, f"expected a name {what}")
        steps.append(("key", key[start:i]))
    return tuple(steps)


def _parse_bracket(key: str, i: int) -> tuple[PathStep, int]:
    """Parse ``[n]``, ``[*]`` or a quoted name starting at ``key[i] == '['``."""
    j, n = i + 1, len(key)
    if j >= n:
        raise _path_error(key, i, "unterminated '['")
    step: PathStep
    if key[j] in "\"'":
        quote, chars = key[j], []
        j += 1
        while True:
            if j >= n or (key[j] == "\\" and j + 1 >= n):
                raise _path_error(key, i, "unterminated quoted name")
            if key[j] == "\\":
                chars.append(key[j + 1])
                j += 2
            elif key[j] == quote:
                j += 1
                break
            else:
                chars.append(key[j])
                j += 1
        step = ("key", "".join(chars))
    elif key[j] == "*":
        step, j = ANY_STEP, j + 1
    else:
        match = _INDEX_RE.match(key, j)
        if match is None:
            raise _path_error(key, j, "expected an integer, '*' or a quoted name inside '[...]'")
        try:
            step = ("index", int(match.group()))
        except ValueError:
            raise _path_error(key, j, "index too large") from None
        j = match.end()
    if j >= n or key[j] != "]":
        raise _path_error(key, j, "expected ']'")
    return step, j + 1


def _path_error(key: str, pos: int, message: str) -> KeyPathError:
    found = f"found {key[pos]!r}" if pos < len(key) else "found end of key"
    return KeyPathError(f"{message} at position {pos}, {found}")


Embedded = dict[str, Any]  # JSON held in strings, parsed once per event: text -> document


def resolve_path(
    document: Any,
    steps: tuple[PathStep, ...],
    budget: Budget | None = None,
    embedded: Embedded | None = None,
) -> list[Any]:
    """Return every value reached by ``steps`` (``[]`` when absent).

    Raises nothing but :class:`LimitExceeded` (``budget``: a default one when not given).
    ``embedded`` keeps the JSON parsed from strings, for the next paths over the same event.
    """
    budget = Budget() if budget is None else budget
    embedded = {} if embedded is None else embedded
    try:
        current = [document]
        for step in steps:
            found: list[Any] = []
            for value in current:
                if isinstance(value, str):
                    value = _parse_embedded(value, budget, embedded)
                if step[0] == "key":
                    if isinstance(value, Mapping) and step[1] in value:
                        found.append(value[step[1]])
                elif step[0] == "index":
                    if isinstance(value, list | tuple) and -len(value) <= step[1] < len(value):
                        found.append(value[step[1]])
                elif isinstance(value, Mapping):
                    found.extend(value.values())
                elif isinstance(value, list | tuple):
                    found.extend(value)
            if not found:
                return []
            budget.visit(len(found))  # a step reads at most the event's values: bounded
            current = found
        return current
    except LimitExceeded:
        raise
    except Exception:
        return []


def _parse_embedded(text: str, budget: Budget, embedded: Embedded) -> Any:
    """Parse a string holding a JSON object/array (once per event); ``None`` when it does not."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    if text in embedded:
        return embedded[text]
    budget.examine(len(text))
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    embedded[text] = document
    return document


def lookup(
    document: Any, key: str, budget: Budget | None = None, embedded: Embedded | None = None
) -> list[Any]:
    """Values at ``key`` in ``document``; ``[]`` when absent or when the key is invalid."""
    try:
        steps = parse_key_path(key)
    except KeyPathError:
        return []
    return resolve_path(document, steps, budget, embedded)


def first_value(
    document: Any, key: str, budget: Budget | None = None, embedded: Embedded | None = None
) -> Any | None:
    """First value at ``key``, or ``None`` when absent or the key is invalid."""
    values = lookup(document, key, budget, embedded)
    return values[0] if values else None


# --------------------------------------------------------------------------- values


def value_to_text(value: Any) -> str:
    """Spelling used by string operators: strings as-is, anything else compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        pass
    try:
        return str(value)
    except Exception:
        return ""


def _to_number(value: Any) -> Decimal | None:
    """Exact number for int/float (not bool) or a finite numeric string, else ``None``."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value)) if math.isfinite(value) else None
        if isinstance(value, str):
            text = value.strip()
            if _NUMBER_RE.fullmatch(text):
                number = Decimal(text)
                return number if number.is_finite() else None
    except (ArithmeticError, ValueError, TypeError):
        pass
    return None


def spelling(value: Any, budget: Budget) -> str:
    """``value_to_text``, the JSON it writes counted as examined."""
    if isinstance(value, str):
        return value
    text = value_to_text(value)
    budget.examine(len(text))
    return text


_UNSET: Any = object()


def _equals_any(candidate: Any, condition: Condition, budget: Budget) -> bool:
    """Whether ``candidate`` equals any value: numerically when both are numbers, else by
    spelling (each worked out once, whatever the number of values)."""
    number = text = _UNSET
    for value, value_number in zip(condition.values, condition.numbers, strict=True):
        if value_number is not None:
            if number is _UNSET:
                number = _to_number(candidate)
            if number is not None:
                if number == value_number:
                    return True
                continue
        if text is _UNSET:
            text = spelling(candidate, budget)
        if text == value:
            return True
    return False


# --------------------------------------------------------------------------- validation


def validate_conditions(conditions: Any, field: str = "conditions") -> dict[str, list[str]]:
    """Validate untrusted condition data; ``{}`` when valid, else errors by field path."""
    if not isinstance(conditions, list):
        return {field: ["expected a list"]}
    if len(conditions) > MAX_CONDITIONS:
        return {field: [f"at most {MAX_CONDITIONS} conditions are allowed"]}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(conditions):
        errors.update(_validate_condition(item, f"{field}.{index}"))
    return errors


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _validate_condition(item: Any, prefix: str) -> dict[str, list[str]]:
    if not isinstance(item, dict):
        return {prefix: ["expected an object"]}
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(f"{prefix}.{name}", []).append(message)

    ctype, operator, key = item.get("type"), item.get("operator"), item.get("key")
    checks = (("type", ctype, CONDITION_TYPES), ("operator", operator, OPERATORS))
    for name, value, allowed in checks:
        if name not in item:
            add(name, "this field is required")
        elif not isinstance(value, str):
            add(name, "expected a string")
        elif value not in allowed:
            add(name, f"unknown {name} {_short(value)}; expected one of {', '.join(allowed)}")

    if "key" not in item:
        add("key", "this field is required")
    elif not isinstance(key, str):
        add("key", "expected a string")
    elif not key.strip():
        add("key", "must not be empty")
    elif len(key) > MAX_KEY_LENGTH:
        add("key", f"at most {MAX_KEY_LENGTH} characters are allowed")
    elif ctype == "json-check":
        try:
            parse_key_path(key)
        except KeyPathError as exc:
            add("key", f"invalid key path: {exc}")

    values = item.get("values", [])
    if not isinstance(values, list):
        add("values", "expected a list")
        return errors
    if len(values) > MAX_VALUES:
        add("values", f"at most {MAX_VALUES} values are allowed")
        return errors
    if operator in PRESENCE_OPERATORS and values:
        add("values", f"must be empty for operator {operator!r}")
    elif isinstance(operator, str) and operator in OPERATORS and not values:
        if operator not in PRESENCE_OPERATORS:
            add("values", f"at least one value is required for operator {operator!r}")
    for index, value in enumerate(values):
        name = f"values.{index}"
        if not isinstance(value, str):
            add(name, "expected a string")
        elif len(value) > MAX_VALUE_LENGTH:
            add(name, f"at most {MAX_VALUE_LENGTH} characters are allowed")
        elif operator == "regex":
            try:
                compile_pattern(value)
            except ValueError as exc:
                add(name, f"invalid regex (RE2 syntax): {exc}")
        elif operator in NUMERIC_OPERATORS and _to_number(value) is None:
            add(name, f"expected a number for operator {operator!r}")
    return errors


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Condition:
    """A validated, compiled condition. Construction raises ``ValueError`` when invalid."""

    type: str
    key: str
    operator: str
    values: tuple[str, ...] = ()
    steps: tuple[PathStep, ...] = field(init=False, repr=False, compare=False)
    patterns: tuple[Any, ...] = field(init=False, repr=False, compare=False)  # RE2 or None
    # Per pattern: bytes counted per byte searched (see REGEX_INSTRUCTIONS_PER_BYTE).
    pattern_costs: tuple[int, ...] = field(init=False, repr=False, compare=False)
    numbers: tuple[Decimal | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = tuple(self.values) if isinstance(self.values, list | tuple) else self.values
        data = {"type": self.type, "key": self.key, "operator": self.operator}
        checked = list(values) if isinstance(values, tuple) else values
        errors = _validate_condition({**data, "values": checked}, "condition")
        if errors:
            raise ValueError(f"invalid condition: {errors}")
        regex = self.operator == "regex"
        patterns = tuple(compile_pattern(v) if regex else None for v in values)
        steps = parse_key_path(self.key) if self.type == "json-check" else ()
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "patterns", patterns)
        costs = tuple(
            1 if p is None else max(1, p.programsize // REGEX_INSTRUCTIONS_PER_BYTE)
            for p in patterns
        )
        object.__setattr__(self, "pattern_costs", costs)
        object.__setattr__(self, "numbers", tuple(_to_number(v) for v in values))


def compile_conditions(conditions: list[dict]) -> tuple[Condition, ...]:
    """Compile validated condition dicts; raises ``ValueError`` on invalid input."""
    errors = validate_conditions(conditions)
    if errors:
        raise ValueError(f"invalid conditions: {errors}")
    return tuple(
        Condition(c["type"], c["key"], c["operator"], tuple(c.get("values", ())))
        for c in conditions
    )


@dataclass(frozen=True)
class EventView:
    """What conditions see of a received event."""

    body: Any  # parsed JSON, the raw text when not JSON, or None when empty
    headers: Mapping[str, str] = field(default_factory=dict)
    # JSON held in the body's strings, parsed once for every path and ruleset over the event.
    embedded: Embedded = field(default_factory=dict, repr=False, compare=False)


def candidates_of(condition: Condition, event: EventView, budget: Budget) -> list[Any]:
    """The values the condition looks at: those at its key path, or its header's."""
    if condition.type == "json-check":
        return resolve_path(event.body, condition.steps, budget, event.embedded)
    headers = event.headers if isinstance(event.headers, Mapping) else {}
    wanted = condition.key.strip().lower()
    return [v for k, v in headers.items() if isinstance(k, str) and k.strip().lower() == wanted]


def _test(operator: str, candidate: Any, condition: Condition, budget: Budget) -> bool:
    """Whether a positive operator holds for ``candidate`` and any value."""
    if operator == "equal":
        return _equals_any(candidate, condition, budget)
    if operator == "contains" and isinstance(candidate, list | tuple):
        budget.visit(len(candidate))
        return any(_equals_any(element, condition, budget) for element in candidate)
    if operator in NUMERIC_OPERATORS:
        number = _to_number(candidate)
        if number is None:
            return False
        compare = _COMPARISONS[operator]
        return any(n is not None and compare(number, n) for n in condition.numbers)
    text = spelling(candidate, budget)
    if operator == "contains":
        for value in condition.values:
            budget.examine(len(text))
            if value in text:
                return True
        return False
    if operator == "starts-with":
        return any(text.startswith(v) for v in condition.values)
    if operator == "ends-with":
        return any(text.endswith(v) for v in condition.values)
    if operator == "regex":
        data = text.encode("utf-8", "surrogatepass")  # RE2 reads bytes; a lone surrogate too
        for pattern, cost in zip(condition.patterns, condition.pattern_costs, strict=True):
            budget.examine(len(data) * cost)  # before: a search cannot be interrupted
            if pattern is not None and pattern.search(data) is not None:
                return True
    return False


def condition_holds(condition: Condition, event: EventView, budget: Budget | None = None) -> bool:
    """Whether ``condition`` holds for ``event``.

    Raises nothing but :class:`LimitExceeded` (``budget``: a default one when not given).
    """
    budget = Budget() if budget is None else budget
    try:
        candidates = candidates_of(condition, event, budget)
        operator = condition.operator
        if operator == "exists":
            return bool(candidates)
        if operator == "not-exists":
            return not candidates
        if operator in NEGATED_OPERATORS:
            positive = NEGATED_OPERATORS[operator]
            return not any(_test(positive, c, condition, budget) for c in candidates)
        return any(_test(operator, c, condition, budget) for c in candidates)
    except LimitExceeded:
        raise
    except Exception:
        return False


def all_hold(
    conditions: tuple[Condition, ...], event: EventView, budget: Budget | None = None
) -> bool:
    """Whether every condition holds (``True`` for none). Raises only :class:`LimitExceeded`."""
    budget = Budget() if budget is None else budget
    return all(condition_holds(c, event, budget) for c in conditions)
