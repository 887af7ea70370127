import json
from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 64


class StrictJSONParser(JSONParser):
    """JSON only, never a 500: deep nesting, huge numbers, NUL characters and lone surrogates
    (``"\\ud800"``: no UTF-8 encoding, PostgreSQL refuses them) are a 422."""

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
            if problem := _text_problem(value):
                return problem
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := _text_problem(key):
                    return problem
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and value in (float("inf"), float("-inf")):
            return "number out of range"
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "NUL characters are not accepted"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "lone surrogate characters (\\ud800-\\udfff) are not accepted"
    return None
