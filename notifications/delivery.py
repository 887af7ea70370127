"""Sending one notification: e-mail through Django's backend, or an HMAC-signed JSON POST."""

import hashlib
import hmac
import json
import time
from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail

from pinghome.destinations import (
    Destination,
    UnsafeDestination,
    pinned_session,
    public_destination,
)

WEBHOOK_TIMEOUT_SECONDS = 5


class DeliveryError(Exception):
    """The notification did not go out; ``permanent`` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def send_email(to: str, subject: str, text: str) -> None:
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>``: receivers recompute and compare."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def check_destination(url: str) -> Destination:
    """Where ``url`` may be sent: its host resolved once, to public addresses only (any IPv4 or
    IPv6 spelling, see ``pinghome.destinations``); DeliveryError otherwise, permanent unless the
    host could not be resolved."""
    try:
        return public_destination(url)
    except UnsafeDestination as exc:
        raise DeliveryError(str(exc), permanent=exc.permanent) from None


def post_webhook(url: str, secret: str, payload: dict[str, Any]) -> int:
    """POST to the address ``url``'s host resolved to when it was checked."""
    destination = check_destination(url)
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pinghome",
        "X-Pinghome-Signature": signature(secret, int(time.time()), body),
    }
    try:
        with pinned_session(destination) as session:
            response = session.post(
                url,
                data=body,
                headers=headers,
                timeout=WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
    except requests.RequestException as exc:
        raise DeliveryError(str(exc)[:300]) from None
    if response.status_code >= 300:
        raise DeliveryError(
            f"HTTP {response.status_code}",
            permanent=400 <= response.status_code < 500 and response.status_code != 429,
        )
    return response.status_code
