"""Schemathesis against the generated OpenAPI schema: a bounded, deterministic run.

Every operation of the schema is called with requests generated from it (schema-valid ones and
schema-invalid ones), authenticated as the admin of an organization with one object of every
kind. It fails on any 5xx, on a response the schema does not describe, on a schema-valid request
rejected (the schema must say what is valid: required, minimum, format, pattern, enum) and on a
schema-invalid one accepted. Generated ids of the objects the requests name are those of the
seeded organization (a random UUID can only be a 404 or a 422 naming it, which the tenant
isolation test checks). ``SCHEMATHESIS_MAX_EXAMPLES`` (default 8) bounds the examples of each
operation and mode.
"""

import json
import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from pinghome.api import parse_uuid
from pinghome.testing import Ids, make_persona, one_of_every_kind

pytestmark = pytest.mark.django_db


def _generated() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


DOCUMENT = _generated()
APP = get_wsgi_application()
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))


def _schema(*, coverage: bool):
    loaded = schemathesis.openapi.from_dict(DOCUMENT)
    loaded.app = APP
    loaded.config.phases.coverage.enabled = coverage
    # No string takes U+0000 (PostgreSQL stores none): a 422 naming the body, documented.
    phases = loaded.config.phases
    # Nor are unknown query parameters refused: clients add their own (cache busters...).
    for generation in (
        loaded.config.generation,
        phases.coverage.generation,
        phases.fuzzing.generation,
    ):
        generation.allow_x00 = False
        generation.allow_extra_parameters = False
    return loaded


# Reads and deletes take parameters only: their every boundary case (schemathesis's coverage
# phase: limit=0, empty and malformed values...) is cheap. Writes get generated bodies only (the
# coverage of a nested body costs minutes); SCHEMATHESIS_COVERAGE=1 covers them too.
reads = _schema(coverage=True).include(method=["GET", "DELETE"])
writes = _schema(coverage=os.environ.get("SCHEMATHESIS_COVERAGE") == "1").exclude(
    method=["GET", "DELETE"]
)

# Rules a JSON schema cannot state (across fields, against the clock, a parser's syntax): a 422
# of a schema-valid request is right when it names only these fields of the operation (or fields
# within them: "ruleset.conditions" allows "ruleset.conditions.0.values").
BEYOND_THE_SCHEMA = {
    "GET /v1/audit-log": {"last_id"},  # only with last_created_at
    "GET /v1/tokens": {"last_id"},
    "GET /v1/user/deliveries": {"last_id"},
    "GET /v1/team/{team_id}/deliveries": {"last_id"},
    "GET /v1/team/{team_id}/incidents": {"last_id"},
    "GET /v1/webhook/{webhook_id}/events": {"last_id"},
    "GET /v1/status-page/{status_page_id}/notice": {"last_id"},
    "GET /v1/status-page/{status_page_id}/notices": {"last_id"},
    "GET /v1/reports": {"from", "to"},  # supported years, to not before from, at most 366 days
    # Every field optional, but at least one: a 422 naming the body.
    "PUT /v1/status-page/{status_page_id}/component/{component_id}": {"body"},
    "GET /v1/team/{team_id}/shifts": {"to"},  # after from, at most 90 days
    "POST /v1/token": {"expires_at"},  # in the future
    "POST /v1/maintenance-window": {"end", "recurrence"},  # after start; a window's times
    "PUT /v1/maintenance-window/{window_id}": {"end", "recurrence"},
    "POST /v1/team/{team_id}/override": {"end"},  # after start
    "POST /v1/team/{team_id}/overrides": {"end"},
    "POST /v1/team/{team_id}/cover-request": {"start", "end"},  # a shift of yours, ahead
    "POST /v1/team/{team_id}/cover-requests": {"start", "end"},
    "POST /v1/user/contact-method": {"target"},  # an address of the method's type
    "PUT /v1/user/contact-method/{contact_method_id}": {"target"},
    "POST /v1/notification-channel": {"target"},
    "PUT /v1/notification-channel/{channel_id}": {"target"},
    "POST /v1/team/{team_id}/chat-channel": {"target"},
    "POST /v1/team/{team_id}/chat-channels": {"target"},
    "POST /v1/team": {"time_zone"},  # an IANA time zone
    "PUT /v1/team/{team_id}": {"time_zone"},
    "POST /v1/webhook": {"team_id"},  # a heartbeat needs a team
    "PUT /v1/webhook/{webhook_id}": {"team_id"},
    "POST /v1/ruleset": {"conditions", "resolve_conditions", "dedup_key"},  # key paths, regexes
    "PUT /v1/ruleset/{ruleset_id}": {"conditions", "resolve_conditions", "dedup_key"},
    # The ruleset's own, and header names (OpenAPI 3.0 has no propertyNames): not blank.
    "POST /v1/ruleset/test": {
        "ruleset.conditions",
        "ruleset.resolve_conditions",
        "ruleset.dedup_key",
        "headers",
    },
    "POST /v1/ruleset/{ruleset_id}/test": {
        "ruleset.conditions",
        "ruleset.resolve_conditions",
        "ruleset.dedup_key",
        "headers",
    },
    # end_date not before start_date; an IANA time zone; at most 5 distinct weeks of a month.
    "POST /v1/team/{team_id}/schedule": {"end_date", "time_zone", "weeks_of_month"},
    "PUT /v1/team/{team_id}/schedule": {"end_date", "time_zone", "weeks_of_month"},
    # A local date-time (any ISO 8601 form, 1970 to 9000), an IANA zone, hours of custom shifts.
    "POST /v1/team/{team_id}/rotation": {"handoff", "time_zone", "shift_hours", "end"},
    "POST /v1/team/{team_id}/rotations": {"handoff", "time_zone", "shift_hours", "end"},
    "PUT /v1/rotation/{rotation_id}": {"handoff", "time_zone", "shift_hours", "end"},
    # An action's settings are its type's (pinghome's action registry).
    "POST /v1/team/{team_id}/incident": {"actions"},
    "PUT /v1/incident/{incident_id}": {"actions"},
    "PUT /v1/ruleset/{ruleset_id}/actions": {"actions"},
    "POST /v1/team/{team_id}/layer-import": {"ics"},  # an iCalendar file
    "POST /v1/user/contact-method/{contact_method_id}/verify": {"code"},  # the one sent
    "POST /v1/cover-request/{cover_id}/take": {"taken_by"},  # not your own request
    # Unresolved, other than the incident itself, each once: the first merge resolves them.
    "POST /v1/incident/{incident_id}/merge": {"incident_ids"},
}


