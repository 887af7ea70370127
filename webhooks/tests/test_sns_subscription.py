"""An SNS SubscriptionConfirmation is stored like any event and confirmed in a task."""

import pytest
import requests

from rulesets.tests.pipeline import create_webhook, payload, send
from webhooks import sns

pytestmark = pytest.mark.django_db

SNS_HEADERS = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "SubscriptionConfirmation"}


class FakeResponse:
    def __init__(self, status_code):
        self.status_code = status_code


@pytest.fixture
def fetched(monkeypatch):
    """Record the URLs the confirmation fetches; answer with the queued status codes."""
    calls, answers = [], []

    def fake_get(url, **kwargs):
        calls.append((url, kwargs))
        answer = answers.pop(0) if answers else 200
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer)

    monkeypatch.setattr(sns.requests, "get", fake_get)
    return calls, answers


def subscription(owner):
    webhook = create_webhook(owner)
    event_id = send(
        webhook,
        payload("aws_sns_subscription_confirmation.json"),
        content_type="text/plain",
        **SNS_HEADERS,
    )
    [event] = owner.api.get(f"/v1/webhook/{webhook}/events").json()
    assert event["id"] == event_id
    return event


def test_subscription_is_confirmed_by_fetching_the_subscribe_url(owner, fetched):
    calls, _ = fetched
    event = subscription(owner)
    [(url, kwargs)] = calls
    assert url.startswith("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription")
    assert kwargs["timeout"] == sns.CONFIRM_TIMEOUT_SECONDS
    assert event["evaluation"]["sns_subscription"]["state"] == "confirmed"
    assert event["body"]["Type"] == "SubscriptionConfirmation"


def test_transient_failures_are_retried_then_confirmed(owner, fetched):
    calls, answers = fetched
    answers.extend([requests.ConnectionError("reset"), 503, 200])
    event = subscription(owner)
    assert len(calls) == 3
    assert event["evaluation"]["sns_subscription"]["state"] == "confirmed"


def test_retries_are_bounded_and_the_failure_is_recorded(owner, fetched):
    calls, answers = fetched
    answers.extend([500] * 10)
    event = subscription(owner)
    assert len(calls) == 5
    assert event["evaluation"]["sns_subscription"] == {
        **event["evaluation"]["sns_subscription"],
        "state": "failed",
        "status_code": 500,
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://evil.example.com/?Action=ConfirmSubscription",
        "https://amazonaws.com.evil.example/",
        "https://127.0.0.1/",
    ],
)
def test_a_subscribe_url_off_amazonaws_is_never_fetched(owner, fetched, url):
    import json

    calls, _ = fetched
    body = json.loads(payload("aws_sns_subscription_confirmation.json"))
    body["SubscribeURL"] = url
    webhook = create_webhook(owner)
    send(webhook, json.dumps(body).encode(), content_type="text/plain", **SNS_HEADERS)
    [event] = owner.api.get(f"/v1/webhook/{webhook}/events").json()
    assert calls == []
    assert event["evaluation"]["sns_subscription"]["state"] == "rejected"


def test_a_notification_is_not_a_subscription(owner, fetched):
    calls, _ = fetched
    webhook = create_webhook(owner)
    send(
        webhook,
        payload("aws_sns_cloudwatch_alarm_notification.json"),
        content_type="text/plain",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
    )
    assert calls == []
