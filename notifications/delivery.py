"""Sending one notification: e-mail through Django's backend, or an HMAC-signed JSON POST."""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail

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


def check_destination(url: str) -> None:
    """Refuse URLs that are not http(s) or that resolve to loopback, link-local or private space."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError("URL must be http(s) with a host", permanent=True)
    if settings.NOTIFY_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except UnicodeError:  # not a host name at all: it never will resolve
        raise DeliveryError(
            f"{parts.hostname!r} is not a valid host name", permanent=True
        ) from None
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise DeliveryError(
                f"{parts.hostname} resolves to a non-public address ({address})", permanent=True
            )


def post_webhook(url: str, secret: str, payload: dict[str, Any]) -> int:
    check_destination(url)
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pinghome",
        "X-Pinghome-Signature": signature(secret, int(time.time()), body),
    }
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise DeliveryError(str(exc)[:300]) from None
    if response.status_code >= 300:
        raise DeliveryError(
            f"HTTP {response.status_code}",
            permanent=400 <= response.status_code < 500 and response.status_code != 429,
        )
    return response.status_code
