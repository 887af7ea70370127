from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from pinghome.jsondata import json_problem, loads_strict

MAX_JSON_DEPTH = 64


class StrictJSONParser(JSONParser):
    """JSON only, never a 500: what PostgreSQL cannot store (see pinghome.jsondata) is a 422."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            data = loads_strict(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"malformed JSON: {exc}") from None
        problem = json_problem(data, max_depth=MAX_JSON_DEPTH)
        if problem:
            raise exceptions.ParseError(problem)
        return data
