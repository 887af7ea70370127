"""GET /v1/health-check: the documented answer, with whether the database and the broker are
reachable; 503 when the database is not."""

import os
import socket

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_health_check_answers_without_a_token(anonymous):
    response = anonymous.get("/v1/health-check")

    assert response.status_code == 200
    assert response.json() == {
        "message": "Service is operational.",
        "database": "ok",
        "broker": "none",  # the tests run tasks in-process
    }


def test_health_check_ignores_a_bad_token(anonymous):
    response = anonymous.get("/v1/health-check", HTTP_AUTHORIZATION="Bearer ph_forged")

    assert response.status_code == 200


def test_health_check_runs_one_statement(anonymous, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert anonymous.get("/v1/health-check").status_code == 200


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_health_check_says_whether_the_broker_is_reachable(anonymous, settings):
    settings.CELERY_BROKER_URL = os.environ["TEST_BROKER_URL"]
    assert anonymous.get("/v1/health-check").json()["broker"] == "ok"

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = anonymous.get("/v1/health-check")
    # Stored events wait for the broker (the re-drive hands them over): still serving.
    assert response.status_code == 200
    assert response.json()["broker"] == "unreachable"


@pytest.mark.django_db(transaction=True)
def test_health_check_is_503_when_the_database_is_down(anonymous):
    real = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()
    try:
        response = anonymous.get("/v1/health-check")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real

    assert response.status_code == 503
    assert response.json() == {
        "message": "The database cannot be reached.",
        "database": "unreachable",
        "broker": "none",
    }
    assert anonymous.get("/v1/health-check").status_code == 200  # and back once it is
