"""AWS SNS HTTP subscriptions: confirm by fetching ``SubscribeURL`` (only on amazonaws.com)."""

from typing import Any
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.utils import timezone

from webhooks.models import WebhookEvent

CONFIRM_TIMEOUT_SECONDS = 10


def subscribe_url(event: WebhookEvent) -> str | None:
    """The SubscribeURL of an SNS SubscriptionConfirmation event, else None."""
    headers = {key.lower(): value for key, value in (event.headers or {}).items()}
    if headers.get("x-amz-sns-message-type") != "SubscriptionConfirmation":
        return None
    body = event.parsed_body()
    if not isinstance(body, dict) or body.get("Type") != "SubscriptionConfirmation":
        return None
    url = body.get("SubscribeURL")
    return url if isinstance(url, str) else None


def is_allowed(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "amazonaws.com" or host.endswith(".amazonaws.com"))


class TransientError(Exception):
    """Worth retrying (network error, 5xx)."""


def confirm_subscription(event_id: str, *, final_attempt: bool) -> dict[str, Any] | None:
    """Fetch the SubscribeURL once and record the result on the event (idempotent)."""
    event = WebhookEvent.objects.filter(pk=event_id).first()
    url = subscribe_url(event) if event else None
    if url is None:
        return None
    if ((event.evaluation or {}).get("sns_subscription") or {}).get("state") == "confirmed":
        return event.evaluation["sns_subscription"]
    result: dict[str, Any] = {"host": urlsplit(url).hostname, "at": timezone.now().isoformat()}
    if not is_allowed(url):
        result.update(state="rejected", error="SubscribeURL must be https on an amazonaws.com host")
    else:
        try:
            response = requests.get(url, timeout=CONFIRM_TIMEOUT_SECONDS, allow_redirects=False)
        except requests.RequestException as exc:
            result.update(state="failed", error=str(exc)[:500])
        else:
            result["status_code"] = response.status_code
            result["state"] = "confirmed" if response.status_code == 200 else "failed"
        if result["state"] == "failed" and not final_attempt:
            _record(event_id, {**result, "state": "retrying"})
            raise TransientError(result.get("error") or f"HTTP {result.get('status_code')}")
    _record(event_id, result)
    return result


def _record(event_id: str, result: dict[str, Any]) -> None:
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        event.evaluation = {**(event.evaluation or {}), "sns_subscription": result}
        event.save(update_fields=["evaluation"])
