"""Evaluation finds a key's unresolved incident through the partial unique index, even once
psycopg has prepared the statement (a generic plan, which cannot see parameter values)."""

import re
import uuid

import pytest
from django.db import connection
from psycopg import ClientCursor

from incidents.models import NOT_RESOLVED, Incident
from incidents.services import rule_keys_filter

pytestmark = pytest.mark.django_db


def generic_plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub(r"%s", lambda _: f"${next(numbered)}", sql)
    connection.ensure_connection()
    # Client-side binding: PREPARE's own $n must reach the server as written.
    with ClientCursor(connection.connection) as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")  # the table is empty in a test
        cursor.execute(f"PREPARE open_incidents AS {prepared}")
        try:
            placeholders = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN EXECUTE open_incidents({placeholders})", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE open_incidents")


def keys():
    ruleset = uuid.uuid4()
    return rule_keys_filter([(ruleset, "api"), (ruleset, "db")])


def test_the_unresolved_incidents_of_keys_are_read_through_the_partial_unique_index():
    plan = generic_plan(Incident.objects.filter(keys(), NOT_RESOLVED))
    assert "incident_one_open_per_dedup_key" in plan


def test_a_status_passed_as_a_parameter_would_miss_the_index():
    plan = generic_plan(Incident.objects.filter(keys()).exclude(status="resolved"))
    assert "incident_one_open_per_dedup_key" not in plan
