"""The schema says what each write takes: its required fields are required, its types enforced.

For every API write of pinghome.testing.PAYLOADS, against the body schema the OpenAPI document
declares for it (of a ``oneOf``, the form its valid body takes): without a required field, or with
a field of another JSON type (``0`` for a string, ``"1"`` for an integer...), the request is a 422
naming that field; without a field the schema does not require, it is accepted; whitespace alone,
where the schema allows it, is not refused as blank (DRF trims strings first). A form closed to
other properties (``additionalProperties: false``) rejects, naming it, a field of another form and
a field of none.
"""

import json
import re

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft4Validator

from pinghome.testing import PAYLOADS, make_persona, one_of_every_kind

pytestmark = pytest.mark.django_db

DOCUMENT = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
)
BLANK = "  "
WRONG = {"string": 0, "integer": "1", "number": "1", "boolean": "true", "array": {}, "object": []}


def resolved(schema: dict) -> dict:
    while "$ref" in schema or len(schema.get("allOf", [])) == 1:
        if "allOf" in schema:
            schema = schema["allOf"][0]
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = DOCUMENT["components"]["schemas"][name]
    return schema


def writes() -> list[tuple[str, str, str, dict]]:
    """(PAYLOADS key, method, path, body schema) of each write that takes a JSON object."""
    found = []
    for key in sorted(PAYLOADS):
        method, route = key.split(" ")
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        body = DOCUMENT["paths"][path][method.lower()].get("requestBody")
        if body and "application/json" in body["content"]:
            schema = resolved(body["content"]["application/json"]["schema"])
            found.append((key, method, path, schema))
    return found


WRITES = writes()


def form_of(schema: dict, valid: dict) -> tuple[dict, set[str]]:
    """The form (of a ``oneOf``, else the schema itself) the valid body takes: the one whose
    required fields it has; and the properties of the other forms."""
    forms = [resolved(form) for form in schema.get("oneOf", [schema])]
    taken = [form for form in forms if set(form.get("required", [])) <= set(valid)]
    assert len(taken) == 1, f"the valid body takes {len(taken)} forms of {len(forms)}"
    others = {name for form in forms if form is not taken[0] for name in form["properties"]}
    return taken[0], others


@pytest.fixture(scope="module")
def seeded(module_db):
    owner = make_persona("Acme", "Ops", "owner@acme.test")
    return owner, one_of_every_kind(owner)


class _Undo(Exception):
    pass


def send(persona, method: str, path: str, body: dict) -> tuple[int, dict]:
    """Status and JSON answer of one request, rolled back after."""
    try:
        with transaction.atomic():
            response = getattr(persona.api, method.lower())(path, body, format="json")
            raise _Undo
    except _Undo:
        pass
    return response.status_code, response.json()


@pytest.mark.parametrize(("key", "method", "path", "schema"), WRITES, ids=[w[0] for w in WRITES])
def test_a_write_requires_what_its_schema_requires_and_enforces_its_types(
    seeded, key, method, path, schema
):
    owner, ids = seeded
    valid = PAYLOADS[key](ids)
    url = path.format(**ids)
    schema, others = form_of(schema, valid)
    required = set(schema.get("required", []))
    failures = []
    if schema.get("additionalProperties") is False:
        # A closed form: another form's field, or one of no form, is a 422 naming it.
        for name in sorted(others - set(schema["properties"])) + ["no_such_field"]:
            status, answer = send(owner, method, url, {**valid, name: None})
            if status != 422 or name not in answer.get("errors", {}):
                failures.append(f"with {name}, which the schema does not allow: {status} {answer}")
    for name, field in schema.get("properties", {}).items():
        field = resolved(field)
        if field.get("readOnly"):
            continue
        if name in valid:
            status, answer = send(owner, method, url, {k: v for k, v in valid.items() if k != name})
            if name in required and (status != 422 or name not in answer.get("errors", {})):
                failures.append(f"without required {name}: {status} {answer}")
            if name not in required and status >= 300:
                failures.append(f"without {name}, which the schema does not require: {answer}")
        elif name in required:
            failures.append(f"{name} is required but not in PAYLOADS' valid body")
        if field.get("type") in WRONG:
            wrong = {**valid, name: WRONG[field["type"]]}
            status, answer = send(owner, method, url, wrong)
            named = any(key.split(".")[0] == name for key in answer.get("errors", {}))
            if status != 422 or not named:
                failures.append(f"{name}={wrong[name]!r} ({field['type']}): {status} {answer}")
        allows = Draft4Validator(field, format_checker=Draft4Validator.FORMAT_CHECKER).is_valid
        if field.get("type") == "string" and allows(BLANK):
            # Whitespace alone, which the schema allows, is not refused as blank.
            status, answer = send(owner, method, url, {**valid, name: BLANK})
            if "This field may not be blank." in answer.get("errors", {}).get(name, []):
                failures.append(f"{name}={BLANK!r}, which the schema allows: {status} {answer}")
    assert not failures, "\n".join(failures)
