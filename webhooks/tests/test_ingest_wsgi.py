"""Ingest through the production WSGI entry point (what gunicorn serves).

``pinghome.wsgi`` answers the ingest path before Django's request handling; everything else
still goes through Django.
"""

import io
import json
import uuid
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import OperationalError
from django.urls import reverse

from pinghome.wsgi import application
from rulesets.tasks import evaluate_events
from webhooks import services
from webhooks.models import WebhookEvent
from webhooks.services import create_webhook
from webhooks.views import INGEST_PATH_PREFIX

# Autocommit, as in production: the handler does Django's connection upkeep itself.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook(owner):
    return create_webhook(owner.organization, name="Alarms")


@pytest.fixture
def handed(monkeypatch) -> list[str]:
    ids: list[str] = []
    monkeypatch.setattr(evaluate_events, "run", ids.extend)
    return ids


def call(path: str, body: bytes = b"", *, method: str = "POST", **environ):
    request = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "REMOTE_ADDR": "203.0.113.7",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        **environ,
    }
    request = {key: value for key, value in request.items() if value is not None}
    setup_testing_defaults(request)
    answer: dict = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    content = b"".join(application(request, start_response))
    return answer["status"], answer["headers"], content


def test_the_ingest_route_is_the_path_the_entry_point_answers_itself(webhook):
    assert reverse("ingest", args=[webhook.id]).startswith(INGEST_PATH_PREFIX)


def test_an_event_is_stored_with_its_headers_and_source_and_handed_to_evaluation(webhook, handed):
    raw = b'{"alarm": "cpu", "value": 97.5}'

    status, headers, content = call(
        f"{INGEST_PATH_PREFIX}{webhook.id}",
        raw,
        CONTENT_TYPE="application/json",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
    )

    assert status == 202
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(content))
    assert "X-Frame-Options" not in headers  # no Django middleware ran
    (event,) = WebhookEvent.objects.all()
    assert json.loads(content) == {
        "message": "Event accepted.",
        "event_id": str(event.id),
        "ip": "203.0.113.7",
        "content_type": "application/json",
    }
    assert bytes(event.body) == raw
    assert event.ip == "203.0.113.7"
    assert event.headers["X-Amz-Sns-Message-Type"] == "Notification"
    assert event.headers["Content-Type"] == "application/json"
    assert handed == [str(event.id)]


def test_a_chunked_body_ended_by_the_server_is_read_whole(webhook, handed):
    status, _, _ = call(
        f"{INGEST_PATH_PREFIX}{webhook.id}",
        b"chunked body",
        CONTENT_LENGTH=None,
        **{"wsgi.input_terminated": True},
    )

    assert status == 202
    assert bytes(WebhookEvent.objects.get().body) == b"chunked body"


@pytest.mark.parametrize("webhook_id", [str(uuid.uuid4()), "not-a-uuid", "", "a/b"])
def test_an_unknown_or_malformed_webhook_is_a_json_404(webhook, handed, webhook_id):
    status, headers, content = call(f"{INGEST_PATH_PREFIX}{webhook_id}", b"{}")

    assert (status, headers["Content-Type"]) == (404, "application/json")
    assert json.loads(content) == {"message": "No such webhook."}
    assert WebhookEvent.objects.count() == 0
    assert handed == []


def test_other_methods_are_a_json_405(webhook):
    status, headers, content = call(f"{INGEST_PATH_PREFIX}{webhook.id}", method="GET")

    assert (status, headers["Allow"]) == (405, "POST")
    assert json.loads(content) == {"message": "Method not allowed; POST the event."}


def test_a_body_over_the_limit_is_a_413(webhook, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 4

    status, _, content = call(f"{INGEST_PATH_PREFIX}{webhook.id}", b"12345")

    assert status == 413
    assert json.loads(content) == {"message": "Body larger than 4 bytes."}
    assert WebhookEvent.objects.count() == 0


def test_a_database_outage_is_a_json_503_asking_to_send_again(webhook, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "store_event", down)

    status, headers, content = call(f"{INGEST_PATH_PREFIX}{webhook.id}", b"{}")

    assert (status, headers["Retry-After"]) == (503, "5")
    assert json.loads(content) == {"message": "The event could not be stored; send it again."}


def test_every_other_path_is_served_by_django(webhook):
    status, headers, content = call("/v1/health-check", method="GET")

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Frame-Options"] == "DENY"  # Django's middleware ran
    # Django REST framework asks for a token.
    assert call(f"/v1/webhook/{webhook.id}/events", method="GET")[0] == 401
