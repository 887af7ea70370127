"""Parsed JSON that PostgreSQL can store and a strict renderer can write back.

Python's parser accepts more than that: ``NaN``/``Infinity`` (and ``1e400``, which parses as
infinity), ``"\\ud800"`` escapes (lone surrogates, which UTF-8 cannot encode), ``"\\u0000"``
(which jsonb refuses) and nesting deep enough to exhaust the recursion limit.
"""

import json
import math
import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text PostgreSQL can store (in text and jsonb): NUL and lone surrogates become U+FFFD.

    For text taken from what senders send (header values, dedup keys, incident names): such
    characters must not turn an accepted event into an error.
    """
    return _UNSTORABLE.sub("\ufffd", text)


def loads_strict(text: str) -> Any:
    """``json.loads`` refusing NaN and Infinity; raises ValueError or RecursionError."""
    return json.loads(text, parse_constant=_reject_constant)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_problem(data: Any, *, max_depth: int, allow_nul: bool = False) -> str | None:
    """Why ``data`` cannot be stored (or rendered), or None when it can."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return f"JSON nested deeper than {max_depth} levels"
        if isinstance(value, str):
            if problem := _text_problem(value, allow_nul):
                return problem
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := _text_problem(key, allow_nul):
                    return problem
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and not math.isfinite(value):
            return "number out of range"
    return None


def _text_problem(text: str, allow_nul: bool) -> str | None:
    if not allow_nul and "\x00" in text:
        return "NUL characters are not accepted"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "lone surrogate characters (\\ud800-\\udfff) are not accepted"
    return None
