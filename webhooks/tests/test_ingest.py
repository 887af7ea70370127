"""POST /v1/incident/webhook/{id}: no token, any body stored exactly as received, 202."""

import json
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.http import HttpHeaders
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from pinghome.jsondata import storable_text
from rulesets.tasks import evaluate_events
from webhooks.models import WebhookEvent
from webhooks.services import create_webhook
from webhooks.views import request_headers

pytestmark = pytest.mark.django_db

SNS_CONFIRMATION = Path("/work/shared/reference/payloads/aws_sns_subscription_confirmation.json")


@pytest.fixture
def webhook(owner):
    return create_webhook(owner.organization, name="Alarms")


@pytest.fixture
def client():
    # A real client would carry no CSRF token: prove ingest never asks for one.
    return Client(enforce_csrf_checks=True)


def url(webhook_id) -> str:
    return f"/v1/incident/webhook/{webhook_id}"


def only_event() -> WebhookEvent:
    (event,) = WebhookEvent.objects.all()
    return event


def test_json_body_is_stored_byte_for_byte_and_answered_202(client, webhook):
    raw = b'{"alarm": "cpu",  "value": 97.5,\n "tags": ["a", "b"]}'

    response = client.post(url(webhook.id), raw, content_type="application/json")

    assert response.status_code == 202
    event = only_event()
    assert response.json() == {
        "message": "Event accepted.",
        "event_id": str(event.id),
        "ip": "127.0.0.1",
        "content_type": "application/json",
    }
    assert bytes(event.body) == raw
    assert event.webhook_id == webhook.id
    assert event.content_type == "application/json"
    assert event.ip == "127.0.0.1"
    assert event.headers["Content-Type"] == "application/json"
    assert event.headers["Content-Length"] == str(len(raw))
    assert event.received_at is not None
    assert event.evaluated_at is None


def test_received_at_is_the_time_of_the_request(client, webhook):
    before = timezone.now()
    client.post(url(webhook.id), b"{}", content_type="application/json")
    after = timezone.now()

    assert before <= only_event().received_at <= after


def test_sns_subscription_confirmation_sent_as_text_plain_is_stored_with_its_headers(
    client, webhook
):
    raw = SNS_CONFIRMATION.read_bytes()

    response = client.post(
        url(webhook.id),
        raw,
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="SubscriptionConfirmation",
        HTTP_X_AMZ_SNS_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:example-alarms-topic",
        HTTP_USER_AGENT="Amazon Simple Notification Service Agent",
    )

    assert response.status_code == 202
    assert response.json()["content_type"] == "text/plain; charset=UTF-8"
    event = only_event()
    assert bytes(event.body) == raw
    assert json.loads(bytes(event.body))["Type"] == "SubscriptionConfirmation"
    assert event.content_type == "text/plain; charset=UTF-8"
    assert event.headers["X-Amz-Sns-Message-Type"] == "SubscriptionConfirmation"
    assert (
        event.headers["X-Amz-Sns-Topic-Arn"]
        == "arn:aws:sns:eu-west-1:123456789012:example-alarms-topic"
    )
    assert event.headers["User-Agent"] == "Amazon Simple Notification Service Agent"