# The kind of id a field holds, where its name does not say it (``team_ids`` holds team_id).
FIELD_KINDS = {
    "escalation_policy_id": "policy_id",
    "participants": "team_member_id",
    "object_id": "webhook_id",
    "actor_id": "user_id",
    "incident_ids": "duplicate_incident_ids",  # merged into incident_id
}
# Objects ``{"type": ..., "id": ...}`` (assignees, escalation targets): the kind of id by type.
TYPED_KINDS = {
    "team": "team_id",
    "oncall": "team_id",
    "team_member": "team_member_id",
    "user": "user_id",
    "channel": "chat_channel_id",
}


def _kind(field: str) -> str:
    kind = FIELD_KINDS.get(field, field)
    return kind[:-1] if kind.endswith("_ids") else kind


def seeded_ids(value: Any, ids: Ids, field: str = "") -> Any:
    """``value`` with each UUID under a field naming a kind of ``ids`` replaced by that id."""
    if isinstance(value, dict):
        typed = TYPED_KINDS.get(value.get("type")) if isinstance(value.get("type"), str) else None
        return {
            key: seeded_ids(item, ids, typed if key == "id" and typed else key)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [seeded_ids(item, ids, field) for item in value]
    if isinstance(value, str) and parse_uuid(value) and _kind(field) in ids:
        return ids[_kind(field)]
    return value


@pytest.fixture(scope="module")
def seeded(module_db) -> tuple[str, Ids]:
    owner = make_persona("Acme", "Ops", "owner@acme.test")
    return owner.token, one_of_every_kind(owner)


@pytest.fixture
def app(db, seeded):
    # Django's test client reconnects these after each of its requests (the seeding's too): from
    # here on, a request through WSGI must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield seeded
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def call_and_validate(case, token: str, ids: Ids) -> None:
    case.path_parameters = seeded_ids(case.path_parameters, ids)
    case.query = seeded_ids(case.query, ids)
    case.body = seeded_ids(case.body, ids)

    # A case is judged by what it sends: schemathesis's negative mode sometimes leaves out the
    # body it made invalid (a POST with no body at all, which the schema allows), and the only
    # header, Authorization, is always the seeded admin's.
    components = case.meta.components if case.meta else {}
    negative = any(
        info.mode.is_negative
        and where != "header"
        and not (where == "body" and case.body is NOT_SET)
        for where, info in components.items()
    )
    excluded = [positive_data_acceptance] + ([] if negative else [negative_data_rejection])
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded
    )

    undeclared = case.method.upper() != case.operation.method.upper()  # e.g. TRACE: a 405
    if not negative and not undeclared and response.status_code >= 400:
        allowed = BEYOND_THE_SCHEMA.get(f"{case.method.upper()} {case.path}", set())
        errors = response.json().get("errors", {}) if response.status_code == 422 else {}
        beyond = errors and all(
            any(key == rule or key.startswith(f"{rule}.") for rule in allowed) for key in errors
        )
        assert response.status_code in (401, 403, 404, 409, 429) or beyond, (
            f"schema-valid request rejected: {case.method.upper()} {case.formatted_path} "
            f"query={case.query} body={case.body!r}: {response.status_code} {response.text}"
        )


@reads.parametrize()
@HYPOTHESIS
def test_reads_and_deletes_answer_as_the_schema_says(case, app):
    call_and_validate(case, *app)


@writes.parametrize()
@HYPOTHESIS
def test_writes_answer_as_the_schema_says(case, app):
    call_and_validate(case, *app)
