import json
from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 64


class StrictJSONParser(JSONParser):
    """JSON only, never a 500: deep nesting, huge numbers and NUL characters are a 422."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"malformed JSON: {exc}") from None
        problem = _structure_problem(data)
        if problem:
            raise exceptions.ParseError(problem)
        return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _structure_problem(data: Any) -> str | None:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, str):
            if "\x00" in value:
                return "NUL characters are not accepted"
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return "NUL characters are not accepted"
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and value in (float("inf"), float("-inf")):
            return "number out of range"
    return None