def test_urlencoded_form_body_is_stored_unparsed(client, webhook):
    raw = urlencode({"status": "down", "check": "api & db", "n": "1"}).encode()

    response = client.post(url(webhook.id), raw, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 202
    assert response.json()["content_type"] == "application/x-www-form-urlencoded"
    event = only_event()
    assert bytes(event.body) == b"status=down&check=api+%26+db&n=1"
    assert event.content_type == "application/x-www-form-urlencoded"


def test_multipart_form_body_is_stored_unparsed(client, webhook):
    raw = encode_multipart(BOUNDARY, {"status": "down", "detail": "disk full"})

    # generic(): post() would encode the form itself; send the bytes a client would.
    response = client.generic("POST", url(webhook.id), raw, content_type=MULTIPART_CONTENT)

    assert response.status_code == 202
    event = only_event()
    assert bytes(event.body) == raw
    assert b'name="status"\r\n\r\ndown\r\n' in bytes(event.body)
    assert event.content_type == f"multipart/form-data; boundary={BOUNDARY}"


def test_plain_text_body_is_stored_as_sent(client, webhook):
    response = client.post(url(webhook.id), "disk full on db-1 ✗", content_type="text/plain")

    assert response.status_code == 202
    assert bytes(only_event().body) == "disk full on db-1 ✗".encode()


def test_empty_body_without_content_type_is_accepted_and_stored_empty(client, webhook):
    response = client.generic("POST", url(webhook.id), b"")

    assert response.status_code == 202
    assert response.json()["content_type"] == ""
    event = only_event()
    assert bytes(event.body) == b""
    assert event.content_type == ""


def test_invalid_utf8_bytes_are_stored_exactly(client, webhook):
    raw = b"\xff\xfe\x00 not \xc3\x28 utf-8 \x80"

    response = client.post(url(webhook.id), raw, content_type="application/octet-stream")

    assert response.status_code == 202
    assert bytes(only_event().body) == raw


def test_body_of_exactly_the_limit_is_accepted(client, webhook, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 16

    response = client.post(url(webhook.id), b"x" * 16, content_type="text/plain")

    assert response.status_code == 202
    assert bytes(only_event().body) == b"x" * 16


def test_body_over_the_limit_is_413_and_stores_nothing(client, webhook, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 16

    response = client.post(url(webhook.id), b"x" * 17, content_type="text/plain")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Body larger than 16 bytes."}
    assert WebhookEvent.objects.count() == 0


def test_default_limit_is_one_mebibyte(client, webhook):
    at_limit = client.post(url(webhook.id), b"x" * (1024 * 1024), content_type="text/plain")
    over = client.post(url(webhook.id), b"x" * (1024 * 1024 + 1), content_type="text/plain")

    assert at_limit.status_code == 202
    assert over.status_code == 413
    assert WebhookEvent.objects.count() == 1


def test_unknown_webhook_is_json_404_and_stores_nothing(client, webhook):
    response = client.post(url(uuid.uuid4()), b"{}", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "No such webhook."}
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("webhook_id", ["not-a-uuid", "1234", "%00", "'; drop table x;--"])
def test_malformed_webhook_id_is_json_404(client, webhook, webhook_id):
    response = client.post(url(webhook_id), b"{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"message": "No such webhook."}
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_a_json_405(client, webhook, method):
    response = client.generic(method, url(webhook.id), b"{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"message": "Method not allowed; POST the event."}
    assert WebhookEvent.objects.count() == 0


def test_a_token_is_not_needed_and_a_bad_one_is_ignored(client, webhook):
    response = client.post(
        url(webhook.id), b"{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer x"
    )

    assert response.status_code == 202


def test_each_post_is_its_own_event(client, webhook):
    first = client.post(url(webhook.id), b"1", content_type="application/json")
    second = client.post(url(webhook.id), b"1", content_type="application/json")

    assert first.json()["event_id"] != second.json()["event_id"]
    assert WebhookEvent.objects.filter(webhook=webhook).count() == 2


@pytest.mark.django_db(transaction=True)
def test_ingest_is_one_insert_whose_foreign_key_is_the_lookup(
    client, webhook, django_assert_num_queries, monkeypatch
):
    handed: list[str] = []
    monkeypatch.setattr(evaluate_events, "run", handed.extend)  # count ingest's queries only
    with django_assert_num_queries(2):  # and the webhook's ingest limit, once a second
        client.post(url(webhook.id), b"{}", content_type="application/json")
    handed.clear()
    with django_assert_num_queries(1) as captured:
        response = client.post(url(webhook.id), b'{"a": 1}', content_type="application/json")

    assert response.status_code == 202
    [insert] = (query["sql"] for query in captured.captured_queries)
    assert insert.startswith("INSERT") and "webhooks_webhookevent" in insert
    assert handed == [response.json()["event_id"]]


@pytest.mark.django_db(transaction=True)
def test_an_unknown_webhook_costs_one_lookup_once_a_second_and_stores_nothing(
    client, django_assert_num_queries
):
    unknown = url(uuid.uuid4())
    with django_assert_num_queries(1):
        response = client.post(unknown, b"{}", content_type="application/json")
    with django_assert_num_queries(0):
        again = client.post(unknown, b"{}", content_type="application/json")

    assert response.status_code == again.status_code == 404
    assert WebhookEvent.objects.count() == 0


def test_inside_a_transaction_an_unknown_webhook_does_not_abort_it(db):
    from webhooks.services import store_event

    assert store_event(uuid.uuid4(), body=b"", content_type="", headers={}, ip=None) is None
    assert WebhookEvent.objects.count() == 0


def test_event_is_handed_to_evaluation_only_after_commit(
    client, webhook, django_capture_on_commit_callbacks, monkeypatch
):
    evaluated: list[str] = []
    # Replace only the task's body: dispatch (eager, as without a broker) stays real.
    monkeypatch.setattr(evaluate_events, "run", evaluated.extend)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url(webhook.id), b"{}", content_type="application/json")
        assert evaluated == []

    assert len(callbacks) == 1
    assert evaluated == []
    callbacks[0]()
    assert evaluated == [response.json()["event_id"]]


def test_evaluation_runs_for_the_stored_event_when_the_transaction_commits(
    client, webhook, django_capture_on_commit_callbacks, monkeypatch
):
    seen: list[bool] = []
    monkeypatch.setattr(
        evaluate_events,
        "run",
        lambda event_ids: seen.extend(
            WebhookEvent.objects.filter(pk__in=event_ids).exists() for _ in event_ids
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(webhook.id), b"{}", content_type="application/json")

    assert seen == [True]


def test_rejected_requests_hand_nothing_to_evaluation(
    client, webhook, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_BODY_BYTES = 4

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(url(uuid.uuid4()), b"{}", content_type="application/json")
        client.post(url(webhook.id), b"12345", content_type="application/json")

    assert callbacks == []


# --------------------------------------------------------------------------- source IP


def test_forwarded_for_is_ignored_without_trusted_proxies(client, webhook, settings):
    settings.TRUSTED_PROXIES = []

    response = client.post(
        url(webhook.id),
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert response.json()["ip"] == "198.51.100.7"
    assert only_event().ip == "198.51.100.7"


def test_forwarded_for_is_believed_from_a_trusted_proxy(client, webhook, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = client.post(
        url(webhook.id),
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert response.json()["ip"] == "203.0.113.9"
    assert only_event().ip == "203.0.113.9"
    # The header itself is kept with the event, as received.
    assert only_event().headers["X-Forwarded-For"] == "203.0.113.9"


def test_spoofed_forwarded_for_from_an_untrusted_client_is_ignored(client, webhook, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = client.post(
        url(webhook.id),
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.9",
    )

    assert response.json()["ip"] == "198.51.100.7"


def test_the_rightmost_untrusted_hop_wins_over_hops_the_client_invented(client, webhook, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]

    response = client.post(
        url(webhook.id),
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="10.0.0.5",
        # The client claimed 1.1.1.1; our proxies appended the real client and themselves.
        HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9, 192.0.2.1, 10.0.0.6",
    )

    assert response.json()["ip"] == "203.0.113.9"


def test_when_every_hop_is_trusted_the_first_one_is_the_client(client, webhook, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = client.post(
        url(webhook.id),
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 10.0.0.6",
    )

    assert response.json()["ip"] == "10.9.9.9"


def test_ipv6_addresses_are_normalised(client, webhook, settings):
    settings.TRUSTED_PROXIES = ["fd00::/8"]

    response = client.post(
        url(webhook.id),
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="fd00::1",
        HTTP_X_FORWARDED_FOR="2001:DB8:0:0::1",
    )

    assert response.json()["ip"] == "2001:db8::1"
    assert only_event().ip == "2001:db8::1"


# --------------------------------------------------------------------------- hostile headers


def test_nul_in_a_header_value_is_stored_replaced_instead_of_a_500(client, webhook):
    response = client.post(
        url(webhook.id), b"{}", content_type="application/json", HTTP_X_TRACE="a\x00b"
    )

    assert response.status_code == 202
    assert only_event().headers["X-Trace"] == "a\ufffdb"


def test_nul_in_the_content_type_is_stored_replaced_instead_of_a_500(client, webhook):
    response = client.post(url(webhook.id), b"x", content_type="text/plain\x00")

    assert response.status_code == 202
    assert response.json()["content_type"] == "text/plain\ufffd"
    assert only_event().content_type == "text/plain\ufffd"


def test_lone_surrogate_in_a_header_is_stored_replaced_instead_of_a_500(client, webhook):
    response = client.post(
        url(webhook.id), b"{}", content_type="application/json", HTTP_X_NAME="x\ud800y"
    )

    assert response.status_code == 202
    assert only_event().headers["X-Name"] == "x\ufffdy"


def test_latin1_header_value_is_kept(client, webhook):
    response = client.post(
        url(webhook.id), b"{}", content_type="application/json", HTTP_X_CITY="Zürich"
    )

    assert response.status_code == 202
    assert only_event().headers["X-City"] == "Zürich"


_ENVIRON_KEYS = st.one_of(
    st.from_regex(r"HTTP_[A-Z0-9_]{0,12}", fullmatch=True),
    st.sampled_from(["CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_ADDR", "PATH_INFO", "wsgi.input"]),
    st.from_regex(r"[A-Za-z_.]{1,12}", fullmatch=True),
)


@settings(max_examples=300)
@given(st.dictionaries(_ENVIRON_KEYS, st.text(max_size=20), max_size=12))
def test_headers_are_named_as_djangos_http_headers_names_them(environ):
    expected = {storable_text(k): storable_text(v) for k, v in HttpHeaders(environ).items()}

    assert request_headers(environ) == expected
