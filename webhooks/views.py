"""Ingest: the hottest path of the product. One INSERT ... SELECT (the key is the lookup), 202.

``accept`` does the work on a WSGI environ. In production ``pinghome.wsgi`` routes the ingest
path to ``wsgi_ingest`` before Django's request handling (no middleware, URL resolving or
request object: that halves the CPU one event costs); the Django view serves the same
``accept`` to the test client, runserver and anything else that goes through Django.
"""

import json
import logging
import uuid
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpHeaders, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from pinghome import metrics
from pinghome.client_ip import client_ip
from pinghome.jsondata import storable_text
from webhooks import limits, services

logger = logging.getLogger(__name__)

INGEST_PATH_PREFIX = "/v1/incident/webhook/"

Answer = tuple[int, dict[str, Any], dict[str, str]]


def accept(environ: dict[str, Any], webhook_id: str) -> Answer:
    """Store the POSTed event: (status, JSON payload, extra headers) of the answer.

    ``webhook_id`` is the last part of the ingest URL: the webhook's id until its URL is
    rotated, a key of its own after."""
    if environ.get("REQUEST_METHOD") != "POST":
        return 405, {"message": "Method not allowed; POST the event."}, {"Allow": "POST"}
    try:
        key = uuid.UUID(webhook_id)
    except ValueError:
        return 404, {"message": "No such webhook."}, {}
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        declared = 0
    if declared > limit:
        return _too_large(limit)
    if declared:
        body = environ["wsgi.input"].read(declared)
    elif "CONTENT_LENGTH" not in environ and environ.get("wsgi.input_terminated"):
        # Chunked transfer: the server (gunicorn) ends the stream.
        body = environ["wsgi.input"].read(limit + 1)
    else:
        body = b""
    if len(body) > limit:
        return _too_large(limit)
    content_type = storable_text(environ.get("CONTENT_TYPE", ""))[:255]
    ip = client_ip(environ)
    try:
        event_id = services.store_event(
            key,
            body=body,
            content_type=content_type,
            headers=request_headers(environ),
            ip=ip,
        )
    except limits.OverLimit as refused:
        return (
            429,
            {"message": "Over this webhook's max_events_per_minute: nothing stored."},
            {"Retry-After": str(refused.retry_after)},
        )
    except DatabaseError:
        logger.exception("could not store an event for ingest key %s", key)
        return (
            503,
            {"message": "The event could not be stored; send it again."},
            {"Retry-After": "5"},
        )
    if event_id is None:
        return 404, {"message": "No such webhook."}, {}
    return (
        202,
        {
            "message": "Event accepted.",
            "event_id": str(event_id),
            "ip": ip,
            "content_type": content_type,
        },
        {},
    )


@csrf_exempt
def ingest(request, webhook_id: str) -> JsonResponse:
    status, payload, headers = accept(request.META, webhook_id)
    _count_refusal(status, webhook_id)
    return JsonResponse(payload, status=status, headers=headers)


def wsgi_ingest(environ: dict[str, Any], start_response) -> list[bytes]:
    """``accept`` as a bare WSGI application, with the connection upkeep Django's handler does
    around a request (``close_old_connections``), for the one database ingest uses."""
    db = connections[DEFAULT_DB_ALIAS]
    db.close_if_unusable_or_obsolete()
    try:
        key = environ["PATH_INFO"][len(INGEST_PATH_PREFIX) :]
        status, payload, headers = accept(environ, key)
        _count_refusal(status, key)
    finally:
        db.close_if_unusable_or_obsolete()
    content = json.dumps(payload).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(content))),
            ("X-Content-Type-Options", "nosniff"),
            *headers.items(),
        ],
    )
    return [content]


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers by name, as Django's ``HttpHeaders`` names them, storable.

    One pass over the environ: ``HttpHeaders`` took a tenth of the request's CPU.
    """
    headers = {}
    for key, value in environ.items():
        if key.startswith(HttpHeaders.HTTP_PREFIX):
            key = key[len(HttpHeaders.HTTP_PREFIX) :]
        elif key not in HttpHeaders.UNPREFIXED_HEADERS:
            continue
        if key:
            headers[storable_text(key.replace("_", "-").title())] = storable_text(value)
    return headers


def _too_large(limit: int) -> Answer:
    return 413, {"message": f"Body larger than {limit} bytes."}, {}


_REFUSALS = {413: "too_large", 503: "unavailable"}


def _count_refusal(status: int, key: str) -> None:
    """Count an event refused for the metrics, by webhook (none when the database failed)."""
    reason = _REFUSALS.get(status)
    if reason == "unavailable":
        metrics.event_rejected(None, reason)
    elif reason is not None:
        services.reject_event(uuid.UUID(key), reason=reason)
