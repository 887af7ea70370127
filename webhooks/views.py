"""Ingest: the hottest path of the product. One INSERT (its foreign key is the lookup), 202."""

import re
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from pinghome.client_ip import client_ip
from webhooks import services

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@csrf_exempt
def ingest(request, webhook_id: str):
    if request.method != "POST":
        return JsonResponse(
            {"message": "Method not allowed; POST the event."},
            status=405,
            headers={"Allow": "POST"},
        )
    try:
        webhook_uuid = uuid.UUID(webhook_id)
    except ValueError:
        return JsonResponse({"message": "No such webhook."}, status=404)
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _too_large(limit)
    if "CONTENT_LENGTH" not in request.META and request.META.get("wsgi.input_terminated"):
        # Chunked transfer: the server (gunicorn) ends the stream; Django alone would read nothing.
        body = request.META["wsgi.input"].read(limit + 1)
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        return _too_large(limit)
    content_type = _storable(request.META.get("CONTENT_TYPE", ""))[:255]
    ip = client_ip(request.META)
    event = services.store_event(
        webhook_uuid,
        body=body,
        content_type=content_type,
        headers={_storable(name): _storable(value) for name, value in request.headers.items()},
        ip=ip,
    )
    if event is None:
        return JsonResponse({"message": "No such webhook."}, status=404)
    return JsonResponse(
        {
            "message": "Event accepted.",
            "event_id": str(event.id),
            "ip": ip,
            "content_type": content_type,
        },
        status=202,
    )


def _storable(text: str) -> str:
    """Header text PostgreSQL can store: NUL and lone surrogates become U+FFFD.

    The body is kept byte for byte; a header value with such characters (which no conforming
    client sends) must not turn an accepted event into a 500.
    """
    return _UNSTORABLE.sub("\ufffd", text)


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse({"message": f"Body larger than {limit} bytes."}, status=413)
